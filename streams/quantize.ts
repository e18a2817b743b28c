/**
 * Float → fixed-point exporter for the engine (streams/QUANTIZATION.md is the
 * specification): one power-of-two scale per tensor, round half to even,
 * saturation at the signed range, θ_q from θ with the gradient's scale; and the
 * way back: dequantization and relative error against the float golden.
 */
import { UserError } from '../util/errors.ts';

export type FloatArray = Float32Array | Float64Array;

/** A quantized tensor: value ≈ q · 2^−exp. */
export interface QuantizedTensor {
  q: Int32Array;
  shape: number[];
  /** Fractional bits: the float value is q / 2^exp (exp may be negative). */
  exp: number;
  bits: number;
  /** Elements that saturated (only possible with a forced exponent). */
  clipped: number;
}

export function qRange(bits: number): { lo: number; hi: number } {
  return { lo: -(2 ** (bits - 1)), hi: 2 ** (bits - 1) - 1 };
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a > m) m = a;
  }
  return m;
}

/**
 * Largest exp with maxAbs · 2^exp ≤ 2^(bits−1) − 1, so the biggest element lands on
 * the largest positive code and nothing clips (the negative extreme −2^(bits−1) stays
 * unused, which keeps the range symmetric). An all-zero tensor gets exp 0.
 * Math.log2 may be off by an ulp, so the estimate is corrected with exact power-of-two products.
 */
export function chooseExponent(m: number, bits: number): number {
  if (!(m > 0) || !Number.isFinite(m)) return 0;
  const hi = 2 ** (bits - 1) - 1;
  let e = Math.floor(Math.log2(hi / m));
  while (m * 2 ** (e + 1) <= hi) e++;
  while (m * 2 ** e > hi) e--;
  return e;
}

/**
 * Round half to even: unbiased, so long sums of rounding errors do not drift.
 * x · 2^exp is exact in float64 for float32 inputs, so the tie test is exact too.
 */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function quantize(x: ArrayLike<number>, shape: number[], bits: number, forcedExp?: number): QuantizedTensor {
  const exp = forcedExp ?? chooseExponent(maxAbs(x), bits);
  const scale = 2 ** exp;
  const { lo, hi } = qRange(bits);
  const q = new Int32Array(x.length);
  let clipped = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new UserError(`cannot quantize a non-finite value (${v}) at flat index ${i}; the dump holds NaN or Inf`);
    let r = roundHalfEven(v * scale);
    if (r > hi) { r = hi; clipped++; }
    else if (r < lo) { r = lo; clipped++; }
    q[i] = r;
  }
  return { q, shape, exp, bits, clipped };
}

/** Float value of integer codes with `exp` fractional bits (bigint accumulators included). */
export function dequantize(q: ArrayLike<number> | BigInt64Array, exp: number): Float64Array {
  const out = new Float64Array(q.length);
  const scale = 2 ** -exp;
  for (let i = 0; i < q.length; i++) out[i] = Number(q[i]!) * scale;
  return out;
}

/**
 * θ_q = ⌈θ · 2^exp_g⌉, clamped to the THETA register. For an integer code q,
 * |q| < ⌈x⌉ ⇔ |q| < x, so the engine zeroes exactly the codes whose dequantized
 * magnitude is below θ: the float rule applied to the quantized gradient.
 */
export function quantizeTheta(theta: number, gExp: number, gBits: number): number {
  if (!(theta >= 0) || !Number.isFinite(theta)) throw new UserError(`θ = ${theta} must be a finite number ≥ 0`);
  // A positive θ so small that θ·2^gExp underflows to 0 still zeroes the code 0 (|0| < θ):
  // θ_q = 1 does exactly that, and θ_q = 0 would zero nothing.
  const t = Math.max(theta > 0 ? 1 : 0, Math.ceil(theta * 2 ** gExp));
  return Math.min(t, 2 ** gBits - 1);
}

export interface ErrorStats {
  /** ‖got − ref‖₂ / ‖ref‖₂ (0 when both are zero, Infinity when only ref is). */
  relative: number;
  /** max |got − ref|. */
  maxAbs: number;
  /** max |ref|, to put maxAbs in proportion. */
  refMaxAbs: number;
}

export function relativeError(got: ArrayLike<number>, ref: ArrayLike<number>): ErrorStats {
  if (got.length !== ref.length) throw new Error(`relativeError: ${got.length} vs ${ref.length} elements`);
  let num = 0;
  let den = 0;
  let mAbs = 0;
  let rMax = 0;
  for (let i = 0; i < got.length; i++) {
    const d = got[i]! - ref[i]!;
    num += d * d;
    den += ref[i]! * ref[i]!;
    if (Math.abs(d) > mAbs) mAbs = Math.abs(d);
    if (Math.abs(ref[i]!) > rMax) rMax = Math.abs(ref[i]!);
  }
  const relative = den > 0 ? Math.sqrt(num / den) : num > 0 ? Infinity : 0;
  return { relative, maxAbs: mAbs, refMaxAbs: rMax };
}

/** [A | B] along columns: rows × (ca + cb), the engine's W = [weight_ih | weight_hh]. */
export function concatColumns(A: FloatArray, ca: number, B: FloatArray, cb: number, rows: number): Float64Array {
  const out = new Float64Array(rows * (ca + cb));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < ca; c++) out[r * (ca + cb) + c] = A[r * ca + c]!;
    for (let c = 0; c < cb; c++) out[r * (ca + cb) + ca + c] = B[r * cb + c]!;
  }
  return out;
}

/**
 * Σ over vectors s and rows j with g[s][j] ≠ 0 of g[s][j] · x[row] added into out[row'], in float64:
 * backward-data reads W row j into y row s, backward-weight reads a row s into G row j.
 */
function sumOuter(g: ArrayLike<number>, x: ArrayLike<number>, S: number, R: number, K: number, weight: boolean): Float64Array {
  const out = new Float64Array((weight ? R : S) * K);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < R; j++) {
      const gj = g[s * R + j]!;
      if (gj === 0) continue;
      const o = (weight ? j : s) * K;
      const xo = (weight ? s : j) * K;
      for (let k = 0; k < K; k++) out[o + k] += gj * x[xo + k]!;
    }
  }
  return out;
}

/** Float backward-data reference: y[s][k] = Σ_j g[s][j] · W[j][k], in float64. */
export function floatBackwardData(g: ArrayLike<number>, W: ArrayLike<number>, S: number, R: number, K: number): Float64Array {
  return sumOuter(g, W, S, R, K, false);
}

/** Float backward-weight reference: G[j][k] = Σ_s g[s][j] · a[s][k], in float64. */
export function floatBackwardWeight(g: ArrayLike<number>, a: ArrayLike<number>, S: number, R: number, K: number): Float64Array {
  return sumOuter(g, a, S, R, K, true);
}
