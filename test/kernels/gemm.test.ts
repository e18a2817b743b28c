/**
 * Every GEMM kernel against the reference loop on random shapes, layouts and
 * scalars. Float64 and small Float32 products must be bit-identical to the
 * reference; the WebAssembly Float32 path must equal a scalar model of its
 * own arithmetic exactly (f32 products and running sums, k = 0..K-1) and stay
 * within the summation-order error bound of the reference.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkGemmArgs, gemm, gemmReference, SMALL_GEMM, type FloatArray, type GemmArgs } from '../../golden/kernels/gemm.ts';
import { gemmJs } from '../../golden/kernels/gemm-js.ts';
import { F32_KERNEL, gemmWasm, KC, mainKernels } from '../../golden/kernels/sgemm-wasm.ts';
import { gemmThreadsReady, setGemmThreads, sgemmRunner, splitRange, stopWorkers } from '../../golden/kernels/threads.ts';
import { testSeed, seededFill, type Case, caseArb, makeArgs, outsideWindowUntouched } from './gemm-cases.ts';

const seed = testSeed();

/** The WebAssembly kernel's arithmetic, element by element. */
function sgemmModel(g: GemmArgs<Float32Array>): void {
  const { transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc } = g;
  const ao = g.aOffset ?? 0, bo = g.bOffset ?? 0, co = g.cOffset ?? 0;
  const f = Math.fround;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[ao + k * lda + i] : A[ao + i * lda + k];
        const b = transB ? B[bo + j * ldb + k] : B[bo + k * ldb + j];
        s = f(s + f(a * b));
      }
      const c = co + i * ldc + j;
      C[c] = beta === 0 ? alpha * s : alpha * s + beta * C[c];
    }
  }
}

function bitsEqual(x: FloatArray, y: FloatArray): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

function run(c: Case, kernel: (g: GemmArgs<FloatArray>) => void): FloatArray {
  const g = makeArgs(c);
  kernel(g);
  return g.C;
}

describe('kernels: gemm', function () {
  before(() => console.log(`      seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`));
  after(() => stopWorkers());

  it('blocked JavaScript kernel is bit-identical to the reference (Float32 and Float64)', () => {
    fc.assert(fc.property(caseArb({ maxDim: 23, maxK: 40 }), (c) => {
      assert.ok(bitsEqual(run(c, gemmJs), run(c, gemmReference)));
    }), { seed, numRuns: 300 });
  });

  it('WebAssembly Float32 kernel equals its f32-accumulation model exactly, across k-blocks', () => {
    fc.assert(fc.property(caseArb({ maxDim: 37, maxK: KC + 70, precision: 'float32' }), (c) => {
      const got = run(c, (g) => gemmWasm(g));
      assert.ok(bitsEqual(got, run(c, (g) => sgemmModel(g as GemmArgs<Float32Array>))));
    }), { seed, numRuns: 150 });
  });

  it('WebAssembly Float64 kernel is bit-identical to the reference, across k-blocks', () => {
    fc.assert(fc.property(caseArb({ maxDim: 37, maxK: KC + 70, precision: 'float64' }), (c) => {
      assert.ok(bitsEqual(run(c, (g) => gemmWasm(g)), run(c, gemmReference)));
    }), { seed, numRuns: 150 });
  });

  it('Float32 results differ from the reference only within the summation-order bound', () => {
    const u = 2 ** -24;
    fc.assert(fc.property(caseArb({ maxDim: 37, maxK: 600, precision: 'float32' }), (c) => {
      const got = run(c, gemm);
      const ref = run(c, gemmReference);
      // Σ|a||b| per element, from the reference on absolute values in Float64.
      const abs = makeArgs({ ...c, precision: 'float64', beta: 0, alpha: 1 });
      for (const x of [abs.A, abs.B]) for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]);
      gemmReference(abs);
      const gammaK = (c.K * u) / (1 - c.K * u);
      const base = makeArgs(c).C;
      const co = c.cOffset;
      for (let i = 0; i < c.M; i++) {
        for (let j = 0; j < c.N; j++) {
          const p = co + i * c.ldc + j;
          // The reference rounds once at the end, the kernel also rounds alpha·s + beta·c once.
          const bound = Math.abs(c.alpha) * gammaK * abs.C[p] + 2 * u * (Math.abs(ref[p]) + Math.abs(c.beta * base[p])) + 1e-30;
          assert.ok(Math.abs(got[p] - ref[p]) <= bound, `C[${i},${j}] = ${got[p]} vs ${ref[p]}, bound ${bound}`);
        }
      }
    }), { seed, numRuns: 100 });
  });

  it('gemm is bit-identical to the reference for Float64 and small Float32 products', () => {
    fc.assert(fc.property(caseArb({ maxDim: 30, maxK: 60 }), (c) => {
      fc.pre(c.precision === 'float64' || c.M * c.N * c.K < SMALL_GEMM);
      assert.ok(bitsEqual(run(c, gemm), run(c, gemmReference)));
    }), { seed, numRuns: 200 });
  });

  it('never writes outside the C window and never reads C when beta = 0', () => {
    fc.assert(fc.property(caseArb({ maxDim: 25, maxK: 50 }), (c) => {
      const g = makeArgs({ ...c, beta: 0 }, { poisonC: true });
      gemm(g);
      outsideWindowUntouched(g);
      for (let i = 0; i < c.M; i++) for (let j = 0; j < c.N; j++) assert.ok(Number.isFinite(g.C[c.cOffset + i * c.ldc + j]));
    }), { seed, numRuns: 150 });
  });

  it('gives identical results for 1, 2 and 3 threads and on repeated runs (Float64: the reference\'s)', async () => {
    const rng = seededFill(seed);
    const shapes: Array<[number, number, number, boolean, boolean]> = [
      [64, 512, 128, false, true], [512, 193, 300, true, false], [96, 130, 257, false, false], [33, 65, 700, true, true],
    ];
    const precisions: Array<Case['precision']> = ['float32', 'float64', 'float32', 'float64'];
    const dataSeeds = shapes.map(() => rng());
    const results = new Map<string, FloatArray[]>();
    for (const threads of [1, 2, 3]) {
      setGemmThreads(threads);
      await gemmThreadsReady();
      for (const [s, [M, N, K, transA, transB]] of shapes.entries()) {
        const c: Case = { M, N, K, transA, transB, alpha: 1, beta: 1, precision: precisions[s], aOffset: 3, bOffset: 1, cOffset: 2, lda: (transA ? M : K) + 1, ldb: transB ? K : N, ldc: N + 2, dataSeed: dataSeeds[s] };
        const key = `${M}x${N}x${K}`;
        for (let rep = 0; rep < 2; rep++) {
          const out = run(c, gemm);
          if (rep === 0 && threads === 2 && c.precision === 'float64') assert.ok(bitsEqual(out, run(c, gemmReference)), `${M}x${N}x${K} Float64 differs from the reference`);
          const list = results.get(key) ?? [];
          list.push(out);
          results.set(key, list);
        }
      }
    }
    for (const [key, outs] of results) for (const o of outs) assert.ok(bitsEqual(o, outs[0]), `${key} differs across thread counts`);
    setGemmThreads(1);
  });

  it('grows the shared memory under running workers, and survives a worker failure', async () => {
    setGemmThreads(2);
    await gemmThreadsReady();
    const pages = mainKernels().memory.buffer.byteLength;
    // Tall enough that A and C alone exceed the memory earlier tests (or files) left behind.
    const M = Math.ceil(pages / 4 / (64 + 24)) + 512;
    const big: Case = { M, N: 24, K: 64, transA: false, transB: false, alpha: 1, beta: 0, precision: 'float32', aOffset: 0, bOffset: 0, cOffset: 0, lda: 64, ldb: 24, ldc: 24, dataSeed: seed };
    const two = run(big, gemm);
    assert.ok(mainKernels().memory.buffer.byteLength > pages, 'the product should have grown memory');
    // A job whose operands lie outside memory traps in every thread: an error, not a hang.
    const far = 2 ** 30 - 64; // bytes: past the end of memory unless it has grown to its 1 GiB maximum
    const bogus = { kernel: F32_KERNEL, mBlocks: 64, nPanels: 8, K: 512, ap: far, rsA: 2048, csA: 4, bp: far, psB: 32, ksB: 256, c: far, ldc: 256 };
    assert.throws(() => sgemmRunner()(bogus), /gemm worker thread failed/);
    await gemmThreadsReady();
    assert.ok(bitsEqual(run(big, gemm), two), 'the restarted pool computes the same');
    setGemmThreads(1);
    assert.ok(bitsEqual(run(big, gemm), two), '1 thread computes the same');
  });

  it('splits row blocks into contiguous, covering ranges', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 9 }), (blocks, parts) => {
      const r = splitRange(blocks, parts);
      assert.equal(r.length, parts);
      assert.equal(r[0][0], 0);
      assert.equal(r[parts - 1][1], blocks);
      for (let p = 1; p < parts; p++) assert.equal(r[p][0], r[p - 1][1]);
      for (const [a, b] of r) assert.ok(b - a === Math.floor(blocks / parts) || b - a === Math.ceil(blocks / parts));
    }), { seed, numRuns: 200 });
  });

  it('rejects operands too short for their shape, leading dimension or offset', () => {
    const A = new Float32Array(12), B = new Float32Array(12), C = new Float32Array(9);
    const ok: GemmArgs<Float32Array> = { transA: false, transB: false, M: 3, N: 3, K: 4, alpha: 1, A, lda: 4, B, ldb: 3, beta: 0, C, ldc: 3 };
    assert.doesNotThrow(() => checkGemmArgs(ok));
    assert.throws(() => gemm({ ...ok, lda: 3 }), /lda = 3 is smaller than the row width 4/);
    assert.throws(() => gemm({ ...ok, aOffset: 1 }), /a needs index 12 but has length 12/);
    assert.throws(() => gemm({ ...ok, ldc: 4 }), /c needs index 10/);
    assert.throws(() => gemm({ ...ok, K: -1 }), /K must be a non-negative integer/);
    assert.throws(() => gemm({ ...ok, bOffset: 1 }), /b needs index 12/);
  });

  it('handles empty products like the reference (K = 0 scales C by beta)', () => {
    for (const precision of ['float32', 'float64'] as const) {
      const c: Case = { M: 3, N: 4, K: 0, transA: false, transB: false, alpha: 2, beta: 0.5, precision, aOffset: 0, bOffset: 0, cOffset: 0, lda: 0, ldb: 4, ldc: 4, dataSeed: 7 };
      assert.ok(bitsEqual(run(c, gemm), run(c, gemmReference)));
    }
  });
});
