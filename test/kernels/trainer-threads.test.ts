/**
 * End to end: the trainer gives byte-identical results whether its GEMMs run
 * on one thread or are split across worker threads (work is split by rows of
 * C, never by k).
 */
import assert from 'node:assert/strict';
import { parseTrainConfig } from '../../golden/config.ts';
import { loadCorpus } from '../../golden/corpus.ts';
import { train } from '../../golden/trainer.ts';
import { startGemmStats, stopGemmStats } from '../../golden/kernels/gemm.ts';
import { gemmThreadsReady, setGemmThreads, stopWorkers } from '../../golden/kernels/threads.ts';

describe('kernels: trainer determinism across GEMM threads', function () {
  after(() => stopWorkers());

  it('trains to the same losses, gradient norms and validation for 1 and 2 threads', async () => {
    const corpus = loadCorpus('data/tinyshakespeare/input.txt');
    // Sizes at which the recurrent, input and weight-gradient products all go parallel.
    const cfg = parseTrainConfig({ hidden: 64, batch: 16, seq: 16, steps: 3, seed: 7, threshold: 0.001, validChars: 256, quiet: true });
    const reports = [];
    for (const threads of [1, 2]) {
      setGemmThreads(threads);
      await gemmThreadsReady();
      startGemmStats();
      reports.push(await train(cfg, { corpus, writeFiles: false }));
      assert.ok(stopGemmStats().calls > 0);
    }
    setGemmThreads(1);
    const [one, two] = reports;
    assert.deepEqual(two.trainLoss, one.trainLoss);
    assert.deepEqual(two.validation, one.validation);
    assert.deepEqual(two.gradNorm, one.gradNorm);
    assert.deepEqual(two.accounting, one.accounting);
  });
});
