/**
 * Dense matrix kernels used by the golden trainer. Everything is row-major.
 *
 * This file is the stable interface; the implementation behind it may be
 * cache-blocked, use worker threads or WebAssembly, but must give the same
 * results for the same inputs on every run (determinism is a project rule).
 * See golden/kernels/README.md for the kernels behind `gemm` and their measured speed.
 *
 * Exports: `gemm` (the product), `packB` + `gemmPacked` (op(B) placed once for
 * many products, e.g. W_hh over the T steps), `gemmReference` (the definition),
 * `checkGemmArgs`, `startGemmStats`/`stopGemmStats` (time spent in products).
 * Threads: `setGemmThreads` in threads.ts (default 1 or SPARSEGRAD_THREADS).
 *
 * C[M×N] = alpha · op(A) · op(B) + beta · C
 *   op(A) is A[M×K] (transA=false, lda ≥ K) or Aᵀ where A is [K×M] (transA=true, lda ≥ M)
 *   op(B) is B[K×N] (transB=false, ldb ≥ N) or Bᵀ where B is [N×K] (transB=true, ldb ≥ K)
 */
import { gemmJs } from './gemm-js.ts';
import { gemmWasm, gemmWasmPrepacked, kernelFor, PackedWasmB } from './sgemm-wasm.ts';
import { sgemmRunner } from './threads.ts';

export type FloatArray = Float32Array | Float64Array;

export interface GemmArgs<T extends FloatArray> {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  A: T;
  aOffset?: number;
  lda: number;
  B: T;
  bOffset?: number;
  ldb: number;
  beta: number;
  C: T;
  cOffset?: number;
  ldc: number;
}

/**
 * C = alpha·op(A)·op(B) + beta·C, dispatched by element type and size:
 * - M·N·K < SMALL_GEMM: register-blocked JavaScript, bit-identical to
 *   `gemmReference` (double accumulator, k = 0..K-1).
 * - Float64 otherwise: WebAssembly SIMD (f64x2), one double accumulator per
 *   element summed in k = 0..K-1: the reference's arithmetic, bit-identical.
 * - Float32 otherwise: WebAssembly SIMD (f32x4), a Float32 accumulator per element
 *   summed in k = 0..K-1. It differs from the reference only by rounding the
 *   running sum to Float32: |C − C_ref| ≤ |alpha|·γ_K·Σ_k |a_ik·b_kj| (γ_K = K·u/(1−K·u),
 *   u = 2⁻²⁴) plus the final Float32 rounding of the reference.
 * Results are the same on every run, for every blocking and any number of threads.
 * beta = 0 never reads C (NaN/garbage in C is overwritten), as in the reference.
 */
export function gemm<T extends FloatArray>(g: GemmArgs<T>): void {
  checkGemmArgs(g);
  const { M, N, K } = g;
  if (M === 0 || N === 0) return;
  if (K === 0) {
    gemmReference(g);
    return;
  }
  const t0 = stats ? performance.now() : 0;
  if (sameElementType(g.A, g.B, g.C) && M * N * K >= SMALL_GEMM) {
    gemmWasm(g, sgemmRunner());
  } else {
    gemmJs(g);
  }
  if (stats) count(stats, t0, M, N, K);
}

function sameElementType(...xs: FloatArray[]): boolean {
  return xs.every((x) => x instanceof Float32Array) || xs.every((x) => x instanceof Float64Array);
}

/** Time spent in `gemm`/`gemmPacked` while counting is on: how much of a training step the products take. */
export interface GemmStats {
  calls: number;
  seconds: number;
  /** multiply-adds, M·N·K per call */
  macs: number;
}

let stats: GemmStats | null = null;

/** Starts counting from zero (off by default: the hot path then costs one null check). */
export function startGemmStats(): void {
  stats = { calls: 0, seconds: 0, macs: 0 };
}

/** Stops counting and returns the totals since `startGemmStats`. */
export function stopGemmStats(): GemmStats {
  const s = stats ?? { calls: 0, seconds: 0, macs: 0 };
  stats = null;
  return s;
}

function count(s: GemmStats, t0: number, M: number, N: number, K: number): void {
  s.calls++;
  s.seconds += (performance.now() - t0) / 1000;
  s.macs += M * N * K;
}

/** Below this many multiply-adds the WebAssembly packing round trip costs more than it saves (measured crossover ≈ 8×8×8). */
export const SMALL_GEMM = 4096;

/** Index bounds of every operand, so a wrong ld or offset fails loudly instead of reading undefined as NaN. */
export function checkGemmArgs<T extends FloatArray>(g: GemmArgs<T>): void {
  const { transA, transB, M, N, K } = g;
  checkInteger('M', M); checkInteger('N', N); checkInteger('K', K);
  checkInteger('lda', g.lda); checkInteger('ldb', g.ldb); checkInteger('ldc', g.ldc);
  checkInteger('aOffset', g.aOffset ?? 0); checkInteger('bOffset', g.bOffset ?? 0); checkInteger('cOffset', g.cOffset ?? 0);
  if (M === 0 || N === 0) return;
  checkOperand('a', transA ? K : M, transA ? M : K, g.lda, g.aOffset ?? 0, g.A.length);
  checkOperand('b', transB ? N : K, transB ? K : N, g.ldb, g.bOffset ?? 0, g.B.length);
  checkOperand('c', M, N, g.ldc, g.cOffset ?? 0, g.C.length);
}

/** Checked on every call (hundreds per training step), so nothing is allocated unless a value is bad. */
function checkInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
}

function checkOperand(what: string, rows: number, cols: number, ld: number, off: number, len: number): void {
  if (rows === 0 || cols === 0) return;
  if (ld < cols) throw new RangeError(`gemm: ld${what} = ${ld} is smaller than the row width ${cols}`);
  const last = off + (rows - 1) * ld + cols - 1;
  if (last >= len) throw new RangeError(`gemm: ${what} needs index ${last} but has length ${len}`);
}

/** The op(B) fields of GemmArgs: what `packB` takes. */
export type BOperand<T extends FloatArray> = Pick<GemmArgs<T>, 'transB' | 'N' | 'K' | 'B' | 'bOffset' | 'ldb'>;
/** GemmArgs without op(B): what `gemmPacked` takes besides the pack. */
export type PackedGemmArgs<T extends FloatArray> = Omit<GemmArgs<T>, 'transB' | 'N' | 'K' | 'B' | 'bOffset' | 'ldb'>;

/**
 * op(B) packed once for many products with different A (the recurrent GEMMs
 * multiply the same W_hh at each of the T time steps). A snapshot: after B
 * changes, call `repack`. Packs live in WebAssembly memory: `free()` them when
 * done (or keep one per layer and repack it every pass).
 */
export interface PackedB<T extends FloatArray> {
  readonly N: number;
  readonly K: number;
  readonly precision: 'float32' | 'float64';
  repack(b: BOperand<T>): void;
  free(): void;
  /** @internal the pack in WebAssembly memory */
  readonly impl: PackedWasmB;
}

export function packB<T extends FloatArray>(b: BOperand<T>): PackedB<T> {
  checkInteger('N', b.N); checkInteger('K', b.K); checkInteger('ldb', b.ldb); checkInteger('bOffset', b.bOffset ?? 0);
  if (b.N === 0 || b.K === 0) throw new RangeError(`packB: op(B) must not be empty, got ${b.K}×${b.N}`);
  const check = (x: BOperand<T>) => checkOperand('b', x.transB ? x.N : x.K, x.transB ? x.K : x.N, x.ldb, x.bOffset ?? 0, x.B.length);
  check(b);
  const impl = new PackedWasmB(b);
  return {
    N: b.N, K: b.K, precision: impl.kernel.element === 'f32' ? 'float32' : 'float64', impl,
    repack: (x) => { check(x); impl.repack(x); },
    free: () => impl.free(),
  };
}

/**
 * C = alpha·op(A)·op(B) + beta·C with op(B) from `packB`, always on the
 * WebAssembly kernel: bit-identical to `gemm` for Float64 (both equal the
 * reference), and for Float32 whenever M·N·K ≥ SMALL_GEMM (below that `gemm`
 * uses the exact-order JS kernel).
 */
export function gemmPacked<T extends FloatArray>(g: PackedGemmArgs<T>, b: PackedB<T>): void {
  const { N, K } = b;
  checkInteger('M', g.M); checkInteger('lda', g.lda); checkInteger('ldc', g.ldc);
  checkInteger('aOffset', g.aOffset ?? 0); checkInteger('cOffset', g.cOffset ?? 0);
  if (g.M === 0) return;
  checkOperand('a', g.transA ? K : g.M, g.transA ? g.M : K, g.lda, g.aOffset ?? 0, g.A.length);
  checkOperand('c', g.M, N, g.ldc, g.cOffset ?? 0, g.C.length);
  const e = b.impl.kernel;
  if (kernelFor(g.A) !== e || kernelFor(g.C) !== e) throw new TypeError(`gemmPacked: a ${b.precision} pack needs ${e.element === 'f32' ? 'Float32Array' : 'Float64Array'} A and C`);
  const t0 = stats ? performance.now() : 0;
  gemmWasmPrepacked(g, b.impl, sgemmRunner());
  if (stats) count(stats, t0, g.M, N, K);
}

/** Reference implementation: plain loops, exact summation order k = 0..K-1. */
export function gemmReference<T extends FloatArray>(g: GemmArgs<T>): void {
  const { transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc } = g;
  const ao = g.aOffset ?? 0, bo = g.bOffset ?? 0, co = g.cOffset ?? 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[ao + k * lda + i] : A[ao + i * lda + k];
        const b = transB ? B[bo + j * ldb + k] : B[bo + k * ldb + j];
        s += a * b;
      }
      const c = co + i * ldc + j;
      C[c] = beta === 0 ? alpha * s : alpha * s + beta * C[c];
    }
  }
}
