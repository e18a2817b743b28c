/**
 * Verilog-2005 module headers, read with a Chevrotain parser.
 *
 * API
 *   parseVerilogHeaders(text, fileName, paramOverrides?, options?) => ModuleHeader[]
 *     every module in the file, in order; throws VerilogParseError `file:line:col: what is wrong`.
 *     paramOverrides: { NAME: value } applied to every module that has a (non-local) parameter NAME,
 *       as a parent's #(.NAME(value)) would; a name no module has is an error (catches typos).
 *     options.defines: `define values, as +define+NAME=VALUE would give.
 *   readVerilogHeaders(path, paramOverrides?, options?) => the same, reading the file (UserError if unreadable).
 *   findModule(headers, name) => the header, or a UserError listing the modules there are.
 *
 * What is understood: ANSI and non-ANSI port lists (including `output reg q` /
 * `output q; reg q;` pairs), `#(parameter ...)` lists and body
 * parameter/localparam declarations (body `parameter`s become local when the
 * module has a #() list, as the standard says), widths given by constant
 * expressions (+ - * / % ** << >> ?: comparisons, logic, $clog2, parentheses,
 * sized/based literals, concatenations), signed/unsigned, wire/reg/logic and
 * the other net kinds, integer-typed ports, SystemVerilog packed multi-dimensional
 * ranges, attributes (attached to the module or port after them),
 * `define/`ifdef, and `timescale/`default_nettype and similar directives
 * (ignored). The body after the header is skipped up to its `endmodule`, with
 * begin/end, function, task, generate, case, specify ... regions tracked so
 * that only the module's own declarations are read.
 */
import { readFileSync } from 'node:fs';
import type { IToken } from 'chevrotain';
import { UserError } from '../../util/errors.ts';
import { VerilogParseError } from './errors.ts';
import { evaluate, EvalError, norm, type Env, type Value } from './evaluate.ts';
import * as T from './lexer.ts';
import { HeaderParser, describe, type Expr, type RawParam, type RawPortDecl, type RawRange } from './parser.ts';
import { preprocess } from './preprocess.ts';

export type Direction = 'input' | 'output' | 'inout';

export interface ParameterInfo {
  name: string;
  /** The default as written (whitespace collapsed), e.g. `DATA_W/8` or `"rom.hex"`. */
  defaultValue?: string;
  /** The value after overrides, when it is a number that fits a JS number exactly. */
  value?: number;
  /** The exact integer value (any size), when the value is an integer. */
  bigValue?: bigint;
  /** The value of a string parameter. */
  stringValue?: string;
  /** Bit width and signedness of an integer value, by Verilog's sizing rules (unsized literals: 32 bits). */
  width?: number;
  signed?: boolean;
  /** A type parameter (`parameter type T = logic [7:0]`): defaultValue holds the type. */
  isType?: boolean;
  /** localparam, or a body `parameter` of a module that has a #() list: cannot be overridden. */
  local: boolean;
  overridden: boolean;
  line: number;
}

export interface PortInfo {
  name: string;
  direction: Direction;
  width: number;
  msb: number;
  lsb: number;
  signed: boolean;
  /** wire, reg, logic, ... or the data type of integer-typed ports (integer, int, ...). */
  kind: string;
  line: number;
  col: number;
  /** `(* KEY = "value" *)` attributes written before the port ("1" when no value is given). */
  attributes: Record<string, string>;
}

export interface ModuleHeader {
  name: string;
  file: string;
  line: number;
  ansi: boolean;
  parameters: ParameterInfo[];
  ports: PortInfo[];
  attributes: Record<string, string>;
}

export type ParamOverrides = Record<string, number | bigint | string>;

export interface ParseOptions {
  defines?: Record<string, string>;
  /** Folders searched for `include files after the including file's own folder. */
  includeDirs?: string[];
}

const parser = new HeaderParser();

/** Region keywords (begin, function, ...) as token type names, opener -> closers. */
const OPENERS = new Map(Object.entries(T.REGION_PAIRS).map(([o, c]) => [`Kw_${o}`, c.map((x) => `Kw_${x}`)]));
const CLOSERS = new Set([...OPENERS.values()].flat());

/**
 * `assert property (...)`, `cover sequence (...)`, `disable fork` and `wait fork` use
 * region keywords as plain words: only a declaration opens a region.
 */
function opensRegion(tokens: IToken[], i: number): boolean {
  const t = tokens[i]!;
  if (!OPENERS.has(t.tokenType.name)) return false;
  const prev = tokens[i - 1]?.image;
  if ((t.image === 'property' || t.image === 'sequence') && prev && /^(assert|assume|cover|restrict|expect)$/.test(prev)) return false;
  if (t.image === 'fork' && (prev === 'disable' || prev === 'wait')) return false;
  return true;
}

export function parseVerilogHeaders(text: string, fileName: string, paramOverrides: ParamOverrides = {}, options: ParseOptions = {}): ModuleHeader[] {
  const source = preprocess(text, fileName, options.defines, { includeDirs: options.includeDirs });
  const lexed = T.verilogLexer.tokenize(source);
  if (lexed.errors.length > 0) {
    const err = lexed.errors[0]!;
    throw new VerilogParseError(fileName, err.line ?? 1, err.column ?? 1, err.message);
  }
  const ctx = new FileContext(fileName, source, lexed.tokens, (lexed.groups.attributes ?? []) as IToken[], paramOverrides);
  const modules: ModuleHeader[] = [];
  let i = 0;
  const tokens = lexed.tokens;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.tokenType === T.Module || t.tokenType === T.Macromodule) {
      const { header, next } = ctx.parseModule(i);
      modules.push(header);
      i = next;
    } else if (opensRegion(tokens, i)) {
      // primitive / package / interface / config outside modules: not headers we describe.
      i = ctx.skipRegion(i);
    } else if (t.tokenType === T.Identifier && /^(import|export|timeunit|timeprecision|typedef)$/.test(t.image)) {
      i = ctx.statementEnd(i) + 1;
    } else {
      ctx.fail(t, `expected 'module', found ${describe(t)}`);
    }
  }
  ctx.checkOverridesUsed(modules);
  return modules;
}

export function readVerilogHeaders(path: string, paramOverrides?: ParamOverrides, options?: ParseOptions): ModuleHeader[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read Verilog file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the path`);
  }
  return parseVerilogHeaders(text, path, paramOverrides, options);
}

export function findModule(headers: readonly ModuleHeader[], name: string): ModuleHeader {
  const m = headers.find((h) => h.name === name);
  if (!m) {
    const have = headers.map((h) => h.name).join(', ') || 'none';
    throw new UserError(`module '${name}' is not in the given Verilog (modules found: ${have}): check the top name or the file list`);
  }
  return m;
}

interface Scope {
  env: Env;
  params: ParameterInfo[];
}

class FileContext {
  constructor(
    readonly file: string,
    readonly source: string,
    readonly tokens: IToken[],
    readonly attributes: IToken[],
    readonly overrides: ParamOverrides,
  ) {}

  fail(t: IToken | undefined, what: string): never {
    const tok = t && Number.isFinite(t.startLine) ? t : this.tokens[this.tokens.length - 1];
    throw new VerilogParseError(this.file, tok?.startLine ?? 1, tok?.startColumn ?? 1, what);
  }

  /** Index of the `;` ending the statement that starts at i (brackets balanced). */
  statementEnd(i: number): number {
    let depth = 0;
    for (let j = i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.tokenType === T.LParen || t.tokenType === T.LBracket || t.tokenType === T.LBrace) depth++;
      else if (t.tokenType === T.RParen || t.tokenType === T.RBracket || t.tokenType === T.RBrace) depth--;
      else if (t.tokenType === T.Semi && depth <= 0) return j;
      else if (j > i && (t.tokenType === T.Endmodule || t.tokenType === T.Module)) return j;
    }
    return this.tokens.length - 1;
  }

  /** From an opener (begin, function, ...) at i to just after its matching closer. */
  skipRegion(i: number): number {
    const stack: IToken[] = [];
    for (let j = i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      const name = t.tokenType.name;
      if (opensRegion(this.tokens, j)) stack.push(t);
      else if (OPENERS.has(name)) continue;
      else if (CLOSERS.has(name)) {
        const open = stack.pop();
        if (!open) this.fail(t, `'${t.image}' without a matching opening keyword`);
        if (!OPENERS.get(open!.tokenType.name)!.includes(name)) this.fail(t, `'${t.image}' closes '${open!.image}' (line ${open!.startLine}), which needs ${OPENERS.get(open!.tokenType.name)!.map((c) => `'${c.slice(3)}'`).join(' or ')}`);
        if (stack.length === 0) return j + 1;
      } else if (t.tokenType === T.Endmodule || t.tokenType === T.Module) {
        const open = stack[stack.length - 1]!;
        this.fail(open, `'${open.image}' is not closed before '${t.image}' on line ${t.startLine}`);
      }
    }
    const open = stack[stack.length - 1] ?? this.tokens[i];
    return this.fail(open, `'${open!.image}' is not closed before the end of the file`);
  }

  private parse<R>(from: number, to: number, rule: () => R): R {
    parser.input = this.tokens.slice(from, to + 1);
    const result = rule();
    const err = parser.errors[0];
    if (err) {
      const tok = err.token.tokenType.name === 'EOF' ? this.tokens[to] : err.token;
      this.fail(tok, err.message);
    }
    return result;
  }

  parseModule(start: number): { header: ModuleHeader; next: number } {
    const moduleTok = this.tokens[start]!;
    const headerEnd = this.statementEnd(start);
    const raw = this.parse(start, headerEnd, () => parser.moduleHeader());
    const name = raw.name;
    const ansi = raw.ports?.some((p) => p.direction !== undefined) ?? false;
    const scope: Scope = { env: new Map(), params: [] };
    this.declareParams(raw.params, scope, false);

    // Non-ANSI: the body's declarations complete the ports named in the header.
    const bodyPorts = new Map<string, RawPortDecl>();
    const bodyNets = new Map<string, RawPortDecl>();
    let i = headerEnd + 1;
    for (;;) {
      const t = this.tokens[i];
      if (!t) this.fail(moduleTok, `module '${name}' has no endmodule`);
      const type = t!.tokenType;
      if (type === T.Endmodule) break;
      if (type === T.Module || type === T.Macromodule) this.fail(moduleTok, `module '${name}' has no endmodule before the next module on line ${t!.startLine}`);
      if (opensRegion(this.tokens, i)) {
        i = this.skipRegion(i);
        continue;
      }
      if (CLOSERS.has(type.name)) this.fail(t, `'${t!.image}' without a matching opening keyword`);
      if (type === T.Parameter || type === T.Localparam) {
        const stop = this.statementEnd(i);
        this.declareParams(this.parse(i, stop, () => parser.paramStatement()), scope, raw.params.length > 0);
        i = stop + 1;
      } else if (type === T.Input || type === T.Output || type === T.Inout) {
        const stop = this.statementEnd(i);
        if (ansi) this.fail(t, `port declaration in the body of '${name}', whose header already declares its ports (ANSI style): move it into the header`);
        for (const d of inheritDeclarations(this.parse(i, stop, () => parser.portStatement()))) {
          if (bodyPorts.has(d.name)) this.fail(d.tok, `port '${d.name}' is declared twice`);
          bodyPorts.set(d.name, d);
        }
        i = stop + 1;
      } else if (tokenIs(type, T.NetKind) || tokenIs(type, T.DataType)) {
        const stop = this.statementEnd(i);
        // Net declarations matter only when they name a port (`output q; reg q;`); those with
        // delays or drive strengths, which the grammar does not cover, cannot.
        parser.input = this.tokens.slice(i, stop + 1);
        const decls = parser.portStatement();
        if (parser.errors.length === 0) for (const d of inheritDeclarations(decls)) bodyNets.set(d.name, d);
        i = stop + 1;
      } else i++;
    }
    let next = i + 1;
    // SystemVerilog's `endmodule : name`
    if (this.tokens[next]?.tokenType === T.Colon) next += 2;

    // Yosys's `(...)` lists the body's port declarations, in their order.
    const listed = raw.wildcardPorts ? [...bodyPorts.values()].map((d) => ({ name: d.name, tok: d.tok, first: d.tok, ranges: [], explicit: false })) : raw.ports ?? [];
    const ports = ansi ? this.ansiPorts(raw.ports!, scope) : this.nonAnsiPorts(listed, bodyPorts, bodyNets, scope, name);
    const header: ModuleHeader = {
      name,
      file: this.file,
      line: moduleTok.startLine!,
      ansi,
      parameters: scope.params,
      ports,
      attributes: this.attributesBefore(moduleTok),
    };
    return { header, next };
  }

  private declareParams(raws: RawParam[], scope: Scope, bodyOfListedModule: boolean): void {
    let prev: RawParam | undefined;
    for (const r of raws) {
      // `#(parameter A = 1, B = 2)`: B inherits keyword, type, signedness and range.
      const p = r.keyword || !prev || r.isType ? r : { ...r, keyword: prev.keyword, dataType: prev.dataType, signed: prev.signed, range: prev.range };
      prev = p;
      const local = p.keyword === 'localparam' || (p.keyword === 'parameter' && bodyOfListedModule);
      if (scope.env.has(p.name)) this.fail(p.tok, `parameter '${p.name}' is declared twice`);
      const info: ParameterInfo = {
        name: p.name,
        defaultValue: this.text(p.expr),
        local,
        overridden: false,
        line: p.tok.startLine!,
      };
      let value: Value | { unknown: string };
      const override = this.overrides[p.name];
      if (p.isType) {
        info.isType = true;
        if (override !== undefined) info.overridden = true;
        value = { unknown: `'${p.name}' is a type parameter` };
      } else if (override !== undefined && !local) {
        info.overridden = true;
        value = overrideValue(override);
      } else if (override !== undefined && local) {
        this.fail(p.tok, `'${p.name}' is a localparam and cannot be overridden: override a parameter it depends on`);
      } else {
        try {
          value = this.shape(evaluate(p.expr, scope.env), p, scope.env);
        } catch (e) {
          if (!(e instanceof EvalError)) throw e;
          value = { unknown: e.what };
        }
      }
      if ('kind' in value) {
        if (value.kind === 'int') {
          info.bigValue = value.v;
          info.width = value.width;
          info.signed = value.signed;
          if (Number.isSafeInteger(Number(value.v))) info.value = Number(value.v);
        } else if (value.kind === 'real') info.value = value.v;
        else info.stringValue = value.v;
      }
      scope.env.set(p.name, value);
      scope.params.push(info);
    }
  }

  /** Applies a parameter's declared type or range: `parameter [3:0] P = 20` holds 4. */
  private shape(v: Value, p: RawParam, env: Env): Value {
    if (v.kind === 'str') return v;
    if (p.dataType === 'real' || p.dataType === 'realtime') return { kind: 'real', v: Number(v.v) };
    const fixed = p.dataType ? FIXED_TYPES[p.dataType] : undefined;
    const width = p.range ? this.rangeWidth(p.range, env, `parameter '${p.name}'`).width : fixed?.width;
    if (width === undefined && p.signed === undefined) return v;
    const int = v.kind === 'real' ? { v: BigInt(Math.round(v.v)), width: 64, signed: true } : v;
    const signed = p.signed ?? (p.range ? false : (fixed?.signed ?? int.signed));
    const w = width ?? int.width;
    return { kind: 'int', v: norm(norm(int.v, int.width, int.signed), w, signed), width: w, signed };
  }

  private evalInt(e: Expr, env: Env, what: string): number {
    try {
      const v = evaluate(e, env);
      if (v.kind !== 'int') throw new EvalError(e.tok, `it is a ${v.kind === 'str' ? 'string' : 'real number'}`);
      if (!Number.isSafeInteger(Number(v.v))) throw new EvalError(e.tok, `${v.v} is out of range`);
      return Number(v.v);
    } catch (err) {
      if (err instanceof EvalError) this.fail(err.tok, `cannot evaluate ${what}: ${err.what}`);
      throw err;
    }
  }

  private rangeWidth(r: RawRange, env: Env, what: string): { msb: number; lsb: number; width: number } {
    const msb = this.evalInt(r.msb, env, `the range of ${what}`);
    const lsb = this.evalInt(r.lsb, env, `the range of ${what}`);
    return { msb, lsb, width: Math.abs(msb - lsb) + 1 };
  }

  private portShape(d: RawPortDecl, env: Env, attributes: Record<string, string>, net?: RawPortDecl): PortInfo {
    if (d.unpacked) this.fail(d.unpacked, `port '${d.name}' is an unpacked array, which Verilog-2005 ports cannot be: flatten it into a vector`);
    const ranges = d.ranges.length > 0 ? d.ranges : (net?.ranges ?? []);
    const dataType = d.dataType ?? net?.dataType;
    const fixed = dataType ? FIXED_TYPES[dataType] : undefined;
    let msb = 0;
    let lsb = 0;
    let width = 1;
    if (ranges.length === 1) ({ msb, lsb, width } = this.rangeWidth(ranges[0]!, env, `port '${d.name}'`));
    else if (ranges.length > 1) {
      // Packed multi-dimensional (SystemVerilog): the flattened vector.
      width = ranges.reduce((w, r) => w * this.rangeWidth(r, env, `port '${d.name}'`).width, 1);
      msb = width - 1;
    } else if (fixed) {
      width = fixed.width;
      msb = width - 1;
    }
    if (width < 1) this.fail(d.tok, `port '${d.name}' has width ${width}: check its range`);
    return {
      name: d.name,
      direction: d.direction!,
      width,
      msb,
      lsb,
      signed: d.signed ?? net?.signed ?? fixed?.signed ?? false,
      kind: d.kind ?? net?.kind ?? dataType ?? 'wire',
      line: d.tok.startLine!,
      col: d.tok.startColumn!,
      attributes,
    };
  }

  private ansiPorts(items: RawPortDecl[], scope: Scope): PortInfo[] {
    const ports: PortInfo[] = [];
    let prev: RawPortDecl | undefined;
    const seen = new Set<string>();
    for (const item of items) {
      let d = item;
      if (!d.direction) {
        if (!prev) this.fail(d.tok, `port '${d.name}' needs a direction (input, output or inout)`);
        // A bare name repeats the previous declaration; a type without a direction keeps the direction.
        d = d.explicit ? { ...d, direction: prev!.direction } : { ...prev!, name: d.name, tok: d.tok, first: d.first, unpacked: d.unpacked };
      }
      prev = d;
      if (seen.has(d.name)) this.fail(d.tok, `port '${d.name}' is declared twice`);
      seen.add(d.name);
      ports.push(this.portShape(d, scope.env, this.attributesBefore(item.first)));
    }
    return ports;
  }

  private nonAnsiPorts(items: RawPortDecl[], decls: Map<string, RawPortDecl>, nets: Map<string, RawPortDecl>, scope: Scope, module: string): PortInfo[] {
    const listed = new Set<string>();
    const ports: PortInfo[] = [];
    for (const item of items) {
      if (item.explicit) this.fail(item.tok, `port list of '${module}' mixes plain names and declarations: declare every port in the header or none`);
      if (item.internal === null) this.fail(item.tok, `port '${item.name}' of '${module}' connects to an expression, which the header parser does not support: connect it to one signal`);
      const inner = item.internal ?? item.name;
      if (listed.has(inner)) this.fail(item.tok, `port '${inner}' is listed twice`);
      listed.add(inner);
      const d = decls.get(inner);
      if (!d) this.fail(item.tok, `port '${inner}' has no input, output or inout declaration in the body of '${module}'`);
      if (!d!.direction) this.fail(d!.tok, `port '${inner}' needs a direction (input, output or inout)`);
      const attributes = { ...this.attributesBefore(item.first), ...this.attributesBefore(d!.first) };
      ports.push({ ...this.portShape(d!, scope.env, attributes, nets.get(inner)), name: item.name });
    }
    for (const d of decls.values()) {
      if (!listed.has(d.name)) this.fail(d.tok, `'${d.name}' is declared ${d.direction} but is not in the port list of '${module}'`);
    }
    return ports;
  }

  /** Source text of an expression, whitespace collapsed. */
  private text(e: Expr): string {
    return this.source.slice(e.from, e.to + 1).replace(/\s+/g, ' ').trim();
  }

  /** Attributes written between the previous token and `t`. */
  attributesBefore(t: IToken): Record<string, string> {
    if (this.attributes.length === 0) return {};
    const idx = firstAtOrAfter(this.tokens, t.startOffset);
    const after = idx > 0 ? this.tokens[idx - 1]!.endOffset! : -1;
    const lo = firstAtOrAfter(this.attributes, after + 1);
    const out: Record<string, string> = {};
    for (let a = lo; a < this.attributes.length && this.attributes[a]!.startOffset < t.startOffset; a++) {
      Object.assign(out, parseAttribute(this.attributes[a]!.image));
    }
    return out;
  }

  checkOverridesUsed(modules: ModuleHeader[]): void {
    for (const name of Object.keys(this.overrides)) {
      if (!modules.some((m) => m.parameters.some((p) => p.name === name && !p.local))) {
        const have = [...new Set(modules.flatMap((m) => m.parameters.filter((p) => !p.local).map((p) => p.name)))].join(', ') || 'none';
        throw new UserError(`${this.file}: no module has a parameter '${name}' to override (parameters: ${have})`);
      }
    }
  }
}

/** An override is an integer (as wide as it needs, at least 32 bits, signed), a real or a string. */
function overrideValue(o: number | bigint | string): Value {
  if (typeof o === 'string') return { kind: 'str', v: o };
  if (typeof o === 'number' && !Number.isInteger(o)) return { kind: 'real', v: o };
  const v = BigInt(o);
  const bits = (v < 0n ? -v : v).toString(2).length + 1;
  return { kind: 'int', v, width: Math.max(32, bits), signed: true };
}

/** Types with a built-in width: `input integer x` is a signed 32-bit port. */
const FIXED_TYPES: Record<string, { width: number; signed: boolean }> = {
  integer: { width: 32, signed: true },
  int: { width: 32, signed: true },
  shortint: { width: 16, signed: true },
  longint: { width: 64, signed: true },
  byte: { width: 8, signed: true },
  time: { width: 64, signed: false },
};

/** Index of the first token starting at or after `offset` (tokens are in source order). */
function firstAtOrAfter(tokens: readonly IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset >= offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** `input [3:0] a, b;`: b is declared like a. */
function inheritDeclarations(list: RawPortDecl[]): RawPortDecl[] {
  let prev: RawPortDecl | undefined;
  return list.map((d) => (prev = !d.explicit && prev ? { ...prev, name: d.name, tok: d.tok, first: d.first, unpacked: d.unpacked } : d));
}

function tokenIs(type: { CATEGORIES?: { name: string }[] }, category: { name: string }): boolean {
  return (type.CATEGORIES ?? []).some((c) => c.name === category.name);
}

/** `(* KEEP = "TRUE", DONT_TOUCH, x = 3 *)` -> { KEEP: 'TRUE', DONT_TOUCH: '1', x: '3' } */
export function parseAttribute(image: string): Record<string, string> {
  const inner = image.slice(2, -2);
  const out: Record<string, string> = {};
  const items: string[] = [];
  let cur = '';
  let inString = false;
  for (const ch of inner) {
    if (ch === '"') inString = !inString;
    if (ch === ',' && !inString) {
      items.push(cur);
      cur = '';
    } else cur += ch;
  }
  items.push(cur);
  for (const item of items) {
    const m = /^\s*([A-Za-z_][\w$]*)\s*(?:=\s*([\s\S]*?))?\s*$/.exec(item);
    if (!m) continue;
    const v = m[2]?.trim();
    out[m[1]!] = v === undefined ? '1' : v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  }
  return out;
}
