/**
 * Constant-expression evaluation for parameter values and port widths, with
 * Verilog's sizing rules (IEEE 1364-2005 5.4): every integer has a width and a
 * signedness (unsized literals are 32 bits), an expression is evaluated at the
 * width of its context-determined operands, and comparison operands,
 * concatenation parts, shift amounts and conditions are self-determined. So
 * `4'd9 + 4'd9` is 2 while `(4'd9 + 4'd9) + 0` is 18, as in every simulator;
 * the tests check this against Verilator's own elaboration.
 *
 * Reals and strings are carried so that parameters like `INIT_FILE = "rom.hex"`
 * or `CLK_PERIOD = 10.0` still have a value.
 */
import type { IToken } from 'chevrotain';
import type { Expr } from './parser.ts';

export type Value =
  | { kind: 'int'; v: bigint; width: number; signed: boolean }
  | { kind: 'real'; v: number }
  | { kind: 'str'; v: string };
type IntValue = Extract<Value, { kind: 'int' }>;

/** Names in scope: a value, or the reason the parameter has none (shown when a width needs it). */
export type Env = Map<string, Value | { unknown: string }>;

export class EvalError extends Error {
  constructor(
    readonly tok: IToken,
    readonly what: string,
  ) {
    super(what);
  }
}

/** Widths beyond this are not constants anyone writes on purpose; refusing them keeps bigint sizes sane. */
const MAX_WIDTH = 1 << 16;

const mask = (w: number) => (1n << BigInt(w)) - 1n;

/** The two's-complement reading of v in w bits (signed) or its unsigned reading. */
export function norm(v: bigint, w: number, signed: boolean): bigint {
  let x = v & mask(w);
  if (signed && w > 0 && x >> BigInt(w - 1) === 1n) x -= 1n << BigInt(w);
  return x;
}

export function clog2(n: bigint): bigint {
  if (n <= 1n) return 0n;
  return BigInt((n - 1n).toString(2).length);
}

interface Size {
  width: number;
  signed: boolean;
  real: boolean;
  str: boolean;
}

const INT32: Size = { width: 32, signed: true, real: false, str: false };
const BIT: Size = { width: 1, signed: false, real: false, str: false };

function lookup(e: Extract<Expr, { k: 'id' }>, env: Env): Value {
  const v = env.get(e.name);
  if (!v) throw new EvalError(e.tok, `'${e.name}' is not a parameter declared before this point`);
  if ('unknown' in v) throw new EvalError(e.tok, `parameter '${e.name}' has no constant value (${v.unknown})`);
  return v;
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=', '===', '!==']);
const LOGICAL = new Set(['&&', '||']);
const SHIFTS = new Set(['<<', '>>', '<<<', '>>>', '**']);

/** The self-determined size of an expression. */
function size(e: Expr, env: Env): Size {
  switch (e.k) {
    case 'num':
      if (e.invalid) throw new EvalError(e.tok, e.invalid);
      return { width: literalWidth(e), signed: e.signed, real: false, str: false };
    case 'real':
      return { width: 64, signed: true, real: true, str: false };
    case 'str':
      return { width: 8 * e.value.length, signed: false, real: false, str: true };
    case 'id': {
      const v = lookup(e, env);
      if (v.kind === 'int') return { width: v.width, signed: v.signed, real: false, str: false };
      return v.kind === 'real' ? { width: 64, signed: true, real: true, str: false } : { width: 8 * v.v.length, signed: false, real: false, str: true };
    }
    case 'unary':
      return e.op === '+' || e.op === '-' || e.op === '~' ? size(e.arg, env) : BIT;
    case 'bin': {
      if (COMPARISONS.has(e.op) || LOGICAL.has(e.op)) return BIT;
      const l = size(e.l, env);
      if (SHIFTS.has(e.op)) return e.op === '**' ? { ...l, signed: l.signed && size(e.r, env).signed, real: l.real || size(e.r, env).real } : l;
      return combine(l, size(e.r, env));
    }
    case 'cond':
      return combine(size(e.t, env), size(e.f, env));
    case 'call':
      switch (e.name) {
        case '$signed':
        case '$unsigned':
          return { ...argSize(e, env), signed: e.name === '$signed' };
        case '$itor':
          return { width: 64, signed: true, real: true, str: false };
        default:
          return INT32;
      }
    case 'concat':
    case 'repl': {
      const w = e.parts.reduce((acc, p) => acc + size(p, env).width, 0);
      const n = e.k === 'repl' ? Number(evaluateInt(e.count, env)) : 1;
      return { width: w * n, signed: false, real: false, str: false };
    }
    case 'type':
      throw new EvalError(e.tok, 'it is a type, not a value');
    case 'select':
      return { width: e.mode === 'bit' ? 1 : e.mode === ':' ? selectWidth(e, env) : Number(evaluateInt(e.lsb!, env)), signed: false, real: false, str: false };
  }
}

function argSize(e: Extract<Expr, { k: 'call' }>, env: Env): Size {
  const a = e.args[0];
  if (!a) throw new EvalError(e.tok, `${e.name} needs an argument`);
  return size(a, env);
}

function selectWidth(e: Extract<Expr, { k: 'select' }>, env: Env): number {
  return Math.abs(Number(evaluateInt(e.msb, env)) - Number(evaluateInt(e.lsb!, env))) + 1;
}

function combine(a: Size, b: Size): Size {
  return { width: Math.max(a.width, b.width), signed: a.signed && b.signed, real: a.real || b.real, str: a.str && b.str };
}

/** Evaluates a whole (self-determined) expression. */
export function evaluate(e: Expr, env: Env): Value {
  const s = size(e, env);
  if (s.str && e.k !== 'bin') {
    if (e.k === 'str') return { kind: 'str', v: e.value };
    if (e.k === 'id') return lookup(e, env);
  }
  if (s.real) return { kind: 'real', v: evalReal(e, env) };
  if (s.width > MAX_WIDTH) throw new EvalError(e.tok, `the expression is ${s.width} bits wide, more than a constant may be`);
  return { kind: 'int', v: evalAt(e, env, s.width, s.signed), width: s.width, signed: s.signed };
}

export function evaluateInt(e: Expr, env: Env): bigint {
  const v = evaluate(e, env);
  if (v.kind === 'int') return v.v;
  if (v.kind === 'real') return BigInt(Math.round(v.v));
  throw new EvalError(e.tok, 'a string cannot be used as a number here');
}

/** Extends a stored value to the context: sign-extended only when the context is signed. */
function extend(v: IntValue | { v: bigint; width: number; signed: boolean }, w: number, signed: boolean): bigint {
  const own = norm(v.v, v.width, v.signed && signed);
  return norm(own, w, signed);
}

function evalAt(e: Expr, env: Env, w: number, s: boolean): bigint {
  const n = (v: bigint) => norm(v, w, s);
  switch (e.k) {
    case 'num':
      if (e.invalid) throw new EvalError(e.tok, e.invalid);
      if (e.value === undefined) throw new EvalError(e.tok, `${e.tok.image} has x/z bits, so it has no constant value`);
      return extend({ v: e.value, width: literalWidth(e), signed: e.signed }, w, s);
    case 'real':
      return n(BigInt(Math.round(e.value)));
    case 'str':
      return n(stringBits(e.value));
    case 'id': {
      const v = lookup(e, env);
      if (v.kind === 'int') return extend(v, w, s);
      if (v.kind === 'real') return n(BigInt(Math.round(v.v)));
      return n(stringBits(v.v));
    }
    case 'unary': {
      if (e.op === '+') return evalAt(e.arg, env, w, s);
      if (e.op === '-') return n(-evalAt(e.arg, env, w, s));
      if (e.op === '~') return n(~evalAt(e.arg, env, w, s));
      const a = evaluate(e.arg, env);
      if (a.kind !== 'int') throw new EvalError(e.tok, `operator '${e.op}' needs an integer`);
      const bits = a.v & mask(a.width);
      const ones = bits.toString(2).split('').filter((c) => c === '1').length;
      const all = bits === mask(a.width);
      const r = { '!': bits === 0n, '&': all, '~&': !all, '|': bits !== 0n, '~|': bits === 0n, '^': ones % 2 === 1, '~^': ones % 2 === 0, '^~': ones % 2 === 0 }[e.op];
      if (r === undefined) throw new EvalError(e.tok, `unsupported operator '${e.op}'`);
      return r ? 1n : 0n;
    }
    case 'bin':
      return n(binary(e, env, w, s));
    case 'cond':
      return evaluateInt(e.c, env) !== 0n ? evalAt(e.t, env, w, s) : evalAt(e.f, env, w, s);
    case 'call':
      return n(call(e, env, w, s));
    case 'concat':
    case 'repl': {
      let v = 0n;
      let width = 0;
      for (const p of e.parts) {
        if (p.k === 'num' && p.width === undefined) throw new EvalError(p.tok, `unsized number ${p.tok.image} in a concatenation: give it a size, like 32'd${p.tok.image}`);
        const pv = evaluate(p, env);
        if (pv.kind !== 'int') throw new EvalError(p.tok, 'a concatenation needs integer parts');
        v = (v << BigInt(pv.width)) | (pv.v & mask(pv.width));
        width += pv.width;
      }
      if (e.k === 'repl') {
        const count = Number(evaluateInt(e.count, env));
        if (count < 0 || count * width > MAX_WIDTH) throw new EvalError(e.count.tok, `replication count ${count} is out of range`);
        let r = 0n;
        for (let i = 0; i < count; i++) r = (r << BigInt(width)) | v;
        return extend({ v: r, width: width * count, signed: false }, w, s);
      }
      return extend({ v, width, signed: false }, w, s);
    }
    case 'type':
      throw new EvalError(e.tok, 'it is a type, not a value');
    case 'select': {
      const base = evaluate(e.base, env);
      if (base.kind !== 'int') throw new EvalError(e.tok, 'only integer parameters can be bit-selected');
      const raw = base.v & mask(base.width);
      const a = Number(evaluateInt(e.msb, env));
      if (e.mode === 'bit') return extend({ v: (raw >> BigInt(a)) & 1n, width: 1, signed: false }, w, s);
      const b = Number(evaluateInt(e.lsb!, env));
      const [lo, width] = e.mode === ':' ? [Math.min(a, b), Math.abs(a - b) + 1] : e.mode === '+:' ? [a, b] : [a - b + 1, b];
      return extend({ v: (raw >> BigInt(lo)) & mask(width), width, signed: false }, w, s);
    }
  }
}

function binary(e: Extract<Expr, { k: 'bin' }>, env: Env, w: number, s: boolean): bigint {
  const op = e.op;
  if (COMPARISONS.has(op)) {
    const ls = size(e.l, env);
    const rs = size(e.r, env);
    if (ls.str || rs.str) {
      const [a, b] = [evaluate(e.l, env), evaluate(e.r, env)];
      if ((op === '==' || op === '!=') && a.kind === 'str' && b.kind === 'str') return (a.v === b.v) === (op === '==') ? 1n : 0n;
    }
    const c = combine(ls, rs);
    const x = evalAt(e.l, env, c.width, c.signed);
    const y = evalAt(e.r, env, c.width, c.signed);
    const r = { '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y, '==': x === y, '===': x === y, '!=': x !== y, '!==': x !== y }[op]!;
    return r ? 1n : 0n;
  }
  if (LOGICAL.has(op)) {
    const x = evaluateInt(e.l, env) !== 0n;
    const y = evaluateInt(e.r, env) !== 0n;
    return (op === '&&' ? x && y : x || y) ? 1n : 0n;
  }
  if (SHIFTS.has(op)) {
    const x = evalAt(e.l, env, w, s);
    const amountValue = evaluate(e.r, env);
    if (amountValue.kind !== 'int') throw new EvalError(e.r.tok, `the right operand of '${op}' must be an integer`);
    const y = amountValue.v;
    if (op === '**') {
      if (y < 0n) return x === 1n ? 1n : x === -1n ? (y % 2n === 0n ? 1n : -1n) : x === 0n ? mask(w) : 0n;
      // Only the low w bits survive, so square-and-multiply modulo 2^w is exact and cheap.
      let r = 1n;
      let b = x;
      let k = y;
      const m = mask(w);
      while (k > 0n) {
        if (k & 1n) r = (r * b) & m;
        b = (b * b) & m;
        k >>= 1n;
      }
      return r;
    }
    // Negative amounts come only from signed operands read as two's complement; Verilog treats the amount as unsigned.
    const amount = amountValue.v < 0n ? amountValue.v & mask(amountValue.width) : amountValue.v;
    if (amount >= BigInt(w)) return op === '>>>' && s && x < 0n ? -1n : 0n;
    if (op === '<<' || op === '<<<') return x << amount;
    if (op === '>>>' && s) return x >> amount;
    return (x & mask(w)) >> amount;
  }
  const x = evalAt(e.l, env, w, s);
  const y = evalAt(e.r, env, w, s);
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/':
      if (y === 0n) throw new EvalError(e.tok, 'division by zero');
      return x / y;
    case '%':
      if (y === 0n) throw new EvalError(e.tok, 'modulo by zero');
      return x % y;
    case '&': return x & y;
    case '|': return x | y;
    case '^': return x ^ y;
    case '~^':
    case '^~': return ~(x ^ y);
  }
  throw new EvalError(e.tok, `unsupported operator '${op}'`);
}

function call(e: Extract<Expr, { k: 'call' }>, env: Env, w: number, s: boolean): bigint {
  const first = e.args[0];
  if (e.name.startsWith('$') && !first) throw new EvalError(e.tok, `${e.name} needs an argument`);
  switch (e.name) {
    case '$clog2':
      return clog2(evaluateInt(first!, env) & mask(size(first!, env).width));
    case '$signed':
    case '$unsigned': {
      const a = evaluate(first!, env);
      if (a.kind !== 'int') throw new EvalError(e.tok, `${e.name} needs an integer`);
      return extend({ v: a.v, width: a.width, signed: e.name === '$signed' }, w, s);
    }
    case '$rtoi':
      return BigInt(Math.trunc(evalReal(first!, env)));
    case '$bits':
      return BigInt(size(first!, env).width);
  }
  throw new EvalError(
    e.tok,
    e.name.startsWith('$') ? `system function ${e.name} is not supported in constant expressions` : `it calls function '${e.name}', which the header parser does not evaluate`,
  );
}

function evalReal(e: Expr, env: Env): number {
  switch (e.k) {
    case 'real':
      return e.value;
    case 'id': {
      const v = lookup(e, env);
      if (v.kind === 'str') throw new EvalError(e.tok, `'${e.name}' is a string, not a number`);
      return Number(v.v);
    }
    case 'unary':
      if (e.op === '-') return -evalReal(e.arg, env);
      if (e.op === '+') return evalReal(e.arg, env);
      break;
    case 'bin': {
      const x = evalReal(e.l, env);
      const y = evalReal(e.r, env);
      const r = { '+': x + y, '-': x - y, '*': x * y, '/': x / y, '**': x ** y }[e.op];
      if (r !== undefined) return r;
      const b = { '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y, '==': x === y, '!=': x !== y, '&&': x !== 0 && y !== 0, '||': x !== 0 || y !== 0 }[e.op];
      if (b !== undefined) return b ? 1 : 0;
      break;
    }
    case 'cond':
      return evaluateInt(e.c, env) !== 0n ? evalReal(e.t, env) : evalReal(e.f, env);
    case 'call':
      if (e.name === '$itor' && e.args[0]) return Number(evaluateInt(e.args[0], env));
      break;
    default: {
      const v = evaluate(e, env);
      if (v.kind === 'int') return Number(v.v);
    }
  }
  throw new EvalError(e.tok, `this cannot be evaluated as a real number`);
}

/** Unsized literals are 32 bits, or as wide as their value needs (simulators widen them the same way). */
function literalWidth(e: Extract<Expr, { k: 'num' }>): number {
  if (e.width !== undefined) return e.width;
  const bits = e.value === undefined || e.value <= 0n ? 0 : e.value.toString(2).length + (e.signed ? 1 : 0);
  return Math.max(32, bits);
}

function stringBits(s: string): bigint {
  let v = 0n;
  for (const ch of Buffer.from(s, 'latin1')) v = (v << 8n) | BigInt(ch);
  return v;
}
