/**
 * Register-blocked GEMM in plain JavaScript that keeps the reference's exact
 * arithmetic: every C element is one double accumulator summed in increasing
 * k, the products of two doubles (exact for Float32 inputs). Its results are
 * therefore bit-identical to `gemmReference`, for Float64 (gradient checks)
 * and for Float32 products too small to be worth the WebAssembly round trip.
 *
 * Speed comes from packing op(A) row-wise and op(B) column-wise into contiguous
 * Float64 scratch (unit stride along k for both) and computing 4×2 blocks of C.
 */
import type { FloatArray, GemmArgs } from './gemm.ts';

let scratchA: Float64Array = new Float64Array(0);
let scratchB: Float64Array = new Float64Array(0);

function grow(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, buf.length * 2));
}

/** op(A) as M rows of K, row-major. */
function packRows(X: FloatArray, off: number, ld: number, trans: boolean, rows: number, K: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const d = i * K;
    if (trans) for (let k = 0; k < K; k++) out[d + k] = X[off + k * ld + i];
    else for (let k = 0; k < K; k++) out[d + k] = X[off + i * ld + k];
  }
}

function store(C: FloatArray, c: number, s: number, alpha: number, beta: number): void {
  C[c] = beta === 0 ? alpha * s : alpha * s + beta * C[c];
}

export function gemmJs<T extends FloatArray>(g: GemmArgs<T>): void {
  const { M, N, K, alpha, beta, C, ldc } = g;
  const co = g.cOffset ?? 0;
  scratchA = grow(scratchA, M * K);
  scratchB = grow(scratchB, N * K);
  const a = scratchA, b = scratchB;
  packRows(g.A, g.aOffset ?? 0, g.lda, g.transA, M, K, a);
  // op(B)ᵀ row j is column j of op(B): B's row j when transposed, a strided column otherwise.
  packRows(g.B, g.bOffset ?? 0, g.ldb, !g.transB, N, K, b);
  const M4 = M - (M % 4), N2 = N - (N % 2);
  for (let i = 0; i < M4; i += 4) {
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let j = 0; j < N2; j += 2) {
      const b0 = j * K, b1 = b0 + K;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = b[b0 + k], x1 = b[b1 + k];
        const y0 = a[a0 + k], y1 = a[a1 + k], y2 = a[a2 + k], y3 = a[a3 + k];
        s00 += y0 * x0; s01 += y0 * x1;
        s10 += y1 * x0; s11 += y1 * x1;
        s20 += y2 * x0; s21 += y2 * x1;
        s30 += y3 * x0; s31 += y3 * x1;
      }
      const c = co + i * ldc + j;
      store(C, c, s00, alpha, beta); store(C, c + 1, s01, alpha, beta);
      store(C, c + ldc, s10, alpha, beta); store(C, c + ldc + 1, s11, alpha, beta);
      store(C, c + 2 * ldc, s20, alpha, beta); store(C, c + 2 * ldc + 1, s21, alpha, beta);
      store(C, c + 3 * ldc, s30, alpha, beta); store(C, c + 3 * ldc + 1, s31, alpha, beta);
    }
  }
  // Edges: the rows below the last full 4-block and the last odd column.
  for (let i = 0; i < M; i++) {
    for (let j = i < M4 ? N2 : 0; j < N; j++) {
      const ai = i * K, bj = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ai + k] * b[bj + k];
      store(C, co + i * ldc + j, s, alpha, beta);
    }
  }
}
