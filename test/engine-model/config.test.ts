import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geometry } from '../../engine/geometry.ts';
import { getPreset, loadEngineConfig, parseEngineConfig, presetNames } from '../../engine/config.ts';
import { idealCycles, fixedLatency, vectorBound, efficiency } from '../../engine/cycles.ts';
import { planJobs } from '../../engine/jobs.ts';

describe('engine-model: configuration and cycle model', () => {
  it('has valid presets; default takes the golden char-LM up to H = 128; wide reaches R 4096, K 1024', () => {
    for (const n of presetNames()) assert.deepEqual(parseEngineConfig(getPreset(n)), getPreset(n));
    const d = getPreset('default');
    assert.ok(d.rMax >= 4 * 128 && d.kMax >= 65 + 128 && d.rMax >= 1024 && d.kMax >= 256);
    assert.equal(d.axiDataBits, d.N * 64, 'weight mode compute-bound');
    const w = getPreset('wide');
    assert.ok(w.rMax >= 4096 && w.kMax >= 1024 && w.N > d.N);
    assert.equal(getPreset('default', { dense: true }).skipping, false);
    assert.equal(geometry(getPreset('default', { dense: true })).topName, 'dense_bwd_engine');
    assert.equal(geometry(d).geometryReg, 4 | (4 << 8) | (1 << 16));
  });

  it('rejects bad configurations with one-line errors naming the field', () => {
    const bad: [object, RegExp][] = [
      [{ ...getPreset('tiny'), accBits: 20 }, /accBits.*at least 32/],
      [{ ...getPreset('tiny'), axiDataBits: 96 }, /axiDataBits must be a power of two/],
      [{ ...getPreset('tiny'), queueDepth: 6 }, /queueDepth must be a power of two/],
      [{ ...getPreset('tiny'), kMax: 12 }, /kMax.*bus-aligned/],
      [{ ...getPreset('tiny'), N: 0 }, /^engine config: N: /],
      [{ ...getPreset('tiny'), lanes: 3 }, /lanes/],
    ];
    for (const [cfg, re] of bad) {
      assert.throws(() => parseEngineConfig(cfg), (e: Error) => e.name === 'UserError' && re.test(e.message) && !e.message.includes('\n'));
    }
    assert.throws(() => getPreset('huge'), /unknown engine preset 'huge'; use one of: tiny, default, wide/);
  });

  it('loads a preset name or a JSON file overlaid on a preset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    try {
      const f = join(dir, 'e.json');
      writeFileSync(f, JSON.stringify({ preset: 'default', N: 8, axiDataBits: 512 }));
      assert.deepEqual(loadEngineConfig(f), { ...getPreset('default'), N: 8, axiDataBits: 512 });
      assert.deepEqual(loadEngineConfig('tiny'), getPreset('tiny'));
      assert.throws(() => loadEngineConfig(join(dir, 'none.json')), /cannot read engine config .*no such preset or file/);
      writeFileSync(f, '{');
      assert.throws(() => loadEngineConfig(f), /cannot read engine config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes the ideal bound per vector and job, dense from R, and sums tiles', () => {
    const cfg = getPreset('default');
    // R = 512, K = 193: ⌈K/N⌉ = 49, ⌈R/P⌉ = 128.
    assert.equal(vectorBound(cfg, 'data', 512, 193, 100), 4900);
    assert.equal(vectorBound(cfg, 'data', 512, 193, 1), 128, 'gradient stream bound');
    assert.equal(vectorBound(cfg, 'weight', 8, 193, 0), 49, 'activation beats bound in weight mode');
    assert.equal(vectorBound({ ...cfg, skipping: false }, 'data', 512, 193, 3), 512 * 49);
    const nnz = [100, 0, 3];
    const jobs = planJobs(cfg, 512, 193, 3);
    const e = idealCycles(cfg, 'data', 512, jobs, nnz, 20);
    assert.equal(e.ideal, 4900 + 128 + 147 + fixedLatency('data', 20));
    // Weight mode: the hazard check (1) and the last row's write round trip (L + 1) in place of the result drain (2).
    assert.equal(fixedLatency('weight', 20) - fixedLatency('data', 20), 20);
    const tiled = idealCycles(cfg, 'data', 512, planJobs(cfg, 512, 300, 1), [10], 20);
    assert.deepEqual(tiled.perJob, [10 * 64 + fixedLatency('data', 20), Math.max(10 * 11, 128) + fixedLatency('data', 20)]);
    assert.equal(efficiency(90, 100), 0.9);
  });
});
