/**
 * `sparsegrad flow`: the whole story in one command. Train a small char-LSTM
 * on Tiny Shakespeare with dz thresholding and dump the gradient streams of
 * its last step; generate the engine RTL for the preset; co-simulate it on
 * those streams (sparse and dense, both modes, memory latency 20); print one
 * table. Everything lands in --out (train/, streams/, rtl/, cosim/,
 * flow-report.json), written through a staging folder.
 */
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../cli/errors.ts';
import { getPreset } from '../golden/engine-model/config.ts';
import { parseTrainConfig } from '../golden/config.ts';
import { train } from '../golden/trainer.ts';
import { requireTool } from '../toolchain/index.ts';
import { stableJson } from '../golden/json.ts';
import { type CosimReport, runCosim } from './cosim.ts';
import { withStagedDir } from './out-dir.ts';
import { REPO_ROOT } from './rtl-locate.ts';

export interface FlowOptions {
  preset: string;
  hidden: number;
  batch: number;
  seq: number;
  steps: number;
  threshold: number;
  seed: number;
  memLatency: number;
  /** Use the committed rtl/ instead of generating it (the generator's own test keeps them equal). */
  rtl?: string;
  out: string;
  quiet: boolean;
  log: (line: string) => void;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface FlowReport {
  preset: string;
  train: { hidden: number; batch: number; seq: number; steps: number; threshold: number; seed: number; validBpc: number; dzSparsity: number; macsRedundant: number };
  cosim: CosimReport;
}

async function generateRtl(preset: string, out: string): Promise<void> {
  const bin = join(REPO_ROOT, 'bin', 'sparsegrad');
  const r = await execa(bin, ['generate', '--preset', preset, '--out', out], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    const why = (r.stderr || r.stdout).split('\n').find(Boolean) ?? `exit ${r.exitCode}`;
    throw new UserError(`generating the RTL failed: ${why.replace(/^sparsegrad: error: /, '')}`);
  }
}

export async function runFlow(o: FlowOptions): Promise<FlowReport> {
  requireTool('verilator');
  getPreset(o.preset);
  return withStagedDir(o.out, async (dir) => {
    o.log(`flow: training H=${o.hidden} for ${o.steps} steps on Tiny Shakespeare with θ = ${o.threshold}`);
    const cfg = parseTrainConfig({
      corpus: join(REPO_ROOT, 'data', 'tinyshakespeare', 'input.txt'),
      hidden: o.hidden,
      batch: o.batch,
      seq: o.seq,
      steps: o.steps,
      threshold: o.threshold,
      seed: o.seed,
      validChars: 4096,
      out: dir.path('train'),
      dumpStreams: dir.path('streams'),
      dumpSteps: [o.steps],
      quiet: o.quiet,
    });
    const trained = await train(cfg);
    const dump = trained.dumps[trained.dumps.length - 1];
    if (!dump) throw new Error('the trainer wrote no gradient dump');

    let rtl = o.rtl;
    if (!rtl) {
      o.log(`flow: generating the ${o.preset} engines (sparse and dense)`);
      rtl = dir.path('rtl');
      await generateRtl(o.preset, rtl);
    }
    o.log(`flow: co-simulating both engines on ${dump.split('/').pop()} (memory latency ${o.memLatency})`);
    const { report } = await runCosim(
      {
        preset: o.preset,
        streams: dump,
        rtl,
        mode: 'both',
        backpressure: 'none',
        memLatency: o.memLatency,
        seed: o.seed,
        out: dir.path('cosim'),
        onProgress: o.onProgress,
      },
    );
    const a = trained.accounting.lstm;
    const flow: FlowReport = {
      preset: o.preset,
      train: {
        hidden: o.hidden, batch: o.batch, seq: o.seq, steps: o.steps, threshold: o.threshold, seed: o.seed,
        validBpc: Number(trained.final.validBpc.toFixed(4)),
        dzSparsity: Number(a.sparsityAfter.toFixed(6)),
        macsRedundant: Number(a.redundantFraction.toFixed(6)),
      },
      // Paths inside the report are relative to the output folder.
      cosim: { ...report, rtl: o.rtl ? resolve(o.rtl) : 'rtl/', sources: report.sources.map((s) => s.replace(dir.staging + '/', '')) },
    };
    await dir.write('flow-report.json', stableJson(flow));
    return flow;
  });
}

export function flowTable(f: FlowReport): string {
  const c = f.cosim;
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows: [string, string][] = [
    ['dz sparsity (whole training run, float θ)', pct(f.train.dzSparsity)],
    ['dz sparsity (dumped step, engine θ_q)', pct(c.sparsity)],
    ['LSTM training MACs redundant (whole run)', pct(f.train.macsRedundant)],
    ['backward-product MACs skipped by the engine', pct(c.macsRedundant)],
    ['dense engine cycles', String(c.denseCycles ?? '-')],
    ['sparse engine cycles', String(c.cycles)],
    ['ideal cycles (cycle model)', String(c.idealCycles)],
    ['speedup (dense / sparse)', c.speedup === null ? '-' : `${c.speedup.toFixed(2)}x`],
    ['efficiency (ideal / sparse)', c.efficiency.toFixed(3)],
    ['relative error vs float golden (y, G)', c.goldenError ? `${c.goldenError.data?.relative.toExponential(2) ?? '-'}, ${c.goldenError.weight?.relative.toExponential(2) ?? '-'}` : '-'],
    ['bit-exact vs model', c.pass ? 'PASS' : `FAIL (${c.mismatches} mismatches)`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const head = `sparsegrad flow: preset ${f.preset}, H=${f.train.hidden}, ${f.train.steps} steps, θ=${f.train.threshold}, validation ${f.train.validBpc} bpc, memory latency ${c.memLatency}`;
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join('\n');
}
