/**
 * RTL in the loop: a few training steps whose LSTM backward products run on
 * the Verilated engine give exactly the loss curve of the engine's bit-exact
 * model, and stay within quantization error of the float trainer.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrainRtl } from '../../sim/train-rtl.ts';

describe('sim train-rtl: training with the engine RTL computing the backward products', function () {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'sg-train-rtl-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('follows the fixed-point model exactly and the float trainer within quantization error', async () => {
    const r = await runTrainRtl({ preset: 'tiny', hidden: 8, batch: 2, seq: 4, steps: 4, threshold: 3e-4, seed: 7, memLatency: 6, out, log: () => {} });
    assert.equal(r.loss.rtl.length, 4);
    assert.deepEqual(r.loss.rtl, r.loss.fixed);
    assert.equal(r.rtlVsFixedDifferingSteps, 0);
    assert.ok(r.fixedVsFloatMaxRelative < 1e-3, `fixed vs float ${r.fixedVsFloatMaxRelative}`);
    // hiddenGrad per time step plus dW per step (layer 0 has no dx).
    assert.equal(r.rtl.calls, 4 * (4 + 1));
    assert.ok(r.rtl.cycles > 0, 'the products ran on the simulated engine');
    assert.ok(r.rtl.macsSkipped > 0, 'thresholded rows were skipped');
    assert.equal(r.pass, true);
  });
});
