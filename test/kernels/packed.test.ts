/**
 * Pre-packed op(B): the same products as `gemm`, snapshots that follow
 * `repack`, and a memory heap that keeps every live pack intact while others
 * are allocated and freed.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gemm, gemmPacked, packB, SMALL_GEMM, type FloatArray, type GemmArgs, type PackedB } from '../../golden/kernels/gemm.ts';
import { gemmThreadsReady, setGemmThreads, stopWorkers } from '../../golden/kernels/threads.ts';
import { caseArb, makeArgs, testSeed, type Case } from './gemm-cases.ts';

const seed = testSeed();

function bitsEqual(x: FloatArray, y: FloatArray): boolean {
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

function viaPack(g: GemmArgs<FloatArray>, pack: PackedB<FloatArray>): FloatArray {
  const C = g.C.slice();
  gemmPacked({ ...g, C }, pack);
  return C;
}

function viaGemm(g: GemmArgs<FloatArray>): FloatArray {
  const C = g.C.slice();
  gemm({ ...g, C });
  return C;
}

describe('kernels: packed B', function () {
  before(() => console.log(`      seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`));
  after(() => stopWorkers());

  it('gemmPacked equals gemm (Float64 always, Float32 on the WebAssembly path)', () => {
    fc.assert(fc.property(caseArb({ maxDim: 40, maxK: 300 }), (c) => {
      fc.pre(c.precision === 'float64' || c.M * c.N * c.K >= SMALL_GEMM);
      const g = makeArgs(c);
      const pack = packB(g);
      try {
        assert.ok(bitsEqual(viaPack(g, pack), viaGemm(g)));
      } finally {
        pack.free();
      }
    }), { seed, numRuns: 150 });
  });

  it('is a snapshot: results follow B only after repack', () => {
    for (const precision of ['float32', 'float64'] as const) {
      const c: Case = { M: 20, N: 33, K: 40, transA: false, transB: true, alpha: 1, beta: 0, precision, aOffset: 0, bOffset: 2, cOffset: 0, lda: 40, ldb: 41, ldc: 33, dataSeed: seed };
      const g = makeArgs(c);
      const pack = packB(g);
      const before = viaGemm(g);
      for (let i = 0; i < g.B.length; i++) g.B[i] *= -2;
      assert.ok(bitsEqual(viaPack(g, pack), before), `${precision}: pack changed without repack`);
      pack.repack(g);
      assert.ok(bitsEqual(viaPack(g, pack), viaGemm(g)), `${precision}: repack not used`);
      assert.throws(() => pack.repack({ ...g, N: 32 }), /repack needs a 40×33 op\(B\)/);
      pack.free();
    }
  });

  it('keeps live packs intact while others are allocated and freed', () => {
    fc.assert(fc.property(fc.array(fc.record({ free: fc.boolean(), N: fc.integer({ min: 1, max: 70 }), K: fc.integer({ min: 1, max: 90 }), s: fc.integer({ min: 0, max: 2 ** 30 }) }), { minLength: 1, maxLength: 12 }), (ops) => {
      const live: Array<{ pack: PackedB<FloatArray>; g: GemmArgs<FloatArray> }> = [];
      for (const op of ops) {
        if (op.free && live.length > 0) live.splice(op.s % live.length, 1)[0].pack.free();
        const c: Case = { M: 16, N: op.N, K: op.K, transA: false, transB: op.s % 2 === 0, alpha: 1, beta: 0, precision: 'float32', aOffset: 0, bOffset: 0, cOffset: 0, lda: op.K, ldb: op.s % 2 === 0 ? op.K : op.N, ldc: op.N, dataSeed: op.s };
        const g = makeArgs(c);
        live.push({ pack: packB(g), g });
        // Ordinary products in between use the workspace above the heap.
        viaGemm(makeArgs({ ...c, M: 33, dataSeed: op.s + 1 }));
      }
      for (const { pack, g } of live) {
        const expected = g.M * g.N * g.K >= SMALL_GEMM ? viaGemm(g) : null;
        const got = viaPack(g, pack);
        if (expected) assert.ok(bitsEqual(got, expected));
        else assert.ok(got.every(Number.isFinite));
        pack.free();
      }
    }), { seed, numRuns: 60 });
  });

  it('gives identical results for 1 and 2 threads', async () => {
    const c: Case = { M: 64, N: 512, K: 128, transA: false, transB: true, alpha: 1, beta: 1, precision: 'float32', aOffset: 5, bOffset: 65, cOffset: 0, lda: 193, ldb: 193, ldc: 512, dataSeed: seed };
    const g = makeArgs(c);
    const pack = packB(g);
    const out: FloatArray[] = [];
    for (const t of [1, 2]) {
      setGemmThreads(t);
      await gemmThreadsReady();
      out.push(viaPack(g, pack));
    }
    setGemmThreads(1);
    pack.free();
    assert.ok(bitsEqual(out[0], out[1]));
    assert.ok(bitsEqual(out[0], viaGemm(g)));
  });

  it('rejects packs and products that do not fit their arrays', () => {
    const B = new Float32Array(10);
    assert.throws(() => packB({ transB: false, N: 4, K: 3, B, ldb: 4 }), /b needs index 11 but has length 10/);
    const pack = packB({ transB: false, N: 5, K: 2, B, ldb: 5 });
    assert.throws(() => gemmPacked({ transA: false, M: 2, alpha: 1, A: new Float32Array(4), lda: 2, beta: 0, C: new Float32Array(9), ldc: 5 }, pack), /c needs index 9/);
    assert.throws(() => gemmPacked({ transA: false, M: 2, alpha: 1, A: new Float64Array(4), lda: 2, beta: 0, C: new Float64Array(10), ldc: 5 } as never, pack), /float32 pack needs Float32Array A and C/);
    pack.free();
  });
});
