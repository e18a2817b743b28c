/**
 * Fixed-point numbers: a raw UInt/SInt plus a binary point. `SFix(i, f)` has i integer
 * bits (sign included) and f fraction bits, value = raw / 2^f. Arithmetic is exact
 * (add/sub grow one integer bit, mul sums formats); precision and range are only lost
 * in `resize`, which says how: rounding (truncate = floor, half-up, half-even) and
 * overflow (wrap, saturate).
 */
import { designError } from '../core/errors.ts';
import { Expr, cat, lit, mux } from '../core/expr.ts';
import { captureLoc } from '../core/loc.ts';
import { Ground, SInt, UInt } from '../core/types.ts';

export interface FixFormat {
  readonly signed: boolean;
  /** Integer bits, the sign bit included for signed formats (may be negative or zero). */
  readonly intBits: number;
  readonly fracBits: number;
}

export const SFix = (intBits: number, fracBits: number): FixFormat => format(true, intBits, fracBits);
export const UFix = (intBits: number, fracBits: number): FixFormat => format(false, intBits, fracBits);

function format(signed: boolean, intBits: number, fracBits: number): FixFormat {
  if (!Number.isInteger(intBits) || !Number.isInteger(fracBits) || intBits + fracBits < 1) {
    throw new RangeError(`fixed-point format needs integer bit counts with intBits + fracBits >= 1, got ${intBits}.${fracBits}`);
  }
  return { signed, intBits, fracBits };
}

export const fixWidth = (f: FixFormat): number => f.intBits + f.fracBits;
export const fixType = (f: FixFormat): Ground => (f.signed ? SInt(fixWidth(f)) : UInt(fixWidth(f)));
export const fixName = (f: FixFormat): string => `${f.signed ? 'SFix' : 'UFix'}(${f.intBits}, ${f.fracBits})`;

export type Rounding = 'truncate' | 'half-up' | 'half-even';
export type Overflow = 'wrap' | 'saturate';

/** Largest and smallest raw values of a format. */
export function rawRange(f: FixFormat): { min: bigint; max: bigint } {
  const w = BigInt(fixWidth(f));
  return f.signed ? { min: -(1n << (w - 1n)), max: (1n << (w - 1n)) - 1n } : { min: 0n, max: (1n << w) - 1n };
}

export class Fixed {
  private constructor(readonly raw: Expr, readonly format: FixFormat) {}

  /** View `raw` (UInt for unsigned, SInt for signed formats, of the format's width) as fixed point. */
  static from(raw: Expr, f: FixFormat): Fixed {
    const loc = captureLoc();
    const t = fixType(f);
    if (raw.width !== t.width || (raw.type.kind === 'sint') !== f.signed) {
      designError('width', loc, `${fixName(f)} needs a ${t} raw value, got ${raw.type}`);
    }
    return new Fixed(raw, f);
  }

  /** A constant, rounded to the nearest representable value (ties to even); errors if out of range. */
  static constant(value: number, f: FixFormat): Fixed {
    const loc = captureLoc();
    const scaled = value * 2 ** f.fracBits;
    const floor = Math.floor(scaled);
    const diff = scaled - floor;
    const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
    const raw = BigInt(rounded);
    const { min, max } = rawRange(f);
    if (raw < min || raw > max) designError('width', loc, `constant ${value} is outside the range of ${fixName(f)}`);
    return new Fixed(lit(raw, fixType(f)), f);
  }

  /** Exact sum: binary points aligned, one more integer bit. */
  add(b: Fixed): Fixed {
    return this.addSub(b, 'add');
  }
  /** Exact difference: binary points aligned, one more integer bit. */
  sub(b: Fixed): Fixed {
    return this.addSub(b, 'sub');
  }
  private addSub(b: Fixed, op: 'add' | 'sub'): Fixed {
    const loc = captureLoc();
    if (this.format.signed !== b.format.signed) designError('type', loc, `${op} mixes ${fixName(this.format)} and ${fixName(b.format)}; convert with toSigned() first`);
    const frac = Math.max(this.format.fracBits, b.format.fracBits);
    const x = this.raw.shl(frac - this.format.fracBits);
    const y = b.raw.shl(frac - b.format.fracBits);
    const raw = op === 'add' ? x.add(y) : x.sub(y);
    return new Fixed(raw, { signed: this.format.signed, intBits: raw.width - frac, fracBits: frac });
  }
  /** Exact product: integer and fraction bits add up. */
  mul(b: Fixed): Fixed {
    const loc = captureLoc();
    if (this.format.signed !== b.format.signed) designError('type', loc, `mul mixes ${fixName(this.format)} and ${fixName(b.format)}; convert with toSigned() first`);
    return new Fixed(this.raw.mul(b.raw), {
      signed: this.format.signed,
      intBits: this.format.intBits + b.format.intBits,
      fracBits: this.format.fracBits + b.format.fracBits,
    });
  }
  /** The same value in a signed format (one more integer bit for unsigned). */
  toSigned(): Fixed {
    if (this.format.signed) return this;
    return new Fixed(this.raw.toSInt(), { signed: true, intBits: this.format.intBits + 1, fracBits: this.format.fracBits });
  }

  /** Convert to `target`, rounding dropped fraction bits and handling overflow as told. */
  resize(target: FixFormat, rounding: Rounding = 'truncate', overflow: Overflow = 'saturate'): Fixed {
    let x: Fixed = this;
    if (target.signed && !x.format.signed) x = x.toSigned();
    // Fraction: widen by shifting, narrow by rounding.
    const dropped = x.format.fracBits - target.fracBits;
    let raw = x.raw;
    if (dropped < 0) raw = raw.shl(-dropped);
    else if (dropped > 0) raw = roundAway(raw, dropped, rounding);
    // Integer part: now raw has target.fracBits fraction bits.
    const width = fixWidth(target);
    if (!target.signed && x.format.signed) {
      if (overflow === 'wrap') {
        // Sign-extend before reading as unsigned, so wrapping is modulo 2^width.
        return new Fixed(raw.resize(Math.max(width, raw.width)).asUInt().resize(width), target);
      }
      // Negative values clamp to zero; the rest clamp by magnitude.
      const magnitude = raw.width > 1 ? raw.asUInt().resize(raw.width - 1) : lit(0, UInt(1));
      return new Fixed(mux(raw.msb(), 0, saturateTo(magnitude, width)).resize(width), target);
    }
    if (raw.width <= width) return new Fixed(raw.resize(width), target);
    return new Fixed(overflow === 'wrap' ? raw.resize(width) : saturateTo(raw, width), target);
  }
}

/** Drop the low `d` bits of raw with the given rounding. Result may grow by one bit. */
function roundAway(raw: Expr, d: number, rounding: Rounding): Expr {
  const signed = raw.type.kind === 'sint';
  // When every bit is fraction, extend by one so a sign (or zero) bit survives the shift.
  if (d >= raw.width) raw = raw.resize(d + 1);
  const kept = raw.shr(d);
  if (rounding === 'truncate') return kept;
  const rem = raw.bits(d - 1, 0);
  const half = 1n << BigInt(d - 1);
  let up: Expr;
  if (rounding === 'half-up') {
    up = rem.ge(lit(half, UInt(d)));
  } else {
    const above = rem.gt(lit(half, UInt(d)));
    const tie = rem.eq(lit(half, UInt(d)));
    up = above.or(tie.and(kept.bit(0)));
  }
  return kept.add(signed ? cat(up).toSInt() : cat(up));
}

/** Clamp raw (UInt or SInt) into `width` bits of the same signedness. */
function saturateTo(raw: Expr, width: number): Expr {
  if (raw.width <= width) return raw.resize(width);
  if (raw.type.kind === 'sint') {
    const top = raw.bits(raw.width - 1, width - 1);
    const fits = top.andR().or(top.orR().not());
    const max = lit((1n << BigInt(width - 1)) - 1n, SInt(width));
    const min = lit(-(1n << BigInt(width - 1)), SInt(width));
    return mux(fits, raw.resize(width), mux(raw.msb(), min, max));
  }
  const fits = raw.bits(raw.width - 1, width).orR().not();
  return mux(fits, raw.resize(width), lit((1n << BigInt(width)) - 1n, UInt(width)));
}

/** Bit-exact software model of `Fixed.resize`, for tests and golden models. */
export function resizeRaw(raw: bigint, from: FixFormat, to: FixFormat, rounding: Rounding, overflow: Overflow): bigint {
  const d = from.fracBits - to.fracBits;
  let v = raw;
  if (d < 0) v = v << BigInt(-d);
  else if (d > 0) {
    const q = v >> BigInt(d); // floor for negative values too
    const rem = v - (q << BigInt(d));
    const half = 1n << BigInt(d - 1);
    const up = rounding === 'truncate' ? false : rounding === 'half-up' ? rem >= half : rem > half || (rem === half && (q & 1n) === 1n);
    v = up ? q + 1n : q;
  }
  const { min, max } = rawRange(to);
  if (overflow === 'saturate') return v < min ? min : v > max ? max : v;
  const w = BigInt(fixWidth(to));
  const m = ((v % (1n << w)) + (1n << w)) % (1n << w);
  return to.signed && m >= 1n << (w - 1n) ? m - (1n << w) : m;
}
