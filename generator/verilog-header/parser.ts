/**
 * The Chevrotain grammar of module headers and of the body declarations that
 * matter to a header (parameters, non-ANSI port declarations, net declarations
 * that give a port its kind). It builds raw syntax (expressions unevaluated);
 * headers.ts slices the token stream into statements and evaluates.
 */
import { EmbeddedActionsParser, tokenLabel, type IToken, type TokenType, type IParserErrorMessageProvider } from 'chevrotain';
import * as T from './lexer.ts';

export type Expr =
  | { k: 'num'; value?: bigint; width?: number; signed: boolean; invalid?: string; from: number; to: number; tok: IToken }
  | { k: 'real'; value: number; from: number; to: number; tok: IToken }
  | { k: 'str'; value: string; from: number; to: number; tok: IToken }
  | { k: 'id'; name: string; from: number; to: number; tok: IToken }
  | { k: 'unary'; op: string; arg: Expr; from: number; to: number; tok: IToken }
  | { k: 'bin'; op: string; l: Expr; r: Expr; from: number; to: number; tok: IToken }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr; from: number; to: number; tok: IToken }
  | { k: 'call'; name: string; args: Expr[]; from: number; to: number; tok: IToken }
  | { k: 'concat'; parts: Expr[]; from: number; to: number; tok: IToken }
  | { k: 'repl'; count: Expr; parts: Expr[]; from: number; to: number; tok: IToken }
  | { k: 'type'; from: number; to: number; tok: IToken }
  | { k: 'select'; base: Expr; msb: Expr; lsb?: Expr; mode: ':' | '+:' | '-:' | 'bit'; from: number; to: number; tok: IToken };

export interface RawRange {
  msb: Expr;
  lsb: Expr;
  tok: IToken;
}

export interface RawParam {
  name: string;
  tok: IToken;
  /** undefined when the keyword was omitted in a list (`#(parameter A = 1, B = 2)`): inherits. */
  keyword?: 'parameter' | 'localparam';
  /** A SystemVerilog type parameter (`parameter type T = logic [7:0]`): its default is a type. */
  isType?: boolean;
  dataType?: string;
  signed?: boolean;
  range?: RawRange;
  expr: Expr;
}

export interface RawPortDecl {
  name: string;
  tok: IToken;
  /** First token of the item (attributes before it belong to the port). */
  first: IToken;
  direction?: 'input' | 'output' | 'inout';
  kind?: string;
  dataType?: string;
  signed?: boolean;
  ranges: RawRange[];
  /** True when the item says anything besides its name; a bare name inherits from the previous ANSI item. */
  explicit: boolean;
  /** `.name(inner)` in a non-ANSI list: the body declares `inner` (null when inner is not a plain name). */
  internal?: string | null;
  unpacked?: IToken;
}

export interface RawHeader {
  nameTok: IToken;
  name: string;
  params: RawParam[];
  /** undefined: no port list at all; otherwise the items in order. */
  ports?: RawPortDecl[];
  /** Yosys's `module m (...);`: the ports are the body's port declarations, in order. */
  wildcardPorts?: boolean;
}

/** Operator precedence for the binary chain (IEEE 1364-2005 table 5-4); all left-associative. */
const PRECEDENCE: Record<string, number> = {
  '**': 12,
  '*': 11, '/': 11, '%': 11,
  '+': 10, '-': 10,
  '<<': 9, '>>': 9, '<<<': 9, '>>>': 9,
  '<': 8, '<=': 8, '>': 8, '>=': 8,
  '==': 7, '!=': 7, '===': 7, '!==': 7,
  '&': 6,
  '^': 5, '^~': 5, '~^': 5,
  '|': 4,
  '&&': 3,
  '||': 2,
};

function end(t: IToken): number {
  return t.endOffset ?? t.startOffset;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${tokenLabel(expected)}, found ${describe(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)}`,
  buildNoViableAltMessage: ({ actual, ruleName }) => `unexpected ${describe(actual[0]!)} in ${RULE_WORDS[ruleName] ?? ruleName}`,
  buildEarlyExitMessage: ({ actual, ruleName }) => `unexpected ${describe(actual[0]!)} in ${RULE_WORDS[ruleName] ?? ruleName}`,
};

const RULE_WORDS: Record<string, string> = {
  primary: 'an expression',
  expression: 'an expression',
  portItem: 'a port declaration',
  paramItem: 'a parameter declaration',
  moduleHeader: 'a module header',
};

export function describe(t: IToken): string {
  return t.tokenType.name === 'EOF' ? 'end of input' : `'${t.image}'`;
}

export class HeaderParser extends EmbeddedActionsParser {
  constructor() {
    super(T.allTokens, { maxLookahead: 4, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  // module name [#(params)] [(ports)] ;
  public moduleHeader = this.RULE('moduleHeader', (): RawHeader => {
    this.OR([{ ALT: () => this.CONSUME(T.Module) }, { ALT: () => this.CONSUME(T.Macromodule) }]);
    const nameTok = this.SUBRULE(this.name);
    let params: RawParam[] = [];
    let ports: RawPortDecl[] | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Hash);
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        params = [this.SUBRULE(this.paramItem)];
        this.MANY(() => {
          this.CONSUME(T.Comma);
          const p = this.SUBRULE2(this.paramItem);
          this.ACTION(() => params.push(p));
        });
      });
      this.CONSUME(T.RParen);
    });
    let wildcardPorts = false;
    this.OPTION3(() => {
      this.CONSUME2(T.LParen);
      ports = [];
      this.OR2([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME2(T.Dot);
            this.CONSUME3(T.Dot);
            wildcardPorts = true;
          },
        },
        {
          ALT: () => {
            this.OPTION4(() => {
              const first = this.SUBRULE(this.portItem);
              this.ACTION(() => ports!.push(first));
              this.MANY2(() => {
                this.CONSUME2(T.Comma);
                const p = this.SUBRULE2(this.portItem);
                this.ACTION(() => ports!.push(p));
              });
            });
          },
        },
      ]);
      this.CONSUME2(T.RParen);
    });
    this.CONSUME(T.Semi);
    return { nameTok, name: nameTok.image, params, ports, wildcardPorts };
  });

  // A statement-level parameter/localparam declaration of a module body.
  public paramStatement = this.RULE('paramStatement', (): RawParam[] => {
    const head = this.SUBRULE(this.paramItem);
    const list = [head];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const p = this.SUBRULE2(this.paramItem);
      this.ACTION(() => list.push(p));
    });
    this.CONSUME(T.Semi);
    return list;
  });

  // A non-ANSI port declaration in a module body: `input wire [7:0] a, b;`
  public portStatement = this.RULE('portStatement', (): RawPortDecl[] => {
    const list = [this.SUBRULE(this.portItem)];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const p = this.SUBRULE2(this.portItem);
      this.ACTION(() => list.push(p));
    });
    this.CONSUME(T.Semi);
    return list;
  });

  private paramItem = this.RULE('paramItem', (): RawParam => {
    let keyword: RawParam['keyword'];
    this.OPTION(() => {
      const k = this.OR([{ ALT: () => this.CONSUME(T.Parameter) }, { ALT: () => this.CONSUME(T.Localparam) }]);
      keyword = k.image as RawParam['keyword'];
    });
    return this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.Type);
          const tok = this.SUBRULE(this.name);
          this.CONSUME(T.Assign);
          const expr = this.SUBRULE(this.typeExpr);
          return { name: tok.image, tok, keyword, isType: true, expr };
        },
      },
      {
        ALT: () => {
          let dataType: string | undefined;
          let signed: boolean | undefined;
          let range: RawRange | undefined;
          this.OPTION2(() => {
            dataType = this.OR3([{ ALT: () => this.CONSUME(T.DataType) }, { ALT: () => this.CONSUME(T.NetKind) }]).image;
          });
          this.OPTION3(() => {
            signed = this.CONSUME(T.Signing).image === 'signed';
          });
          this.OPTION4(() => {
            range = this.SUBRULE(this.range);
          });
          const tok = this.SUBRULE2(this.name);
          this.CONSUME2(T.Assign);
          const expr = this.SUBRULE(this.expression);
          return { name: tok.image, tok, keyword, dataType, signed, range, expr };
        },
      },
    ]);
  });

  // The default of a type parameter: logic [7:0], int unsigned, my_pkg::word_t ...
  private typeExpr = this.RULE('typeExpr', (): Expr => {
    const first = this.OR([{ ALT: () => this.CONSUME(T.NetKind) }, { ALT: () => this.CONSUME(T.DataType) }, { ALT: () => this.SUBRULE(this.name) }]);
    let last = first;
    this.MANY(() => {
      const sep = this.CONSUME(T.operators.find((o) => o.name === 'ScopeRes')!);
      last = this.SUBRULE2(this.name);
      void sep;
    });
    this.OPTION(() => {
      last = this.CONSUME(T.Signing);
    });
    this.MANY2(() => {
      this.SUBRULE(this.range);
      last = this.LA(0);
    });
    return this.ACTION(() => ({ k: 'type' as const, from: first.startOffset, to: end(last), tok: first }));
  });

  private portItem = this.RULE('portItem', (): RawPortDecl => this.OR([{ ALT: () => this.SUBRULE(this.explicitPort) }, { ALT: () => this.SUBRULE(this.declaredPort) }]));

  // `.ext(inner)` in a non-ANSI port list: the port is named ext outside, inner inside.
  private explicitPort = this.RULE('explicitPort', (): RawPortDecl => {
    const first = this.CONSUME(T.Dot);
    const tok = this.SUBRULE(this.name);
    this.CONSUME(T.LParen);
    let inner: Expr | undefined;
    this.OPTION(() => {
      inner = this.SUBRULE(this.expression);
    });
    this.CONSUME(T.RParen);
    return this.ACTION(() => ({ name: tok.image, tok, first, ranges: [], explicit: false, internal: inner?.k === 'id' ? inner.name : null }));
  });

  private declaredPort = this.RULE('declaredPort', (): RawPortDecl => {
    const first = this.LA(1);
    let direction: RawPortDecl['direction'];
    let kind: string | undefined;
    let dataType: string | undefined;
    let signed: boolean | undefined;
    let unpacked: IToken | undefined;
    const ranges: RawRange[] = [];
    this.OPTION(() => {
      direction = this.CONSUME(T.Direction).image as RawPortDecl['direction'];
    });
    this.OPTION2(() => {
      kind = this.CONSUME(T.NetKind).image;
    });
    this.OPTION3(() => {
      dataType = this.CONSUME(T.DataType).image;
    });
    this.OPTION4(() => {
      signed = this.CONSUME(T.Signing).image === 'signed';
    });
    this.MANY(() => {
      const r = this.SUBRULE(this.range);
      this.ACTION(() => ranges.push(r));
    });
    const tok = this.SUBRULE(this.name);
    this.MANY2(() => {
      const r = this.SUBRULE2(this.range);
      this.ACTION(() => (unpacked ??= r.tok));
    });
    // An initial value (`output reg q = 1'b0`) says nothing about the port's shape.
    this.OPTION5(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.expression);
    });
    const explicit = this.ACTION(() => direction !== undefined || kind !== undefined || dataType !== undefined || signed !== undefined || ranges.length > 0);
    return { name: tok.image, tok, first, direction, kind, dataType, signed, ranges, explicit, unpacked };
  });

  public range = this.RULE('range', (): RawRange => {
    const tok = this.CONSUME(T.LBracket);
    const msb = this.SUBRULE(this.expression);
    this.CONSUME(T.Colon);
    const lsb = this.SUBRULE2(this.expression);
    this.CONSUME(T.RBracket);
    return { msb, lsb, tok };
  });

  private name = this.RULE('name', (): IToken => {
    const t = this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.EscapedIdentifier) }]);
    return this.ACTION(() => (t.tokenType === T.EscapedIdentifier ? { ...t, image: t.image.slice(1) } : t));
  });

  public expression = this.RULE('expression', (): Expr => {
    const c = this.SUBRULE(this.binaryChain);
    let result = c;
    this.OPTION(() => {
      const q = this.CONSUME(T.Question);
      const t = this.SUBRULE(this.expression);
      this.CONSUME(T.Colon);
      const f = this.SUBRULE2(this.expression);
      result = this.ACTION(() => ({ k: 'cond' as const, c, t, f, from: c.from, to: f.to, tok: q }));
    });
    return result;
  });

  private binaryChain = this.RULE('binaryChain', (): Expr => {
    const operands = [this.SUBRULE(this.unary)];
    const ops: IToken[] = [];
    this.MANY(() => {
      const o = this.CONSUME(T.BinaryOperator);
      const e = this.SUBRULE2(this.unary);
      this.ACTION(() => (ops.push(o), operands.push(e)));
    });
    return this.ACTION(() => climb(operands, ops));
  });

  private unary = this.RULE('unary', (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const o = this.CONSUME(T.UnaryOperator);
          const arg = this.SUBRULE(this.unary);
          return this.ACTION(() => ({ k: 'unary' as const, op: o.image, arg, from: o.startOffset, to: arg.to, tok: o }));
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  // primary { [index] | [msb:lsb] | [base+:width] }
  private postfix = this.RULE('postfix', (): Expr => {
    let e = this.SUBRULE(this.primary);
    this.MANY(() => {
      const open = this.CONSUME(T.LBracket);
      const msb = this.SUBRULE(this.expression);
      let mode: ':' | '+:' | '-:' | 'bit' = 'bit';
      let lsb: Expr | undefined;
      this.OPTION(() => {
        mode = this.OR([
          { ALT: () => this.CONSUME(T.Colon) },
          { ALT: () => this.CONSUME(T.operators.find((o) => o.name === 'PlusColon')!) },
          { ALT: () => this.CONSUME(T.operators.find((o) => o.name === 'MinusColon')!) },
        ]).image as ':' | '+:' | '-:';
        lsb = this.SUBRULE2(this.expression);
      });
      const close = this.CONSUME(T.RBracket);
      e = this.ACTION(() => ({ k: 'select' as const, base: e, msb, lsb, mode, from: e.from, to: end(close), tok: open }));
    });
    return e;
  });

  private primary = this.RULE('primary', (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(T.BasedNumber);
          return this.ACTION(() => numberExpr(t));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.DecimalNumber);
          return this.ACTION(() => numberExpr(t));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.RealNumber);
          return this.ACTION(() => ({ k: 'real' as const, value: Number(t.image.replace(/_/g, '')), from: t.startOffset, to: end(t), tok: t }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.StringLiteral);
          return this.ACTION(() => ({ k: 'str' as const, value: JSON.parse(t.image) as string, from: t.startOffset, to: end(t), tok: t }));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const e = this.SUBRULE(this.expression);
          // min:typ:max delay triples are constant expressions too; the typical value is used.
          let typ: Expr | undefined;
          this.OPTION(() => {
            this.CONSUME(T.Colon);
            typ = this.SUBRULE2(this.expression);
            this.CONSUME2(T.Colon);
            this.SUBRULE3(this.expression);
          });
          const close = this.CONSUME(T.RParen);
          return this.ACTION(() => ({ ...(typ ?? e), from: open.startOffset, to: end(close) }));
        },
      },
      { ALT: () => this.SUBRULE(this.braces) },
      {
        ALT: () => {
          const t = this.OR2([{ ALT: () => this.CONSUME(T.SystemName) }, { ALT: () => this.SUBRULE(this.name) }]);
          let name = t.image;
          let last = t;
          // package::NAME and hierarchical a.b references
          this.MANY(() => {
            const sep = this.OR3([{ ALT: () => this.CONSUME(T.Dot) }, { ALT: () => this.CONSUME(T.operators.find((o) => o.name === 'ScopeRes')!) }]);
            const n = this.SUBRULE2(this.name);
            this.ACTION(() => ((name += sep.image + n.image), (last = n)));
          });
          let call: Expr | undefined;
          this.OPTION2(() => {
            this.CONSUME2(T.LParen);
            const args: Expr[] = [];
            this.OPTION3(() => {
              args.push(this.SUBRULE4(this.expression));
              this.MANY2(() => {
                this.CONSUME(T.Comma);
                const a = this.SUBRULE5(this.expression);
                this.ACTION(() => args.push(a));
              });
            });
            const close = this.CONSUME2(T.RParen);
            call = this.ACTION(() => ({ k: 'call' as const, name, args, from: t.startOffset, to: end(close), tok: t }));
          });
          return this.ACTION(() => call ?? { k: 'id' as const, name, from: t.startOffset, to: end(last), tok: t });
        },
      },
    ]);
  });

  // {a, b}  or  {n{a, b}}
  private braces = this.RULE('braces', (): Expr => {
    const open = this.CONSUME(T.LBrace);
    const first = this.SUBRULE(this.expression);
    const result = this.OR([
      {
        ALT: () => {
          this.CONSUME2(T.LBrace);
          const parts = [this.SUBRULE2(this.expression)];
          this.MANY(() => {
            this.CONSUME(T.Comma);
            const p = this.SUBRULE3(this.expression);
            this.ACTION(() => parts.push(p));
          });
          this.CONSUME(T.RBrace);
          return { k: 'repl' as const, count: first, parts };
        },
      },
      {
        ALT: () => {
          const parts = [first];
          this.MANY2(() => {
            this.CONSUME2(T.Comma);
            const p = this.SUBRULE4(this.expression);
            this.ACTION(() => parts.push(p));
          });
          return { k: 'concat' as const, parts };
        },
      },
    ]);
    const close = this.CONSUME2(T.RBrace);
    return this.ACTION(() => ({ ...result, from: open.startOffset, to: end(close), tok: open }) as Expr);
  });
}

function climb(operands: Expr[], ops: IToken[]): Expr {
  let pos = 0;
  let opIdx = 0;
  const parse = (minPrec: number): Expr => {
    let lhs = operands[pos++]!;
    while (opIdx < ops.length) {
      const o = ops[opIdx]!;
      const prec = PRECEDENCE[o.image] ?? 0;
      if (prec < minPrec) break;
      opIdx++;
      const rhs = parse(prec + 1);
      lhs = { k: 'bin', op: o.image, l: lhs, r: rhs, from: lhs.from, to: rhs.to, tok: o };
    }
    return lhs;
  };
  return parse(0);
}

/** Decodes a Verilog number literal. x/z/? digits leave `value` undefined. */
export function numberExpr(t: IToken): Expr {
  const text = t.image.replace(/[_\s]/g, '');
  const from = t.startOffset;
  const to = end(t);
  const tick = text.indexOf("'");
  if (tick < 0) return { k: 'num', value: BigInt(text), signed: true, from, to, tok: t };
  if (tick === 0 && text.length === 2) {
    // Unbased unsized '0 / '1 (fill to the context width; taken as 0 or all ones of 1 bit here).
    const d = text[1]!.toLowerCase();
    return { k: 'num', value: d === '0' ? 0n : d === '1' ? 1n : undefined, signed: false, from, to, tok: t };
  }
  const width = tick > 0 ? Number(text.slice(0, tick)) : undefined;
  if (width !== undefined && (width < 1 || width > 1 << 16)) {
    return { k: 'num', signed: false, invalid: `literal width ${width} is out of range (1 to 65536 bits)`, from, to, tok: t };
  }
  let i = tick + 1;
  const signed = text[i] === 's' || text[i] === 'S';
  if (signed) i++;
  const base = text[i]!.toLowerCase();
  const digits = text.slice(i + 1).toLowerCase();
  const radix = { b: 2, o: 8, d: 10, h: 16 }[base]!;
  let value: bigint | undefined;
  if (!/[xz?]/.test(digits)) {
    value = 0n;
    for (const ch of digits) value = value * BigInt(radix) + BigInt(parseInt(ch, radix));
    if (width !== undefined) {
      value &= (1n << BigInt(width)) - 1n;
      if (signed && width > 0 && value >> BigInt(width - 1) === 1n) value -= 1n << BigInt(width);
    }
  }
  return { k: 'num', value, width, signed, from, to, tok: t };
}

export type { TokenType };
