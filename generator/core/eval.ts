/**
 * A bit-exact interpreter of expressions: the reference the emitted Verilog is
 * tested against, and a quick way to compute what a constant expression means.
 * Values are bit patterns (bigint, 0 <= v < 2^width), as on the wires.
 */
import type { Expr, Signal } from './expr.ts';

const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;

/** The pattern of `v` as a `w`-bit number (two's complement for negatives). */
export function toBits(v: bigint, w: number): bigint {
  return v & mask(w);
}

/** Reads a `w`-bit pattern as a signed value. */
export function fromSigned(v: bigint, w: number): bigint {
  return v >> BigInt(w - 1) & 1n ? v - (1n << BigInt(w)) : v;
}

/** `v` (the pattern of e) extended to `w` bits by e's signedness. */
function extend(v: bigint, e: Expr, w: number): bigint {
  return e.type.signed ? toBits(fromSigned(v, e.width), w) : v;
}

/** Evaluate `e` with signal values from `read` (bit patterns). */
export function evaluate(e: Expr, read: (s: Signal) => bigint, memo = new Map<Expr, bigint>()): bigint {
  const hit = memo.get(e);
  if (hit !== undefined) return hit;
  const a = e.args;
  const ev = (x: Expr): bigint => evaluate(x, read, memo);
  const w = e.width;
  const at = (i: number, width = w): bigint => extend(ev(a[i]!), a[i]!, width);
  let v: bigint;
  switch (e.op) {
    case 'const': v = toBits(e.param.value!, w); break;
    case 'ref': v = toBits(read(e as Signal), w); break;
    case 'not': v = toBits(~ev(a[0]!), w); break;
    case 'neg': v = toBits(-fromSigned(at(0), w), w); break;
    case 'orR': v = ev(a[0]!) !== 0n ? 1n : 0n; break;
    case 'andR': v = ev(a[0]!) === mask(a[0]!.width) ? 1n : 0n; break;
    case 'xorR': v = BigInt(ev(a[0]!).toString(2).split('').filter((c) => c === '1').length & 1); break;
    case 'add': v = toBits(at(0) + at(1), w); break;
    case 'sub': v = toBits(at(0) - at(1), w); break;
    case 'mul': v = e.type.signed ? toBits(fromSigned(at(0), w) * fromSigned(at(1), w), w) : toBits(at(0) * at(1), w); break;
    case 'and': v = at(0) & at(1); break;
    case 'or': v = at(0) | at(1); break;
    case 'xor': v = at(0) ^ at(1); break;
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
      const cw = Math.max(a[0]!.width, a[1]!.width);
      let x = at(0, cw);
      let y = at(1, cw);
      if (a[0]!.type.signed) {
        x = fromSigned(x, cw);
        y = fromSigned(y, cw);
      }
      const r = { eq: x === y, ne: x !== y, lt: x < y, le: x <= y, gt: x > y, ge: x >= y }[e.op];
      v = r ? 1n : 0n;
      break;
    }
    case 'shlDyn': case 'shrDyn': {
      // Amounts past the width shift everything out; clamp so bigint shifts stay small.
      const amount = ev(a[1]!) > BigInt(w) ? BigInt(w) : ev(a[1]!);
      if (e.op === 'shlDyn') v = toBits(ev(a[0]!) << amount, w);
      else v = e.type.signed ? toBits(fromSigned(ev(a[0]!), w) >> amount, w) : ev(a[0]!) >> amount;
      break;
    }
    case 'slice': v = (ev(a[0]!) >> BigInt(e.param.lo!)) & mask(e.param.hi! - e.param.lo! + 1); break;
    case 'concat': v = a.reduce((acc, x) => (acc << BigInt(x.width)) | ev(x), 0n); break;
    case 'mux': v = ev(a[0]!) ? at(1) : at(2); break;
    case 'extend': v = at(0); break;
    case 'cast': v = ev(a[0]!); break;
  }
  memo.set(e, v);
  return v;
}
