/**
 * Dense matrix kernels used by the golden trainer. Everything is row-major.
 *
 * This file is the stable interface; the implementation behind it may be
 * cache-blocked, use worker threads or WebAssembly, but must give the same
 * results for the same inputs on every run (determinism is a project rule).
 *
 * C[M×N] = alpha · op(A) · op(B) + beta · C
 *   op(A) is A[M×K] (transA=false, lda ≥ K) or Aᵀ where A is [K×M] (transA=true, lda ≥ M)
 *   op(B) is B[K×N] (transB=false, ldb ≥ N) or Bᵀ where B is [N×K] (transB=true, ldb ≥ K)
 */
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

/** Reference implementation: plain loops, exact summation order k = 0..K-1. */
export function gemm<T extends FloatArray>(g: GemmArgs<T>): void {
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
