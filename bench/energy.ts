/**
 * What zero skipping saves in energy, on a real gradient dump: the engine's θ is
 * set to give each target sparsity of the dump's own quantized dz, both engines
 * run in both modes in Verilator (bit-exact against the model), and every run's
 * counts of actions are priced by each energy table. Optionally the toggle
 * cross-check: bits flipped in the lane datapath's registers, sparse against
 * dense, next to the ratio of the modelled datapath energy.
 *
 *   node --import tsx bench/energy.ts --dump out/flow/streams/step-100.safetensors [--preset default]
 *        [--sparsities 0,0.5,0.8,0.85,0.9] [--toggles] [--toggle-steps 1]
 *
 * Never run by `npm test` (the dense runs are millions of cycles). docs/energy.md holds its figures.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { isUserError, UserError } from '../util/errors.ts';
import { actionCounts } from '../energy/actions.ts';
import { energyRatio, estimateEnergy, type EnergyEstimate } from '../energy/estimate.ts';
import { energyModelNames, loadEnergyModel } from '../energy/model.ts';
import { denseBaseline, loadEngineConfig, type EngineConfig } from '../engine/config.ts';
import { geometry } from '../engine/geometry.ts';
import type { EngineMode, EngineProblem } from '../engine/jobs.ts';
import { stableJson } from '../util/json.ts';
import { measuredActivity } from '../sim/engine/energy.ts';
import { measureLayer, type LayerMeasurement } from '../sim/engine/measure.ts';
import type { SimResult } from '../sim/harness/job.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../sim/harness/run.ts';
import { readVcd } from '../sim/vcd.ts';
import { firstTimeSteps, quantizeLayer, readDumpLayer, toEngineProblem } from '../streams/quantize-layer.ts';

const program = new Command('energy')
  .requiredOption('--dump <file>', 'gradient dump (step-<n>.safetensors)')
  .option('--preset <name|json>', 'engine configuration', 'default')
  .option('--layer <k>', 'LSTM layer', (v) => Number(v), 0)
  .option('--steps <n>', 'time steps of the dump to run (0: all)', (v) => Number(v), 0)
  .option('--sparsities <list>', 'target dz sparsities, comma separated', (v) => v.split(',').map(Number), [0, 0.5, 0.8, 0.85, 0.9])
  .option('--energy-model <list>', 'energy tables, comma separated', (v) => v.split(','), energyModelNames())
  .option('--mem-latency <n>', 'memory latency in cycles', (v) => Number(v), 20)
  .option('--toggles', 'also count datapath toggles from a VCD, sparse against dense')
  .option('--toggle-steps <n>', 'time steps of the dump in the toggle runs (a VCD of every signal)', (v) => Number(v), 1)
  .option('--rtl <dir>', 'directory of rtl/<preset>/<top>/ folders', 'rtl')
  .option('--out <file>', 'JSON result', 'out/bench/energy.json');

interface Options {
  dump: string; preset: string; layer: number; steps: number; sparsities: number[]; energyModel: string[]; memLatency: number;
  toggles?: boolean; toggleSteps: number; rtl: string; out: string;
}

function rtlFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new UserError(`no RTL in ${dir}; run 'sparsegrad generate' first`);
  return readdirSync(dir).filter((f) => f.endsWith('.v')).sort().map((f) => join(dir, f));
}

/** |g| as the threshold sees it: an unsigned gBits magnitude (|−2^(gBits−1)| fits). */
function magnitudes(g: Int32Array): Int32Array {
  return Int32Array.from(g, (v) => Math.abs(v)).sort();
}

/** The smallest θ_q that zeroes at least `target` of the values (0 for no thresholding). */
function thetaFor(sorted: Int32Array, target: number, thetaMax: number): number {
  if (target <= 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil(target * sorted.length) - 1);
  return Math.min(thetaMax, sorted[i]! + 1);
}

/** Registers of the lane datapath, by role: what the toggle cross-check counts. */
const DATAPATH: Record<string, RegExp> = {
  operands: /^(c1_g|c1_w|a_word|y_old|c1_gold)$/,
  products: /^c2_prod_\d+$/,
  accumulators: /^(c2_old_\d+|res)$/,
};

async function toggleRun(tb: Testbench, cfg: EngineConfig, p: EngineProblem, mode: EngineMode, o: Options, dir: string) {
  const vcdPath = join(dir, `${geometry(cfg).topName}-${mode}.vcd`);
  const m = await measureLayer(cfg, p, mode, (job) => runSimJob(tb, { ...job, vcd: { fromCycle: 0, toCycle: job.cycleLimit } }, { vcdPath }), { memLatency: o.memLatency });
  if (!m.pass) throw new Error(`toggle run ${geometry(cfg).topName} ${mode} failed: ${m.comparison.mismatchCount} mismatches, ${m.violationCount} protocol violations`);
  const s = readVcd(vcdPath, { select: (v) => v.path.includes('lanes') && Object.values(DATAPATH).some((re) => re.test(v.name)) });
  rmSync(vcdPath, { force: true });
  const byRole: Record<string, number> = {};
  s.vars.forEach((v, i) => {
    const role = Object.keys(DATAPATH).find((r) => DATAPATH[r]!.test(v.name))!;
    byRole[role] = (byRole[role] ?? 0) + s.toggles[i]!;
  });
  return { m, byRole, total: Object.values(byRole).reduce((a, b) => a + b, 0) };
}

async function main(): Promise<void> {
  const o = program.parse().opts<Options>();
  const sparse = loadEngineConfig(o.preset);
  const dense = denseBaseline(sparse);
  const presetName = /^[a-z]+$/.test(o.preset) ? o.preset : 'custom';
  const models = o.energyModel.map((n) => loadEnergyModel(n));
  const full = readDumpLayer(o.dump, o.layer);
  const layer = o.steps > 0 ? firstTimeSteps(full, o.steps) : full;
  const q = quantizeLayer(layer, sparse);
  const base = toEngineProblem(q);
  const sorted = magnitudes(base.g);
  const benches = new Map<string, Testbench>();
  for (const cfg of [sparse, dense]) {
    const top = geometry(cfg).topName;
    benches.set(top, await prepareTestbench({ top, rtlFiles: rtlFiles(join(o.rtl, presetName, top)) }));
  }
  console.log(`energy: ${o.dump} layer ${o.layer}, R=${q.R} K=${q.K} S=${q.S}, preset ${o.preset}, memory latency ${o.memLatency}`);
  const rows: Record<string, unknown>[] = [];
  for (const target of o.sparsities) {
    const theta = thetaFor(sorted, target, geometry(sparse).thetaMax);
    const p: EngineProblem = { ...base, theta };
    for (const mode of ['data', 'weight'] as EngineMode[]) {
      const runs: Record<'sparse' | 'dense', { m: LayerMeasurement; e: EnergyEstimate[] }> = {} as never;
      for (const [name, cfg] of [['sparse', sparse], ['dense', dense]] as const) {
        let result: SimResult | undefined;
        const m = await measureLayer(cfg, p, mode, async (job) => (result = await runSimJob(benches.get(geometry(cfg).topName)!, job)), { memLatency: o.memLatency, batch: q.B });
        if (!m.pass) throw new Error(`${name} ${mode} at θ_q=${theta} failed: ${m.comparison.mismatchCount} mismatches, ${m.violationCount} protocol violations`);
        const counts = actionCounts(cfg, measuredActivity(m, p, result!));
        runs[name] = { m, e: models.map((x) => estimateEnergy(x, counts)) };
      }
      const s = runs.sparse, d = runs.dense;
      const sparsity = s.m.zeros / (s.m.zeros + s.m.nonzeros);
      const row: Record<string, unknown> = {
        target, thetaQ: theta, sparsity, mode, cyclesSparse: s.m.cyclesBusy, cyclesDense: d.m.cyclesBusy,
        speedup: d.m.cyclesBusy / s.m.cyclesBusy, efficiency: s.m.efficiency,
        energy: Object.fromEntries(models.map((x, i) => [x.name, { unit: x.unit, sparse: s.e[i], dense: d.e[i], ratio: energyRatio(d.e[i]!, s.e[i]!) }])),
      };
      rows.push(row);
      const parts = models.map((x, i) => `${x.name}: ${fmt(s.e[i]!.total)} / ${fmt(d.e[i]!.total)} ${x.unit}, ratio ${energyRatio(d.e[i]!, s.e[i]!)!.toFixed(2)}×, DRAM ${(100 * s.e[i]!.memoryShare).toFixed(1)}% / ${(100 * d.e[i]!.memoryShare).toFixed(1)}%`);
      console.log(`target ${(100 * target).toFixed(0).padStart(3)}%  θ_q=${String(theta).padEnd(5)} sparsity ${(100 * sparsity).toFixed(1)}%  ${mode.padEnd(6)} speedup ${(row.speedup as number).toFixed(2)}×  ${parts.join('  ')}`);
    }
  }

  let toggles: Record<string, unknown> | null = null;
  if (o.toggles) {
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-toggles-'));
    try {
      const tl = toEngineProblem(quantizeLayer(firstTimeSteps(full, o.toggleSteps), sparse));
      toggles = {};
      for (const mode of ['data', 'weight'] as EngineMode[]) {
        const ts = await toggleRun(benches.get('sparse_bwd_engine')!, sparse, tl, mode, o, dir);
        const td = await toggleRun(benches.get('dense_bwd_engine')!, dense, tl, mode, o, dir);
        const dp = (m: LayerMeasurement) => models[0]!.actions.mul.energy * m.macsIssued + models[0]!.actions.add.energy * m.macsIssued;
        const entry = {
          sparsity: ts.m.zeros / (ts.m.zeros + ts.m.nonzeros),
          macsSparse: ts.m.macsIssued, macsDense: td.m.macsIssued,
          togglesSparse: ts.byRole, togglesDense: td.byRole,
          toggleRatio: td.total / ts.total,
          byRole: Object.fromEntries(Object.keys(DATAPATH).map((r) => [r, (td.byRole[r] ?? 0) / (ts.byRole[r] ?? 1)])),
          modelledDatapathRatio: dp(td.m) / dp(ts.m),
        };
        toggles[mode] = entry;
        console.log(`toggles ${mode.padEnd(6)} sparsity ${(100 * entry.sparsity).toFixed(1)}%: dense/sparse datapath toggles ${entry.toggleRatio.toFixed(2)}× (operands ${entry.byRole.operands!.toFixed(2)}, products ${entry.byRole.products!.toFixed(2)}, accumulators ${entry.byRole.accumulators!.toFixed(2)}), modelled datapath energy ${entry.modelledDatapathRatio.toFixed(2)}×`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, stableJson({ dump: o.dump, layer: o.layer, preset: o.preset, memLatency: o.memLatency, R: q.R, K: q.K, S: q.S, rows, toggles }));
  console.log(`wrote ${o.out}`);
}

function fmt(x: number): string {
  return x >= 1e6 ? x.toExponential(3) : x.toFixed(0);
}

main().catch((e: unknown) => {
  if (isUserError(e)) {
    console.error(`energy: error: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
