/**
 * Dense matrix kernels used by the golden trainer. Everything is row-major.
 *
 * This file is the stable interface; the implementation behind it may be
 * cache-blocked, use worker threads or WebAssembly, but must give the same
 * results for the same inputs on every run (determinism is a project rule).
 * See golden/kernels/README.md for the kernels behind `gemm` and their measured speed.
 *
 * C[M×N] = alpha · op(A) · op(B) + beta · C
 *   op(A) is A[M×K] (transA=false, lda ≥ K) or Aᵀ where A is [K×M] (transA=true, lda ≥ M)
 *   op(B) is B[K×N] (transB=false, ldb ≥ N) or Bᵀ where B is [N×K] (transB=true, ldb ≥ K)
 */
import { gemmJs } from './gemm-js.ts';
import { sgemmWasm } from './sgemm-wasm.ts';
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
 * - Float64, and Float32 with M·N·K < SMALL_GEMM: register-blocked JavaScript,
 *   bit-identical to `gemmReference` (double accumulator, k = 0..K-1).
 * - Float32 otherwise: WebAssembly SIMD, a Float32 accumulator per element
 *   summed in k = 0..K-1. It differs from the reference only by rounding the
 *   running sum to Float32: |C − C_ref| ≤ |alpha|·γ_K·Σ_k |a_ik·b_kj| (γ_K = K·u/(1−K·u),
 *   u = 2⁻²⁴) plus the final Float32 rounding of the reference. Results are the
 *   same on every run, for every blocking and any number of threads.
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
  if (g.C instanceof Float32Array && g.A instanceof Float32Array && g.B instanceof Float32Array && M * N * K >= SMALL_GEMM) {
    sgemmWasm(g as unknown as GemmArgs<Float32Array>, sgemmRunner());
  } else {
    gemmJs(g);
  }
}

/** Below this many multiply-adds the WebAssembly packing round trip costs more than it saves (measured crossover ≈ 8×8×8). */
export const SMALL_GEMM = 4096;

/** Index bounds of every operand, so a wrong ld or offset fails loudly instead of reading undefined as NaN. */
export function checkGemmArgs<T extends FloatArray>(g: GemmArgs<T>): void {
  const { transA, transB, M, N, K, lda, ldb, ldc } = g;
  for (const [name, v] of Object.entries({ M, N, K, lda, ldb, ldc, aOffset: g.aOffset ?? 0, bOffset: g.bOffset ?? 0, cOffset: g.cOffset ?? 0 })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  if (M === 0 || N === 0) return;
  const need = (what: string, rows: number, cols: number, ld: number, off: number, len: number): void => {
    if (rows === 0 || cols === 0) return;
    if (ld < cols) throw new RangeError(`gemm: ld${what} = ${ld} is smaller than the row width ${cols}`);
    const last = off + (rows - 1) * ld + cols - 1;
    if (last >= len) throw new RangeError(`gemm: ${what} needs index ${last} but has length ${len}`);
  };
  need('a', transA ? K : M, transA ? M : K, lda, g.aOffset ?? 0, g.A.length);
  need('b', transB ? N : K, transB ? K : N, ldb, g.bOffset ?? 0, g.B.length);
  need('c', M, N, ldc, g.cOffset ?? 0, g.C.length);
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
