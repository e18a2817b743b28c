/**
 * Chevrotain tokens for Verilog-2005 (plus the SystemVerilog words that show
 * up in headers: logic, int, bit, ...). Whole files are tokenized, module
 * bodies included, so a catch-all `Other` token keeps any character the
 * header grammar has no use for from being a lexing error; attributes
 * `(* ... *)` go to their own token group so they can be attached to the port
 * or module that follows them.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });
/** `(*` not followed by `)`: `@(*)` and `@( * )` are event controls, not attributes. */
export const Attribute = createToken({ name: 'Attribute', pattern: /\(\*(?!\s*\))[\s\S]*?\*\)/, group: 'attributes', line_breaks: true });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_$]*/ });
export const EscapedIdentifier = createToken({ name: 'EscapedIdentifier', pattern: /\\\S+/ });
export const SystemName = createToken({ name: 'SystemName', pattern: /\$[A-Za-z0-9_$]+/ });

const keywords: TokenType[] = [];
function kw(word: string, categories: TokenType[] = []): TokenType {
  const t = createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Identifier, categories, label: `'${word}'` });
  keywords.push(t);
  return t;
}

/** Categories let one CONSUME accept any of several keywords. */
export const Direction = createToken({ name: 'Direction', pattern: Lexer.NA, label: 'input/output/inout' });
export const NetKind = createToken({ name: 'NetKind', pattern: Lexer.NA, label: 'wire/reg/logic' });
export const DataType = createToken({ name: 'DataType', pattern: Lexer.NA, label: 'a data type' });
export const Signing = createToken({ name: 'Signing', pattern: Lexer.NA, label: 'signed/unsigned' });

export const Module = kw('module');
export const Macromodule = kw('macromodule');
export const Endmodule = kw('endmodule');
export const Parameter = kw('parameter');
export const Localparam = kw('localparam');
export const Input = kw('input', [Direction]);
export const Output = kw('output', [Direction]);
export const Inout = kw('inout', [Direction]);
for (const n of ['wire', 'reg', 'logic', 'tri', 'tri0', 'tri1', 'triand', 'trior', 'trireg', 'wand', 'wor', 'uwire', 'supply0', 'supply1', 'var']) kw(n, [NetKind]);
// integer/int/... are 32 (or fixed) bits wide and signed; real/time types make sense only for parameters.
for (const n of ['integer', 'int', 'shortint', 'longint', 'byte', 'bit', 'time', 'realtime', 'real', 'string']) kw(n, [DataType]);
export const Signed = kw('signed', [Signing]);
export const Unsigned = kw('unsigned', [Signing]);
export const Type = kw('type');

/** Keywords that open and close nested regions of a module body (skipped by the body scanner). */
export const REGION_PAIRS: Record<string, string[]> = {
  function: ['endfunction'],
  task: ['endtask'],
  specify: ['endspecify'],
  generate: ['endgenerate'],
  begin: ['end'],
  fork: ['join', 'join_any', 'join_none'],
  case: ['endcase'],
  casex: ['endcase'],
  casez: ['endcase'],
  primitive: ['endprimitive'],
  interface: ['endinterface'],
  package: ['endpackage'],
  class: ['endclass'],
  covergroup: ['endgroup'],
  property: ['endproperty'],
  sequence: ['endsequence'],
  clocking: ['endclocking'],
  config: ['endconfig'],
  table: ['endtable'],
};
for (const [open, closers] of Object.entries(REGION_PAIRS)) {
  if (!keywords.some((k) => k.name === `Kw_${open}`)) kw(open);
  for (const c of closers) if (!keywords.some((k) => k.name === `Kw_${c}`)) kw(c);
}

/** A based literal (`8'hFF`, `'d10`, `4'sb1x0z`), an unbased one (`'1`), a decimal or real number. */
export const BasedNumber = createToken({
  name: 'BasedNumber',
  pattern: /(?:\d[\d_]*\s*)?'[sS]?(?:[bB]\s*[01xXzZ?][01xXzZ?_]*|[oO]\s*[0-7xXzZ?][0-7xXzZ?_]*|[dD]\s*(?:\d[\d_]*|[xXzZ?]_*)|[hH]\s*[0-9a-fA-FxXzZ?][0-9a-fA-FxXzZ?_]*)|'[01xXzZ](?![A-Za-z0-9_])/,
  line_breaks: false,
});
export const RealNumber = createToken({ name: 'RealNumber', pattern: /\d[\d_]*(?:\.\d[\d_]*(?:[eE][+-]?\d+)?|[eE][+-]?\d+)/ });
export const DecimalNumber = createToken({ name: 'DecimalNumber', pattern: /\d[\d_]*/ });
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n]|\\.)*"/ });

export const BinaryOperator = createToken({ name: 'BinaryOperator', pattern: Lexer.NA, label: 'an operator' });
export const UnaryOperator = createToken({ name: 'UnaryOperator', pattern: Lexer.NA, label: 'a unary operator' });

function op(name: string, text: string, categories: TokenType[]): TokenType {
  return createToken({ name, pattern: new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), categories, label: `'${text}'` });
}

// Longest first, so `<<<` is not lexed as `<<` `<`.
export const operators: TokenType[] = [
  op('CaseEq', '===', [BinaryOperator]),
  op('CaseNe', '!==', [BinaryOperator]),
  op('AShl', '<<<', [BinaryOperator]),
  op('AShr', '>>>', [BinaryOperator]),
  op('Power', '**', [BinaryOperator]),
  op('Shl', '<<', [BinaryOperator]),
  op('Shr', '>>', [BinaryOperator]),
  op('Le', '<=', [BinaryOperator]),
  op('Ge', '>=', [BinaryOperator]),
  op('Eq', '==', [BinaryOperator]),
  op('Ne', '!=', [BinaryOperator]),
  op('LAnd', '&&', [BinaryOperator]),
  op('LOr', '||', [BinaryOperator]),
  op('Nand', '~&', [UnaryOperator]),
  op('Nor', '~|', [UnaryOperator]),
  op('Xnor1', '~^', [BinaryOperator, UnaryOperator]),
  op('Xnor2', '^~', [BinaryOperator, UnaryOperator]),
  op('PlusColon', '+:', []),
  op('MinusColon', '-:', []),
  op('ScopeRes', '::', []),
  op('Plus', '+', [BinaryOperator, UnaryOperator]),
  op('Minus', '-', [BinaryOperator, UnaryOperator]),
  op('Star', '*', [BinaryOperator]),
  op('Slash', '/', [BinaryOperator]),
  op('Percent', '%', [BinaryOperator]),
  op('Lt', '<', [BinaryOperator]),
  op('Gt', '>', [BinaryOperator]),
  op('Amp', '&', [BinaryOperator, UnaryOperator]),
  op('Pipe', '|', [BinaryOperator, UnaryOperator]),
  op('Caret', '^', [BinaryOperator, UnaryOperator]),
  op('Bang', '!', [UnaryOperator]),
  op('Tilde', '~', [UnaryOperator]),
];

export const Question = createToken({ name: 'Question', pattern: /\?/, label: "'?'" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Assign = createToken({ name: 'Assign', pattern: /=/, label: "'='" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Semi = createToken({ name: 'Semi', pattern: /;/, label: "';'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const Hash = createToken({ name: 'Hash', pattern: /#/, label: "'#'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
/**
 * Anything else (`@`, `'`, non-ASCII text in a body, ...): only ever an error inside a header.
 * Spelled as ranges rather than [^\s] so that Chevrotain keeps its first-character optimization.
 */
export const Other = createToken({ name: 'Other', pattern: /[\x00-\x08\x0e-\x1f!-~\x7f-\uffff]/, label: 'an unexpected character' });

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  Attribute,
  BasedNumber,
  RealNumber,
  DecimalNumber,
  StringLiteral,
  // Longest first: with Identifier as longer_alt, `end` listed before `endcase` would lex "endcase" as a name.
  ...[...keywords].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  EscapedIdentifier,
  SystemName,
  ...operators,
  Question,
  Colon,
  Assign,
  Comma,
  Semi,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Hash,
  Dot,
  Other,
  Direction,
  NetKind,
  DataType,
  Signing,
  BinaryOperator,
  UnaryOperator,
];

export const verilogLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: true });
