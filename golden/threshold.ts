/**
 * The paper's technique: zero the small linear gate gradients dz before they
 * feed any product. Applied to one BPTT time step of one layer at a time,
 * because dz_t must be final before dh_{t-1} is computed from it.
 */
import type { Vec } from './model.ts';

export type ThresholdMode =
  | { kind: 'fixed'; theta: number }
  /** θ chosen per time step so that (at least) this fraction of dz_t is zero. */
  | { kind: 'target'; sparsity: number };

/**
 * Copies src[off, off+n) to dst with |v| < θ zeroed and returns the θ used.
 * `scratch` (length ≥ n) is only used in target mode.
 */
export function thresholdStep(mode: ThresholdMode, src: Vec, dst: Vec, off: number, n: number, scratch: Float64Array): number {
  const theta = mode.kind === 'fixed' ? mode.theta : targetTheta(src, off, n, mode.sparsity, scratch);
  for (let i = off; i < off + n; i++) {
    const v = src[i];
    dst[i] = v < theta && v > -theta ? 0 : v;
  }
  return theta;
}

/**
 * The k-th smallest |dz| (0-based) with k = ⌈sparsity·n⌉: zeroing |dz| < it
 * leaves k values zero, i.e. at least the target fraction (fewer only on ties).
 */
export function targetTheta(src: Vec, off: number, n: number, sparsity: number, scratch: Float64Array): number {
  // The epsilon keeps s·n that is an integer up to rounding (0.8·16384) from rounding up past it.
  const k = Math.ceil(sparsity * n - 1e-9);
  if (k <= 0) return 0;
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(src[off + i]);
  if (k >= n) {
    let max = 0;
    for (let i = 0; i < n; i++) if (scratch[i] > max) max = scratch[i];
    // Strictly above the largest magnitude so that everything is zeroed.
    return max === 0 ? 0 : max * (1 + 1e-12) + Number.MIN_VALUE;
  }
  return quickselect(scratch, n, k);
}

/** k-th smallest of a[0, n) (0-based), partially reordering a. Hoare partition, median of three. */
function quickselect(a: Float64Array, n: number, k: number): number {
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three keeps adversarial (e.g. already sorted or all-equal) inputs linear.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]; a[i] = a[j]; a[j] = t;
}
