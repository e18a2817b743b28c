/**
 * The largest value an unsigned expression can take, from its structure alone
 * (constants, muxes, masks, slices, extensions). Conservative: where the structure
 * says nothing, every value of the width is possible.
 */
import type { Expr } from './expr.ts';

const allOnes = (w: number): bigint => (1n << BigInt(w)) - 1n;

export function maxUnsigned(e: Expr): bigint {
  const full = allOnes(e.width);
  const a = e.args;
  switch (e.op) {
    case 'const': return e.param.value!;
    case 'mux': return bigMax(maxUnsigned(a[1]!), maxUnsigned(a[2]!));
    case 'and': return bigMin(maxUnsigned(a[0]!), maxUnsigned(a[1]!));
    case 'extend': case 'cast': return a[0]!.type.signed ? full : bigMin(maxUnsigned(a[0]!), full);
    case 'slice': return e.param.lo === 0 && !a[0]!.type.signed ? bigMin(maxUnsigned(a[0]!), full) : full;
    default: return full;
  }
}

const bigMax = (x: bigint, y: bigint): bigint => (x > y ? x : y);
const bigMin = (x: bigint, y: bigint): bigint => (x < y ? x : y);
