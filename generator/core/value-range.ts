/**
 * What the structure of an expression alone says about its value: the largest
 * value an unsigned expression can take, and which of its bits are constant.
 * Both are conservative: where the structure says nothing, every value of the
 * width is possible.
 */
import { evaluate, fromSigned } from './eval.ts';
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

/** Bits of a value known from its structure: `known` marks them, `value` holds them (0 elsewhere). */
export interface KnownBits {
  readonly known: bigint;
  readonly value: bigint;
}

const cache = new WeakMap<Expr, KnownBits>();

/**
 * The bits of `e` that are the same whatever its inputs, e.g. the top bits of a
 * zero extension, the low bits of a static left shift, `&{4'd0, x}`. Verilator
 * folds the same structures before it lints, so a comparison that is constant
 * here is one it would report (UNSIGNED, CMPCONST).
 */
export function knownBits(e: Expr): KnownBits {
  const hit = cache.get(e);
  if (hit) return hit;
  const k = computeKnown(e);
  cache.set(e, k);
  return k;
}

/** The value of `e` as a bit pattern, when every bit of it is known. */
export function knownValue(e: Expr): bigint | undefined {
  const k = knownBits(e);
  return k.known === allOnes(e.width) ? k.value : undefined;
}

const NOTHING: KnownBits = { known: 0n, value: 0n };

function computeKnown(e: Expr): KnownBits {
  const w = e.width;
  const full = allOnes(w);
  const a = e.args;
  const kb = (i: number): KnownBits => knownBits(a[i]!);
  // An operand's known bits once it is extended by its own signedness to `width`.
  const widened = (i: number, width = w): KnownBits => extendKnown(kb(i), a[i]!, width);
  switch (e.op) {
    case 'const': return { known: full, value: e.param.value! & full };
    case 'ref': return NOTHING;
    case 'not': { const x = kb(0); return { known: x.known, value: ~x.value & x.known }; }
    case 'and': {
      const x = widened(0); const y = widened(1);
      const zeros = (x.known & ~x.value) | (y.known & ~y.value);
      const ones = x.known & x.value & y.known & y.value;
      return { known: (zeros | ones) & full, value: ones & full };
    }
    case 'or': {
      const x = widened(0); const y = widened(1);
      const ones = (x.known & x.value) | (y.known & y.value);
      const zeros = x.known & ~x.value & y.known & ~y.value;
      return { known: (zeros | ones) & full, value: ones & full };
    }
    case 'xor': {
      const x = widened(0); const y = widened(1);
      const known = x.known & y.known;
      return { known, value: (x.value ^ y.value) & known };
    }
    case 'andR': {
      const x = kb(0);
      if ((x.known & ~x.value) !== 0n) return { known: 1n, value: 0n };
      return x.known === allOnes(a[0]!.width) ? { known: 1n, value: 1n } : NOTHING;
    }
    case 'orR': {
      const x = kb(0);
      if ((x.known & x.value) !== 0n) return { known: 1n, value: 1n };
      return x.known === allOnes(a[0]!.width) ? { known: 1n, value: 0n } : NOTHING;
    }
    case 'slice': {
      const x = kb(0);
      const lo = BigInt(e.param.lo!);
      return { known: (x.known >> lo) & full, value: (x.value >> lo) & full };
    }
    case 'concat': {
      let known = 0n; let value = 0n;
      for (let i = 0; i < a.length; i++) {
        const x = kb(i);
        known = (known << BigInt(a[i]!.width)) | x.known;
        value = (value << BigInt(a[i]!.width)) | x.value;
      }
      return { known, value };
    }
    case 'extend': return widened(0);
    case 'cast': return kb(0);
    case 'mux': {
      const s = kb(0);
      if (s.known === 1n) return widened(s.value === 1n ? 1 : 2);
      const x = widened(1); const y = widened(2);
      const known = x.known & y.known & ~(x.value ^ y.value);
      return { known, value: x.value & known };
    }
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
      const outcome = comparisonOutcome(e);
      return outcome === undefined ? NOTHING : { known: 1n, value: outcome ? 1n : 0n };
    }
    case 'shlDyn': case 'shrDyn':
      // Zero shifted by any amount is zero; otherwise as arithmetic below.
      if (knownValue(a[0]!) === 0n) return { known: full, value: 0n };
      return allKnown(e);
    case 'mul':
      if (knownValue(a[0]!) === 0n || knownValue(a[1]!) === 0n) return { known: full, value: 0n };
      return allKnown(e);
    default: return allKnown(e);
  }
}

/** Arithmetic: known only when every operand is. */
function allKnown(e: Expr): KnownBits {
  const memo = new Map<Expr, bigint>();
  for (const x of e.args) {
    const v = knownValue(x);
    if (v === undefined) return NOTHING;
    memo.set(x, v);
  }
  return { known: allOnes(e.width), value: evaluate(e, () => 0n, memo) };
}

function extendKnown(x: KnownBits, e: Expr, width: number): KnownBits {
  const k = width - e.width;
  if (k <= 0) return x;
  const top = allOnes(width) ^ allOnes(e.width);
  if (!e.type.signed) return { known: x.known | top, value: x.value };
  const msb = 1n << BigInt(e.width - 1);
  if ((x.known & msb) === 0n) return x;
  return { known: x.known | top, value: x.value | ((x.value & msb) !== 0n ? top : 0n) };
}

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * true/false when a comparison cannot depend on its inputs: both sides are known,
 * or one side is known and lies at or past the end of the other side's range.
 */
export function comparisonOutcome(e: Expr): boolean | undefined {
  const op = e.op as CompareOp;
  const [x, y] = e.args as [Expr, Expr];
  // Both sides share a signedness (Bool and UInt only meet in eq/ne), and each is
  // extended by it, so comparing the numbers the patterns stand for is exact.
  const read = (v: bigint, side: Expr): bigint => (side.type.signed ? fromSigned(v, side.width) : v);
  const kx = knownValue(x);
  const ky = knownValue(y);
  if (kx === undefined && ky === undefined) return undefined;
  if (kx !== undefined && ky !== undefined) {
    const [p, q] = [read(kx, x), read(ky, y)];
    return { eq: p === q, ne: p !== q, lt: p < q, le: p <= q, gt: p > q, ge: p >= q }[op];
  }
  // Put the unknown side on the left, mirroring the operator when the known side was there.
  const mirror: Record<CompareOp, CompareOp> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };
  const [v, k, o] = kx !== undefined ? [y, read(kx, x), mirror[op]] : [x, read(ky!, y), op];
  const [lo, hi] = rangeOf(v);
  switch (o) {
    case 'eq': return k < lo || k > hi ? false : undefined;
    case 'ne': return k < lo || k > hi ? true : undefined;
    case 'lt': return k <= lo ? false : k > hi ? true : undefined;
    case 'le': return k < lo ? false : k >= hi ? true : undefined;
    case 'gt': return k >= hi ? false : k < lo ? true : undefined;
    case 'ge': return k > hi ? false : k <= lo ? true : undefined;
  }
}

/** The values an expression's type allows, as signed or unsigned numbers by its signedness. */
export function rangeOf(e: Expr): [bigint, bigint] {
  const w = BigInt(e.width);
  return e.type.signed ? [-(1n << (w - 1n)), (1n << (w - 1n)) - 1n] : [0n, (1n << w) - 1n];
}
