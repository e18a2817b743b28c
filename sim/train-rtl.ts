/**
 * Training with the engine in the loop, next to its references: the same
 * seed and data trained three times, with the backward products of the LSTM
 * layer computed by float GEMMs, by the engine's bit-exact model, and by the
 * Verilated engine RTL. The RTL's loss curve must equal the model's exactly;
 * both follow the float curve within quantization error.
 */
import { join } from 'node:path';
import { parseTrainConfig } from '../golden/config.ts';
import { stableJson } from '../util/json.ts';
import { train } from '../golden/trainer.ts';
import { requireTool } from '../toolchain/index.ts';
import { EngineBackwardProducts, type EngineBackwardStats } from './engine-backward.ts';
import { withStagedDir } from './out-dir.ts';
import { REPO_ROOT } from './rtl-locate.ts';

export interface TrainRtlOptions {
  preset: string;
  rtl?: string;
  hidden: number;
  batch: number;
  seq: number;
  steps: number;
  threshold: number;
  seed: number;
  memLatency: number;
  out: string;
  log: (line: string) => void;
}

export interface TrainRtlReport {
  preset: string;
  config: { hidden: number; batch: number; seq: number; steps: number; threshold: number; seed: number };
  /** Training loss per step for each backward implementation. */
  loss: { float: number[]; fixed: number[]; rtl: number[] };
  /** Steps where the RTL's loss differs from the model's in any bit (must be 0). */
  rtlVsFixedDifferingSteps: number;
  /** max |loss_fixed − loss_float| / loss_float over the steps. */
  fixedVsFloatMaxRelative: number;
  rtl: EngineBackwardStats;
  pass: boolean;
}

export async function runTrainRtl(o: TrainRtlOptions): Promise<TrainRtlReport> {
  requireTool('verilator');
  const cfg = (tag: string) =>
    parseTrainConfig({
      corpus: join(REPO_ROOT, 'data', 'tinyshakespeare', 'input.txt'),
      hidden: o.hidden, batch: o.batch, seq: o.seq, steps: o.steps, threshold: o.threshold, seed: o.seed,
      validChars: 512, out: join(o.out, tag), quiet: true,
    });
  const rtl = await EngineBackwardProducts.create('rtl', o.preset, { rtl: o.rtl, memLatency: o.memLatency });
  const fixed = await EngineBackwardProducts.create('fixed', o.preset);
  return withStagedDir(o.out, async (dir) => {
    const losses = async (tag: string, products?: EngineBackwardProducts): Promise<number[]> => {
      o.log(`train-rtl: ${o.steps} steps with ${tag} backward products`);
      const r = await train(cfg(tag), { products, writeFiles: false });
      return r.trainLoss.map(([, l]) => l);
    };
    const float = await losses('float');
    const fixedLoss = await losses('fixed', fixed);
    const rtlLoss = await losses('rtl', rtl);
    const differing = rtlLoss.filter((l, i) => !Object.is(l, fixedLoss[i])).length;
    const rel = Math.max(0, ...fixedLoss.map((l, i) => Math.abs(l - float[i]!) / Math.abs(float[i]!)));
    const report: TrainRtlReport = {
      preset: o.preset,
      config: { hidden: o.hidden, batch: o.batch, seq: o.seq, steps: o.steps, threshold: o.threshold, seed: o.seed },
      loss: { float, fixed: fixedLoss, rtl: rtlLoss },
      rtlVsFixedDifferingSteps: differing,
      fixedVsFloatMaxRelative: Number(rel.toPrecision(6)),
      rtl: rtl.stats,
      pass: differing === 0 && rtlLoss.length === o.steps,
    };
    await dir.write('train-rtl-report.json', stableJson(report));
    return report;
  });
}

export function trainRtlTable(r: TrainRtlReport): string {
  const lines = [`train with the engine in the loop: preset ${r.preset}, H=${r.config.hidden}, B=${r.config.batch}, T=${r.config.seq}, θ=${r.config.threshold}`];
  lines.push('  step  loss float   loss fixed   loss rtl');
  const every = Math.max(1, Math.floor(r.loss.float.length / 10));
  r.loss.float.forEach((f, i) => {
    if (i % every === 0 || i === r.loss.float.length - 1) {
      lines.push(`  ${String(i + 1).padStart(4)}  ${f.toFixed(6).padStart(10)}   ${r.loss.fixed[i]!.toFixed(6).padStart(10)}   ${r.loss.rtl[i]!.toFixed(6).padStart(10)}`);
    }
  });
  lines.push(`  rtl = fixed-point model: ${r.rtlVsFixedDifferingSteps === 0 ? 'exactly, every step' : `${r.rtlVsFixedDifferingSteps} steps differ`}`);
  lines.push(`  fixed-point vs float: max relative loss difference ${r.fixedVsFloatMaxRelative.toExponential(2)}`);
  lines.push(`  engine: ${r.rtl.calls} simulations, ${r.rtl.cycles} busy cycles, ${r.rtl.macsSkipped} of ${r.rtl.macsIssued + r.rtl.macsSkipped} MACs skipped`);
  return lines.join('\n');
}
