/**
 * The benchmark still runs against the trainer's current API and produces
 * complete results (tiny sizes; nothing about speed is asserted).
 */
import assert from 'node:assert/strict';
import { benchGemmShapes } from '../../bench/gemm-shapes.ts';
import { benchTrainThroughput } from '../../bench/train-throughput.ts';
import { stopWorkers } from '../../golden/kernels/threads.ts';

const positive = (x: number | undefined) => typeof x === 'number' && Number.isFinite(x) && x > 0;

describe('bench: smoke run at tiny sizes', function () {
  after(() => stopWorkers());

  it('measures every contender and the ratios between them', async () => {
    const r = await benchTrainThroughput({
      corpus: 'data/tinyshakespeare/input.txt', hidden: 16, batch: 4, seq: 8, steps: 1, warmup: 1, rounds: 1,
      threads: [1, 2], backends: ['cpu'], threshold: 0, lr: 1, seed: 1,
    });
    assert.deepEqual(r.contenders.map((c) => c.name), ['sparsegrad 1T', 'sparsegrad 2T', 'tfjs-cpu']);
    for (const c of r.contenders) assert.ok(positive(c.tokensPerSec) && positive(c.tokensPerCpuSec), c.name);
    for (const c of r.contenders.slice(0, 2)) assert.ok(positive(c.gemmShare) && c.gemmShare! <= 1 && positive(c.gemmGflops), c.name);
    assert.ok(positive(r.ratios['sparsegrad 1T']['tfjs-cpu']) && positive(r.cpuRatios['sparsegrad 2T']['tfjs-cpu']));
  });

  it('times every trainer GEMM shape on every kernel', async () => {
    const r = await benchGemmShapes({ V: 65, H: 16, B: 4, T: 8, threads: [1], backends: ['cpu'], reference: true, minSeconds: 0.01 });
    assert.equal(r.rows.length, 7);
    for (const row of r.rows) {
      assert.deepEqual(Object.keys(row.gflops).sort(), ['js-blocked', 'reference', 'tfjs-cpu', 'wasm 1T']);
      for (const k of Object.keys(row.gflops)) assert.ok(positive(row.gflops[k]) && positive(row.gflopsPerCpuSec[k]), `${row.shape} ${k}`);
    }
    assert.ok(positive(r.msPerStep['wasm 1T']) && positive(r.cpuMsPerStep['wasm 1T']));
  });
});
