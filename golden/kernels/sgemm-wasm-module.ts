/**
 * The GEMM micro-kernels as WebAssembly SIMD, emitted at load time: `sgemm`
 * (Float32, f32x4) and `dgemm` (Float64, f64x2), with the same structure.
 *
 * Each computes the row blocks ib0..ib1 (MR rows each) of C = op(A)·op(B)
 * over operands in linear memory, addressed through strides so that the
 * caller only copies them in (no reordering) unless op(B) is transposed
 * (s = element bytes, 4 or 8):
 *   op(A)(i,k) at ap + i·rsA + k·csA       (row-major A: rsA = s·lda, csA = s; Aᵀ: swapped)
 *   op(B)(k,j) at bp + ⌊j/NR⌋·psB + k·ksB + s·(j mod NR)
 *              (row-major B: psB = s·NR, ksB = s·ldb; packed NR-wide panels: psB = s·NR·K, ksB = s·NR)
 *   C(i,j)     at c + i·ldc + s·j, for all mBlocks·MR rows and nPanels·NR columns
 * Rows and columns past M and N compute garbage that the caller discards, so
 * the operands need readable padding after them.
 *
 * Every C element is one accumulator of the element type summed in increasing k (k-blocks of
 * KC reload the partial sum from C), so the result does not depend on the
 * blocking, on which rows a caller asks for, or on how many threads split the
 * rows: that is what makes the multi-threaded path deterministic.
 */
import { emitModule, FunctionBody, I32, V128 } from './wasm-emitter.ts';

export interface MicroKernelShape {
  /** rows of C per register block */
  MR: number;
  /** columns of C per register block (a multiple of the lanes: 4 for f32, 2 for f64) */
  NR: number;
  element: 'f32' | 'f64';
}

/**
 * One kernel function. f32: f32x4 lanes, products and sums rounded to Float32.
 * f64: f64x2 lanes, exactly the reference's double arithmetic (no fused
 * multiply-add in WebAssembly), so a Float64 product is bit-identical to it.
 */
function emitGemmBody(shape: MicroKernelShape): FunctionBody {
  const { MR, NR, element } = shape;
  const lanes = element === 'f32' ? 4 : 2, bytes = element === 'f32' ? 4 : 8;
  if (NR % lanes !== 0) throw new Error(`NR must be a multiple of ${lanes}, got ${NR}`);
  const V = NR / lanes;
  const f = new FunctionBody(new Array(13).fill(I32));
  // Byte addresses and strides: A(i,k) at ap + i·rsA + k·csA; B(k, jp·NR + c) at bp + jp·psB + k·ksB + bytes·c; C(i,j) at c + i·ldc + bytes·j.
  const [ap, rsA, csA, bp, psB, ksB, c, ldc, ib0, ib1, nPanels, K, KC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const k0 = f.local(I32), kc = f.local(I32), jp = f.local(I32), ib = f.local(I32);
  const pa = f.local(I32), pb = f.local(I32), pc = f.local(I32), kk = f.local(I32), row = f.local(I32);
  // Row r of an A block is r·rsA bytes after row 0: computed once, not per k.
  const rowOff = Array.from({ length: MR }, () => f.local(I32));
  const acc: number[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: V }, () => f.local(V128)));
  const bv = Array.from({ length: V }, () => f.local(V128));
  const a = f.local(V128);
  const splat = () => (element === 'f32' ? f.v128Load32Splat() : f.v128Load64Splat());
  const mulAdd = () => (element === 'f32' ? f.f32x4Mul().f32x4Add() : f.f64x2Mul().f64x2Add());

  const forEachAccRow = (body: (r: number) => void): void => {
    for (let r = 0; r < MR; r++) {
      f.get(pc);
      if (r > 0) f.get(ldc).i32(r).i32Mul().i32Add();
      f.set(row);
      body(r);
    }
  };

  for (let r = 0; r < MR; r++) f.get(rsA).i32(r).i32Mul().set(rowOff[r]);
  f.i32(0).set(k0);
  f.loop(() => {
    // kc = min(KC, K - k0)
    f.get(KC).get(K).get(k0).i32Sub().tee(kc).get(kc).get(KC).i32GtU().select().set(kc);
    f.i32(0).set(jp);
    f.loop(() => {
      f.get(ib0).set(ib);
      f.loop(() => {
        // pa = ap + ib·MR·rsA + k0·csA ; pb = bp + jp·psB + k0·ksB ; pc = c + ib·MR·ldc + jp·NR·bytes
        f.get(ap).get(ib).i32(MR).i32Mul().get(rsA).i32Mul().i32Add().get(k0).get(csA).i32Mul().i32Add().set(pa);
        f.get(bp).get(jp).get(psB).i32Mul().i32Add().get(k0).get(ksB).i32Mul().i32Add().set(pb);
        f.get(c).get(ib).i32(MR).i32Mul().get(ldc).i32Mul().i32Add().get(jp).i32(NR * bytes).i32Mul().i32Add().set(pc);
        // The first k-block starts from zero, later ones from the partial sums in C: one running sum per element.
        f.get(k0).i32Eqz().ifElse(
          () => { for (const rowAcc of acc) for (const x of rowAcc) f.v128Zero().set(x); },
          () => forEachAccRow((r) => { for (let v = 0; v < V; v++) f.get(row).v128Load(v * 16).set(acc[r][v]); }),
        );
        f.get(kc).set(kk);
        f.loop(() => {
          for (let v = 0; v < V; v++) f.get(pb).v128Load(v * 16).set(bv[v]);
          for (let r = 0; r < MR; r++) {
            f.get(pa);
            if (r > 0) f.get(rowOff[r]).i32Add();
            splat().set(a);
            for (let v = 0; v < V; v++) {
              f.get(acc[r][v]).get(a).get(bv[v]);
              mulAdd().set(acc[r][v]);
            }
          }
          f.get(pa).get(csA).i32Add().set(pa);
          f.get(pb).get(ksB).i32Add().set(pb);
          f.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
        });
        forEachAccRow((r) => { for (let v = 0; v < V; v++) f.get(row).get(acc[r][v]).v128Store(v * 16); });
        f.incr(ib, 1).get(ib).get(ib1).i32LtU().brIf(0);
      });
      f.incr(jp, 1).get(jp).get(nPanels).i32LtU().brIf(0);
    });
    f.get(k0).get(KC).i32Add().tee(k0).get(K).i32LtU().brIf(0);
  });
  return f;
}

/** A module exporting one kernel per named shape, over an imported shared memory. */
export function emitGemmModule(kernels: Array<{ name: string; shape: MicroKernelShape }>, memory: { initialPages: number; maximumPages: number }): Uint8Array<ArrayBuffer> {
  return emitModule(kernels.map((k) => ({ name: k.name, body: emitGemmBody(k.shape) })), { ...memory, shared: true });
}
