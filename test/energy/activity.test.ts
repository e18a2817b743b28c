/**
 * The energy model's counts of actions against the engine itself:
 * - what the bit-exact model and the job plan predict agrees exactly with what a
 *   Verilated run measured (counters, stream beats, AXI4 traffic);
 * - the on-chip writes derived from the microarchitecture (energy/actions.ts)
 *   equal the write enables of every memory in a VCD of the whole run, and the
 *   reads (one per busy cycle) equal the busy cycles with the read port enabled.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../golden/rng.ts';
import { getPreset } from '../../engine/config.ts';
import type { EngineMode } from '../../engine/jobs.ts';
import { engineMemories } from '../../energy/memories.ts';
import { measureLayer } from '../../sim/engine/measure.ts';
import { measuredActivity, modelActivity } from '../../sim/engine/energy.ts';
import type { SimResult } from '../../sim/harness/job.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../../sim/harness/run.ts';
import { readVcd } from '../../sim/vcd.ts';
import { randomProblem, rtlFiles, testSeed } from '../engine-rtl/helpers.ts';

describe('energy: counts of actions against the Verilated engine (tiny preset)', function () {
  this.timeout(300_000);
  const benches: Partial<Record<'sparse' | 'dense', Testbench>> = {};
  let dir = '';

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'sparsegrad-energy-'));
    benches.sparse = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: rtlFiles('tiny', 'sparse_bwd_engine') }, { trace: true });
    benches.dense = await prepareTestbench({ top: 'dense_bwd_engine', rtlFiles: rtlFiles('tiny', 'dense_bwd_engine') }, { trace: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const engine of ['sparse', 'dense'] as const) {
    for (const mode of ['data', 'weight'] as EngineMode[]) {
      it(`${engine} ${mode}: model = measurement, derived on-chip writes = RTL write enables`, async () => {
        const seed = testSeed(`energy ${engine} ${mode}`);
        const cfg = getPreset('tiny', { dense: engine === 'dense' });
        // R with a tail (R % P ≠ 0), K over kMax (two column tiles), a vector with no nonzero value.
        const p = randomProblem(cfg, new Rng(seed), { R: 4 * 7 + 3, K: cfg.kMax + 5, S: 5, density: 0.35, theta: 200, zeroVectors: [2] });
        let result: SimResult | undefined;
        const vcdPath = join(dir, `${engine}-${mode}.vcd`);
        const m = await measureLayer(cfg, p, mode, async (job) => (result = await runSimJob(benches[engine]!, { ...job, vcd: { fromCycle: 0, toCycle: job.cycleLimit } }, { vcdPath })), { memLatency: 6, seed });
        assert.ok(m.comparison.pass, 'the run itself must be bit-exact');
        const measured = measuredActivity(m, p, result!);
        const predicted = modelActivity(m, p);
        for (const k of ['macs', 'gradBeats', 'actBeats', 'resBeats', 'readBeats', 'writeBeats', 'writeBursts'] as const) {
          assert.equal(predicted[k], measured[k], `${k}: model predicts ${predicted[k]}, the run measured ${measured[k]}`);
        }
        for (const [name, acc] of Object.entries(measured.onChip)) assert.equal(predicted.onChip[name]!.writes, acc.writes, `${name} writes`);

        // The RTL's own enables, sampled each cycle before the edge.
        const mems = engineMemories(cfg).map((x) => x.name);
        const wanted = [...mems.map((n) => `${n}__sim_we0`), 'busy_r', 'advance'];
        const counts = new Map<string, number>();
        let busy = 0, busyAdvance = 0;
        const summary = readVcd(vcdPath, {
          select: (v) => wanted.includes(v.name),
          onSample: (_t, values, vars) => {
            const val = (name: string) => values[vars.findIndex((v) => v.name === name)];
            for (const n of mems) if (val(`${n}__sim_we0`) === '1') counts.set(n, (counts.get(n) ?? 0) + 1);
            if (val('busy_r') === '1') {
              busy++;
              if (val('advance') === '1') busyAdvance++;
            }
          },
        });
        for (const n of wanted) assert.ok(summary.vars.some((v) => v.name === n), `the VCD has no ${n}; the derivation must follow the RTL's names`);
        for (const n of mems) assert.equal(measured.onChip[n]!.writes, counts.get(n) ?? 0, `${n}: derived ${measured.onChip[n]!.writes} writes, the RTL enabled ${counts.get(n) ?? 0}`);
        assert.equal(busy, m.cyclesBusy, 'busy cycles in the VCD = CYCLES_BUSY');
        // The derived reads against the RTL's read enables: the FIFOs read every busy cycle, y and a whenever
        // the lane pipeline advances (every busy cycle here, with no backpressure on m_axis_res).
        for (const [name, acc] of Object.entries(measured.onChip)) {
          assert.equal(acc.reads, name === 'y_ram' || name === 'a_ram' ? busyAdvance : busy, `${name} reads`);
        }
      });
    }
  }
});

describe('energy in cosim-report.json agrees with the model (tiny preset)', function () {
  this.timeout(300_000);
  it('per-step counts of every action but the on-chip reads equal the prediction, dense costs more', async () => {
    const { runCosim } = await import('../../sim/cosim.ts');
    const { predictedActivity, actionCounts } = await import('../../energy/actions.ts');
    const { planJobs } = await import('../../engine/jobs.ts');
    const { thresholdAll } = await import('../../golden/engine-model/model.ts');
    const { syntheticStimulus } = await import('../../sim/stimulus.ts');
    const { planLayout } = await import('../../sim/engine/layout.ts');
    const { idealCycles } = await import('../../engine/cycles.ts');
    const { runEngine } = await import('../../golden/engine-model/model.ts');
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-energy-cosim-'));
    try {
      const seed = testSeed('energy cosim');
      const { report } = await runCosim({ preset: 'tiny', synthetic: 'random', mode: 'both', backpressure: 'random', memLatency: 20, seed, out: join(dir, 'c') });
      assert.ok(report.pass);
      for (const run of report.runs) {
        const cfg = getPreset('tiny', { dense: run.engine === 'dense' });
        const p = syntheticStimulus(getPreset('tiny'), 'random', seed).problem;
        const plan = planJobs(cfg, p.R, p.K, p.S, p.theta);
        const expected = runEngine(cfg, p, run.mode);
        const ideal = idealCycles(cfg, run.mode, p.R, plan, expected.nnzPerVector, 20).ideal;
        const predicted = actionCounts(cfg, predictedActivity(cfg, run.mode, { R: p.R, gt: thresholdAll(p).gt }, plan, expected.totals, planLayout(cfg, p.R, p.K), ideal));
        for (const [k, v] of Object.entries(run.energy.counts)) {
          if (k === 'sram_read_bit') continue; // follows busy cycles, which backpressure stretches
          assert.equal(v, predicted[k as keyof typeof predicted], `${run.engine} ${run.mode}: ${k}`);
        }
      }
      assert.ok(report.energy.ratio! > 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
