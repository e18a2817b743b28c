/**
 * The Float32 GEMM micro-kernel as WebAssembly SIMD, emitted at load time.
 *
 * `sgemm_packed` computes C[rows of blocks ib0..ib1) = Ap · Bp over packed
 * operands in linear memory:
 *   Ap: [mBlocks][K][MR]  (MR consecutive rows of op(A), interleaved per k)
 *   Bp: [nPanels][K][NR]  (NR consecutive columns of op(B), contiguous per k)
 *   C : row-major, ldc bytes between rows, NR-aligned width
 *
 * Every C element is one f32 accumulator summed in increasing k (k-blocks of
 * KC reload the partial sum from C), so the result does not depend on the
 * blocking, on which rows a caller asks for, or on how many threads split the
 * rows: that is what makes the multi-threaded path deterministic.
 */
import { emitModule, FunctionBody, I32, V128 } from './wasm-emitter.ts';

export interface MicroKernelShape {
  /** rows of C per register block */
  MR: number;
  /** columns of C per register block (multiple of 4: one f32x4 per 4 columns) */
  NR: number;
}

export function emitSgemmModule(shape: MicroKernelShape, memory: { initialPages: number; maximumPages: number }): Uint8Array<ArrayBuffer> {
  const { MR, NR } = shape;
  if (NR % 4 !== 0) throw new Error(`NR must be a multiple of 4, got ${NR}`);
  const V = NR / 4;
  const f = new FunctionBody([I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [ap, bp, c, ib0, ib1, nPanels, K, ldc, KC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const k0 = f.local(I32), kc = f.local(I32), jp = f.local(I32), ib = f.local(I32);
  const pa = f.local(I32), pb = f.local(I32), pc = f.local(I32), end = f.local(I32), row = f.local(I32);
  const acc: number[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: V }, () => f.local(V128)));
  const bv = Array.from({ length: V }, () => f.local(V128));
  const a = f.local(V128);

  const forEachAccRow = (body: (r: number) => void): void => {
    for (let r = 0; r < MR; r++) {
      // row = pc + r·ldc
      f.get(pc);
      if (r > 0) f.get(ldc).i32(r).i32Mul().i32Add();
      f.set(row);
      body(r);
    }
  };

  f.i32(0).set(k0);
  f.loop(() => {
    // kc = min(KC, K - k0)
    f.get(KC).get(K).get(k0).i32Sub().tee(kc).get(kc).get(KC).i32GtU().select().set(kc);
    f.i32(0).set(jp);
    f.loop(() => {
      f.get(ib0).set(ib);
      f.loop(() => {
        // pa = ap + (ib·K + k0)·MR·4 ; pb = bp + (jp·K + k0)·NR·4
        f.get(ap).get(ib).get(K).i32Mul().get(k0).i32Add().i32(MR * 4).i32Mul().i32Add().set(pa);
        f.get(bp).get(jp).get(K).i32Mul().get(k0).i32Add().i32(NR * 4).i32Mul().i32Add().set(pb);
        // pc = c + ib·MR·ldc + jp·NR·4
        f.get(c).get(ib).i32(MR).i32Mul().get(ldc).i32Mul().i32Add().get(jp).i32(NR * 4).i32Mul().i32Add().set(pc);
        f.get(k0).i32Eqz().ifElse(
          () => { for (const rowAcc of acc) for (const x of rowAcc) f.v128Zero().set(x); },
          () => forEachAccRow((r) => { for (let v = 0; v < V; v++) f.get(row).v128Load(v * 16).set(acc[r][v]); }),
        );
        f.get(pa).get(kc).i32(MR * 4).i32Mul().i32Add().set(end);
        f.loop(() => {
          for (let v = 0; v < V; v++) f.get(pb).v128Load(v * 16).set(bv[v]);
          for (let r = 0; r < MR; r++) {
            f.get(pa).v128Load32Splat(r * 4).set(a);
            for (let v = 0; v < V; v++) f.get(acc[r][v]).get(a).get(bv[v]).f32x4Mul().f32x4Add().set(acc[r][v]);
          }
          f.incr(pa, MR * 4).incr(pb, NR * 4);
          f.get(pa).get(end).i32LtU().brIf(0);
        });
        forEachAccRow((r) => { for (let v = 0; v < V; v++) f.get(row).get(acc[r][v]).v128Store(v * 16); });
        f.incr(ib, 1).get(ib).get(ib1).i32LtU().brIf(0);
      });
      f.incr(jp, 1).get(jp).get(nPanels).i32LtU().brIf(0);
    });
    f.get(k0).get(KC).i32Add().tee(k0).get(K).i32LtU().brIf(0);
  });

  return emitModule([{ name: 'sgemm_packed', body: f }], { ...memory, shared: true });
}
