/**
 * The cycle model's fixed latency against the real RTL: a job of one nonzero row
 * (nothing to overlap), and a job that reads no row at all, must take exactly the
 * ideal cycles, at several memory latencies, in both modes. This is what ties PIPELINE_STAGES / DATA_DRAIN in
 * engine/cycles.ts to generator/designs; it builds rtl/tiny's sparse
 * engine with Verilator (cached across runs and shared with test/sim).
 */
import { strict as assert } from 'node:assert';
import { geometry } from '../../engine/geometry.ts';
import { getPreset } from '../../engine/config.ts';
import { measureLayer } from '../../sim/engine/measure.ts';
import { describeMismatch } from '../../sim/engine/compare.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../../sim/harness/run.ts';
import { DEFAULT_RTL, locateTop } from '../../sim/rtl-locate.ts';

describe('engine-model: fixed latency measured on rtl/tiny', function () {
  const cfg = getPreset('tiny');
  let tb: Testbench;

  before(async function () {
    const top = geometry(cfg).topName;
    tb = await prepareTestbench({ top, rtlFiles: locateTop(DEFAULT_RTL, top, 'tiny') });
  });

  for (const mode of ['data', 'weight'] as const) {
    it(`${mode} mode: one-row jobs take exactly the ideal cycles (L = 2, 7, 20; K = N and 4N)`, async () => {
      for (const memLatency of [2, 7, 20]) {
        for (const K of [cfg.N, 4 * cfg.N]) {
          const R = cfg.P;
          const g = new Int32Array(R);
          g[R - 1] = -5;
          const p = { R, K, S: 1, theta: 0, g, W: new Int32Array(R * K).fill(3), a: new Int32Array(K).fill(-2) };
          const m = await measureLayer(cfg, p, mode, (job) => runSimJob(tb, job), { memLatency });
          assert.ok(m.comparison.pass, [...m.comparison.formatErrors, ...m.comparison.mismatches.map(describeMismatch)].join('; '));
          assert.equal(m.cyclesBusy, m.ideal, `L = ${memLatency}, K = ${K}: CYCLES_BUSY ${m.cyclesBusy} vs ideal ${m.ideal}`);
        }
      }
    });
  }

  // Data K = 4N has no short-row padding, and weight K = N needs one a word per vector, so the
  // activation stream never sets the bound: the vector bound is exact and only the latency is tested.
  for (const mode of ['data', 'weight'] as const) {
    it(`${mode} mode: jobs that read no row (all g' zero) take exactly the ideal cycles (L = 2, 20; S = 1, 3)`, async () => {
      for (const memLatency of [2, 20]) {
        for (const S of [1, 3]) {
          const R = 2 * cfg.P;
          const K = mode === 'data' ? 4 * cfg.N : cfg.N;
          const p = { R, K, S, theta: 0, g: new Int32Array(R * S), W: new Int32Array(R * K).fill(3), a: new Int32Array(K * S).fill(-2) };
          const m = await measureLayer(cfg, p, mode, (job) => runSimJob(tb, job), { memLatency });
          assert.ok(m.comparison.pass, [...m.comparison.formatErrors, ...m.comparison.mismatches.map(describeMismatch)].join('; '));
          assert.equal(m.cyclesBusy, m.ideal, `L = ${memLatency}, S = ${S}: CYCLES_BUSY ${m.cyclesBusy} vs ideal ${m.ideal}`);
        }
      }
    });
  }
});
