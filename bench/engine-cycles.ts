/**
 * Cycle counts of the generated engine on real gradient streams: a gradient dump
 * from `sparsegrad train --dump-streams` is quantized (streams/quantize-layer.ts),
 * run through the Verilated sparse engine and its dense baseline in both modes,
 * checked bit-exactly against the model, and timed against the ideal-cycle bound.
 *
 *   node --import tsx bench/engine-cycles.ts --dump out/d/step-100.safetensors [--preset default] [--steps 8]
 *
 * Never run by `npm test`: a full layer is tens of millions of simulated cycles.
 */
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { isUserError, UserError } from '../util/errors.ts';
import { denseBaseline, loadEngineConfig } from '../engine/config.ts';
import { geometry } from '../engine/geometry.ts';
import { stableJson } from '../util/json.ts';
import { prepareTestbench, runSimJob } from '../sim/harness/run.ts';
import { describeMismatch } from '../sim/engine/compare.ts';
import { measureLayer, type LayerMeasurement } from '../sim/engine/measure.ts';
import { compareWithGolden, firstTimeSteps, quantizeLayer, readDumpLayer, toEngineProblem } from '../streams/quantize-layer.ts';

const program = new Command('engine-cycles')
  .requiredOption('--dump <file>', 'gradient dump (step-<n>.safetensors)')
  .option('--preset <name|json>', 'engine configuration', 'default')
  .option('--layer <k>', 'LSTM layer', (v) => Number(v), 0)
  .option('--steps <n>', 'time steps of the dump to run (0: all)', (v) => Number(v), 0)
  .option('--mode <m>', 'data, weight or both', 'both')
  .option('--mem-latency <list>', 'memory latencies in cycles, comma separated (one run each)', (v) => v.split(',').map(Number), [20])
  .option('--stall <p>', 'probability that the memory withholds ready/valid in a cycle', (v) => Number(v), 0)
  .option('--backpressure <kind>', 'none, random or bursty on every stream', 'none')
  .option('--seed <n>', 'seed of backpressure and stalls', (v) => Number(v), 1)
  .option('--no-dense', 'skip the dense baseline (it takes ~8× longer)')
  .option('--rtl <dir>', 'directory of rtl/<preset>/<top>/ folders', 'rtl')
  .option('--out <file>', 'JSON result', 'out/bench/engine-cycles.json');

function rtlFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new UserError(`no RTL in ${dir}; run 'sparsegrad generate' first`);
  return readdirSync(dir).filter((f) => f.endsWith('.v') || f.endsWith('.sv')).sort().map((f) => join(dir, f));
}

async function main(): Promise<void> {
  const o = program.parse().opts<{
    dump: string; preset: string; layer: number; steps: number; mode: string; memLatency: number[]; stall: number;
    backpressure: 'none' | 'random' | 'bursty'; seed: number; dense: boolean; rtl: string; out: string;
  }>();
  const sparse = loadEngineConfig(o.preset);
  const presetName = /^[a-z]+$/.test(o.preset) ? o.preset : 'custom';
  const full = readDumpLayer(o.dump, o.layer);
  const layer = o.steps > 0 ? firstTimeSteps(full, o.steps) : full;
  const q = quantizeLayer(layer, sparse);
  const p = toEngineProblem(q);
  const modes = o.mode === 'both' ? (['data', 'weight'] as const) : ([o.mode] as ('data' | 'weight')[]);
  const rows: Record<string, unknown>[] = [];
  const results: Record<string, LayerMeasurement> = {};
  for (const cfg of o.dense ? [sparse, denseBaseline(sparse)] : [sparse]) {
    const top = geometry(cfg).topName;
    const tb = await prepareTestbench({ top, rtlFiles: rtlFiles(join(o.rtl, presetName, top)) });
    for (const memLatency of o.memLatency) for (const mode of modes) {
      const m = await measureLayer(cfg, p, mode, (job) => runSimJob(tb, job), {
        memLatency, batch: q.B, stallProbability: o.stall, backpressure: o.backpressure, seed: o.seed,
      });
      results[`${top}/${mode}/${memLatency}`] = m;
      const golden = compareWithGolden(layer, q, mode === 'data' ? { y: m.decoded.y } : { G: m.decoded.G });
      const err = mode === 'data' ? golden.data : golden.weight;
      rows.push({
        top, mode, memLatency, pass: m.pass, mismatches: m.comparison.mismatchCount, violations: m.violationCount,
        cyclesBusy: m.cyclesBusy, ideal: m.ideal, efficiency: m.efficiency, stallCycles: m.stallCycles,
        macsIssued: m.macsIssued, macsSkipped: m.macsSkipped, rowsFetched: m.rowsFetched,
        relErrVsFloat: err?.relative, simSeconds: m.simSeconds,
      });
      console.log(`${top.padEnd(18)} ${mode.padEnd(6)} L=${String(memLatency).padEnd(3)} pass=${m.pass} violations=${m.violationCount} busy=${m.cyclesBusy} ideal=${m.ideal} eff=${m.efficiency.toFixed(4)} stall=${m.stallCycles} relErr=${err?.relative.toExponential(3)} (${m.simSeconds.toFixed(1)} s)`);
      for (const e of m.comparison.formatErrors.slice(0, 5)) console.log(`  ${e}`);
      for (const x of m.comparison.mismatches.slice(0, 5)) console.log(`  ${describeMismatch(x)}`);
    }
  }
  const sparsity = results[`sparse_bwd_engine/${modes[0]}/${o.memLatency[0]}`]!;
  const summary: Record<string, unknown> = {
    dump: o.dump, layer: o.layer, preset: o.preset, memLatency: o.memLatency, stall: o.stall, backpressure: o.backpressure, seed: o.seed,
    T: q.T, B: q.B, R: q.R, K: q.K, S: q.S, thetaQ: q.thetaQ[0], exponents: { g: q.g.exp, W: q.W.exp, a: q.a.exp },
    thresholdDisagreements: q.thresholdDisagreements,
    sparsity: sparsity.zeros / (sparsity.zeros + sparsity.nonzeros),
    rows,
  };
  const speedups: string[] = [];
  for (const L of o.memLatency) for (const mode of modes) {
    const d = results[`dense_bwd_engine/${mode}/${L}`];
    if (!d) continue;
    const x = d.cyclesBusy / results[`sparse_bwd_engine/${mode}/${L}`]!.cyclesBusy;
    summary[`speedup_${mode}_L${L}`] = x;
    speedups.push(`speedup ${mode} L=${L} ${x.toFixed(3)}×`);
  }
  console.log(`sparsity ${((summary.sparsity as number) * 100).toFixed(2)}%  ${speedups.join('  ')}`);
  mkdirSync(join(o.out, '..'), { recursive: true });
  writeFileSync(o.out, stableJson(summary));
  if (rows.some((r) => !r.pass)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  if (isUserError(e)) {
    console.error(`engine-cycles: error: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
