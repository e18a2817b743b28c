/**
 * `sparsegrad engine-model`: a gradient dump through the exporter and the
 * bit-exact and cycle models, without simulating: the engine's test vectors
 * (inputs and expected outputs, in safetensors for numpy/torch) and the ideal
 * cycles of the sparse engine and its dense baseline. Useful for sizing a
 * configuration (--preset takes a JSON overlay) before generating RTL.
 */
import { writeFolderAtomicSync } from '../../util/atomic.ts';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../../util/errors.ts';
import { intArg } from '../../cli/options.ts';
import { stableJson } from '../../util/json.ts';
import { encodeSafetensors, type Tensor } from '../../streams/safetensors.ts';
import { compareWithGolden, firstTimeSteps, quantizeLayer, readDumpLayer, toEngineProblem } from '../../streams/quantize-layer.ts';
import { denseBaseline, type EngineConfig, loadEngineConfig } from '../../engine/config.ts';
import { idealCycles } from '../../engine/cycles.ts';
import { type EngineMode, planJobs } from '../../engine/jobs.ts';
import { runEngine } from './model.ts';

export interface EngineModelOptions {
  streams: string;
  preset: string;
  layer: number;
  mode: EngineMode | 'both';
  memLatency: number;
  steps: number;
  out: string;
}

const int = intArg;

export function register(program: Command): void {
  program
    .command('engine-model')
    .description('quantize a gradient dump for the engine and run the bit-exact and cycle models (no simulation): test vectors and ideal cycles, sparse vs dense')
    .requiredOption('--streams <file>', 'gradient dump from `sparsegrad train --dump-streams` (step-<n>.safetensors)')
    .option('--preset <name|json>', 'engine configuration: tiny, default, wide, or a JSON file ({"preset": "default", "N": 8})', 'default')
    .option('--layer <k>', 'LSTM layer of the dump', int('--layer', 0), 0)
    .addOption(new Option('--mode <m>', 'backward-data, backward-weight or both').choices(['data', 'weight', 'both']).default('both'))
    .option('--mem-latency <n>', 'memory latency in cycles for the cycle model', int('--mem-latency', 0), 20)
    .option('--steps <n>', 'use only the first n time steps (0: all)', int('--steps', 0), 0)
    .option('--out <dir>', 'output folder', 'out/engine-model')
    .action((o: EngineModelOptions) => {
      const r = engineModel(o);
      for (const line of r.table) process.stdout.write(`${line}\n`);
      process.stdout.write(`wrote ${join(o.out, 'engine-model.json')} and ${join(o.out, 'engine-model-io.safetensors')}\n`);
    });
}

function modeFigures(cfg: EngineConfig, p: ReturnType<typeof toEngineProblem>, mode: EngineMode, memLatency: number) {
  const r = runEngine(cfg, p, mode);
  const plan = planJobs(cfg, p.R, p.K, p.S, p.theta);
  const sparse = idealCycles(cfg, mode, p.R, plan, r.nnzPerVector, memLatency).ideal;
  const dense = idealCycles(denseBaseline(cfg), mode, p.R, plan, r.nnzPerVector, memLatency).ideal;
  return { result: r, plan, sparse, dense };
}

/** Runs the models and writes DIR/engine-model.json and DIR/engine-model-io.safetensors (all or nothing). */
export function engineModel(o: EngineModelOptions): { report: Record<string, unknown>; table: string[] } {
  const cfg = { ...loadEngineConfig(o.preset), skipping: true };
  const full = readDumpLayer(o.streams, o.layer);
  const layer = o.steps > 0 ? firstTimeSteps(full, o.steps) : full;
  const q = quantizeLayer(layer, cfg);
  const p = toEngineProblem(q);
  const modes: EngineMode[] = o.mode === 'both' ? ['data', 'weight'] : [o.mode];
  const tensors: Record<string, Tensor> = {
    q_g: { dtype: 'I32', shape: [q.S, q.R], data: q.g.q },
    q_W: { dtype: 'I32', shape: [q.R, q.K], data: q.W.q },
    q_a: { dtype: 'I32', shape: [q.S, q.K], data: q.a.q },
    theta_q: { dtype: 'I32', shape: [q.T], data: Int32Array.from(q.thetaQ) },
  };
  const perMode: Record<string, unknown> = {};
  const table = [`layer ${o.layer}: R ${q.R}, K ${q.K}, S ${q.S} (T ${q.T} × B ${q.B}); exponents g ${q.g.exp}, W ${q.W.exp}, a ${q.a.exp}; θ_q ${q.thetaQ[0]}${q.thetaQ.some((t) => t !== q.thetaQ[0]) ? ' (varies per step)' : ''}`];
  for (const mode of modes) {
    const f = modeFigures(cfg, p, mode, o.memLatency);
    const t = f.result.totals;
    const out = mode === 'data' ? { y: f.result.y } : { G: f.result.G };
    const err = compareWithGolden(layer, q, out);
    if (mode === 'data') tensors.y = { dtype: 'I64', shape: [q.S, q.K], data: f.result.y! };
    else tensors.G = { dtype: 'I64', shape: [q.R, q.K], data: f.result.G! };
    const sparsity = t.zeros / (t.zeros + t.nonzeros);
    perMode[mode] = {
      engineJobs: f.plan.length,
      counters: t,
      sparsity,
      idealCycles: f.sparse,
      denseIdealCycles: f.dense,
      idealSpeedup: f.dense / f.sparse,
      relativeErrorVsFloat: (err.data ?? err.weight)!,
    };
    table.push(`${mode.padEnd(6)} sparsity ${(100 * sparsity).toFixed(2)}%  ideal cycles ${f.sparse} (dense ${f.dense}, ${(f.dense / f.sparse).toFixed(3)}×)  rel. error vs float ${(err.data ?? err.weight)!.relative.toExponential(3)}`);
  }
  const report = {
    streams: o.streams,
    layer: o.layer,
    config: cfg,
    memLatency: o.memLatency,
    shape: { R: q.R, K: q.K, S: q.S, T: q.T, B: q.B },
    exponents: { g: q.g.exp, W: q.W.exp, a: q.a.exp, y: q.yExp, G: q.GExp },
    thetaQ: q.thetaQ,
    boundaryAdjusted: q.boundaryAdjusted,
    thresholdDisagreements: q.thresholdDisagreements,
    clipped: { g: q.g.clipped, W: q.W.clipped, a: q.a.clipped },
    modes: perMode,
  };
  const metadata = {
    format: 'sparsegrad-engine-model-1',
    exp_g: String(q.g.exp), exp_W: String(q.W.exp), exp_a: String(q.a.exp), exp_y: String(q.yExp), exp_G: String(q.GExp),
    acc_bits: String(cfg.accBits), layer: String(o.layer),
  };
  // Both files are staged and published together (util/atomic.ts), so a failure
  // leaves no half-written file (and nothing else in --out is touched).
  writeFolderAtomicSync(o.out, [
    ['engine-model.json', stableJson(report)],
    ['engine-model-io.safetensors', encodeSafetensors(tensors, metadata)],
  ]);
  return { report, table };
}
