/** CLI commands of sim/: `cosim`, `regress`, `flow` (see docs/ARCHITECTURE.md). */
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { EXIT, UsageError } from '../util/errors.ts';
import { writeFileAtomicSync } from '../util/atomic.ts';
import { intArg, numberArg, presetArg } from '../cli/options.ts';
import { PRESET_NAMES } from '../engine/config.ts';
import { BACKPRESSURE_MODES } from './harness/job.ts';
import { SYNTHETIC_KINDS } from './stimulus.ts';
import { DEFAULT_ENERGY_MODEL, energyModelNames } from '../energy/model.ts';
import { addExecutorOptions, slurmCampaignOf } from '../cluster/cli.ts';
import { availableParallelism } from 'node:os';

/** Defaults of `sparsegrad flow`: a short run on 2 cores, with θ chosen for the paper's regime (measured: 87 % dz sparsity over the run, 83 % at the dumped step). */
const FLOW_DEFAULTS = { preset: 'default', hidden: 64, batch: 8, seq: 32, steps: 100, threshold: 1.4e-4, seed: 1, memLatency: 20 } as const;

const trainRtlSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES),
  rtl: z.string().optional(),
  hidden: z.number().int().min(1).max(1024),
  batch: z.number().int().min(1).max(1024),
  seq: z.number().int().min(1).max(1024),
  steps: z.number().int().min(1),
  threshold: z.number().min(0),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  memLatency: z.number().int().min(1).max(100000),
  out: z.string().min(1),
});

const flowSchema = trainRtlSchema.extend({ quiet: z.boolean(), energyModel: z.string().min(1) });

const cosimSchema = z.strictObject({
  preset: z.string(),
  streams: z.string().optional(),
  synthetic: z.enum(SYNTHETIC_KINDS).optional(),
  layer: z.number().int().min(0),
  rtl: z.string().optional(),
  mode: z.enum(['data', 'weight', 'both']),
  backpressure: z.enum(BACKPRESSURE_MODES as unknown as ['none', 'random', 'bursty']),
  memLatency: z.number().int().min(1).max(100000),
  stall: z.number().min(0).max(0.95),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  dense: z.boolean(),
  vcd: z.boolean(),
  vcdWindow: z.number().int().min(1),
  energyModel: z.string().min(1),
  out: z.string().min(1),
});

/** zod's first complaint as the one-line error the CLI prints. */
export function validateOptions<T>(schema: z.ZodType<T>, raw: unknown, flagOf: (key: string) => string = (k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  throw new UsageError(`${key ? flagOf(key) : 'options'}: ${issue.message}; see --help`);
}

const int = (flag: string) => intArg(flag);
const num = numberArg;

/** A progress bar on stderr when it is a terminal; silent otherwise (CI logs stay clean). */
export function progressBar(label: string): { update: (done: number, total: number, what: string) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {what}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, what) {
      if (!started) bar.start(total, 0, { what: '' }), (started = true);
      bar.setTotal(total);
      bar.update(done, { what });
    },
    stop: () => started && bar.stop(),
  };
}

export function register(program: Command): void {
  program
    .command('cosim')
    .description('co-simulate the engine RTL in Verilator against the bit-exact model (sparse and dense), on golden gradient streams or synthetic edge cases')
    .option('--preset <name>', `engine preset (${PRESET_NAMES.join(', ')})`, presetArg('--preset'), 'default')
    .option('--streams <file|dir>', "gradient dump(s) from 'sparsegrad train --dump-streams' (default: synthetic stimulus)")
    .option('--synthetic <kind>', `synthetic stimulus when no --streams: ${SYNTHETIC_KINDS.join(', ')}`)
    .option('--layer <n>', 'LSTM layer of the dump', int('--layer'), 0)
    .option('--rtl <dir>', 'Verilog to simulate instead of the committed rtl/ (a copy of rtl/, rtl/<preset>/ or one top folder)')
    .option('--mode <mode>', 'data (backward-data), weight (backward-weight) or both', 'both')
    .option('--backpressure <kind>', 'on every stream: none, random or bursty', 'none')
    .option('--mem-latency <cycles>', 'external memory: cycles from AR to first R beat', int('--mem-latency'), 20)
    .option('--mem-stall <p>', 'external memory: probability of a stall cycle on any channel', num('--mem-stall'), 0)
    .option('--seed <n>', 'seed of backpressure, stalls and synthetic data', int('--seed'), 1)
    .option('--no-dense', 'skip the dense baseline (no denseCycles/speedup)')
    .option('--no-vcd', 'do not rerun a failing simulation with tracing')
    .option('--vcd-window <cycles>', 'cycles traced before the first mismatch', int('--vcd-window'), 2000)
    .option('--energy-model <name|file>', `energy per action: ${energyModelNames().join(', ')} or a JSON table (docs/energy.md)`, DEFAULT_ENERGY_MODEL)
    .requiredOption('--out <dir>', 'output folder (cosim-report.json, cosim-io.safetensors, cosim-mismatch.vcd)')
    .action(async (raw) => {
      if (raw.streams && raw.synthetic) throw new UsageError('--streams and --synthetic exclude each other: pick one stimulus');
      const o = validateOptions(cosimSchema, {
        preset: raw.preset, streams: raw.streams, synthetic: raw.synthetic, layer: raw.layer, rtl: raw.rtl, mode: raw.mode,
        backpressure: raw.backpressure, memLatency: raw.memLatency, stall: raw.memStall, seed: raw.seed, dense: raw.dense, vcd: raw.vcd,
        vcdWindow: raw.vcdWindow, energyModel: raw.energyModel, out: raw.out,
      }, (k) => (k === 'stall' ? '--mem-stall' : `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
      // Loaded on use: the simulation stack is not needed to start the CLI.
      const { formatCosimReport, runCosim } = await import('./cosim.ts');
      const bar = progressBar('cosim');
      let outcome;
      try {
        outcome = await runCosim({ ...o, onProgress: bar.update });
      } finally {
        bar.stop();
      }
      process.stdout.write(formatCosimReport(outcome.report, o.out) + '\n');
      if (!outcome.report.pass) process.exitCode = EXIT.designFailure;
    });

  addExecutorOptions(program
    .command('regress')
    .description('run a matrix of presets × stimuli × backpressure × memory latency × seeds as cosims in parallel; summary table and JUnit XML')
    .option('--jobs <n>', 'simulations in parallel', int('--jobs'), Math.max(1, availableParallelism()))
    .option('--junit <file>', 'also write the JUnit XML here (it is always in --out)')
    .option('--presets <list>', 'engine presets, comma separated', 'tiny,default')
    .option('--sources <list>', `stimuli, comma separated: ${SYNTHETIC_KINDS.join(', ')}, dump:FILE (default: every edge case)`)
    .option('--streams <file|dir>', 'add every gradient dump found here as a source')
    .option('--backpressure <list>', 'backpressure kinds, comma separated', 'none,random,bursty')
    .option('--mem-latency <list>', 'memory latencies, comma separated', '1,20')
    .option('--seeds <list>', 'seeds, comma separated', '1')
    .option('--mem-stall <p>', 'memory stall probability of every point', num('--mem-stall'), 0)
    .option('--rtl <dir>', 'Verilog to simulate instead of the committed rtl/')
    .option('--out <dir>', 'output folder (regress.json, junit.xml, failing points)', 'out/regress'))
    .action(async (raw) => {
      const { defaultMatrix, runRegress, summaryTable } = await import('./regress.ts');
      const split = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
      const ints = (flag: string, v: string) => split(v).map(int(flag));
      const base = defaultMatrix(raw.streams);
      const matrix = {
        presets: split(raw.presets),
        sources: raw.sources ? [...split(raw.sources), ...base.sources.filter((x) => x.startsWith('dump:'))] : base.sources,
        backpressure: validateOptions(z.array(z.enum(['none', 'random', 'bursty'])), split(raw.backpressure), () => '--backpressure'),
        memLatency: validateOptions(z.array(z.number().int().min(1)), ints('--mem-latency', raw.memLatency), () => '--mem-latency'),
        seeds: validateOptions(z.array(z.number().int().min(0)), ints('--seeds', raw.seeds), () => '--seeds'),
      };
      if (raw.jobs < 1) throw new UsageError('--jobs must be at least 1');
      const slurm = slurmCampaignOf(raw);
      const bar = progressBar('regress');
      let results;
      try {
        results = await runRegress({ matrix, rtl: raw.rtl, jobs: raw.jobs, out: raw.out, stall: raw.memStall, slurm, onProgress: bar.update, log: (l) => process.stderr.write(`regress: ${l}\n`) });
      } finally {
        bar.stop();
      }
      process.stdout.write(summaryTable(results) + '\n');
      if (raw.junit) {
        const { readFileSync } = await import('node:fs');
        const { join } = await import('node:path');
        writeFileAtomicSync(raw.junit, readFileSync(join(raw.out, 'junit.xml')));
      }
      process.stdout.write(`wrote ${raw.out}/regress.json and ${raw.junit ?? `${raw.out}/junit.xml`}\n`);
      if (results.some((r) => !r.pass)) process.exitCode = EXIT.designFailure;
    });

  program
    .command('flow')
    .description('the whole flow: train on Tiny Shakespeare with thresholding, dump gradient streams, generate the RTL, co-simulate sparse and dense engines, print one table')
    .option('--preset <name>', `engine preset (${PRESET_NAMES.join(', ')})`, presetArg('--preset'), FLOW_DEFAULTS.preset)
    .option('--hidden <n>', 'LSTM units H of the training run', int('--hidden'), FLOW_DEFAULTS.hidden)
    .option('--batch <n>', 'batch B', int('--batch'), FLOW_DEFAULTS.batch)
    .option('--seq <n>', 'BPTT length T', int('--seq'), FLOW_DEFAULTS.seq)
    .option('--steps <n>', 'SGD steps', int('--steps'), FLOW_DEFAULTS.steps)
    .option('--threshold <θ>', 'dz threshold θ', num('--threshold'), FLOW_DEFAULTS.threshold)
    .option('--seed <n>', 'seed of training and simulation', int('--seed'), FLOW_DEFAULTS.seed)
    .option('--mem-latency <cycles>', 'external memory latency', int('--mem-latency'), FLOW_DEFAULTS.memLatency)
    .option('--rtl <dir>', 'co-simulate this Verilog instead of generating it')
    .option('--energy-model <name|file>', `energy per action: ${energyModelNames().join(', ')} or a JSON table (docs/energy.md)`, DEFAULT_ENERGY_MODEL)
    .option('--out <dir>', 'output folder', 'out/flow')
    .option('--quiet', 'no progress output')
    .action(async (raw) => {
      const { flowTable, runFlow } = await import('./flow.ts');
      const o = validateOptions(flowSchema, {
        preset: raw.preset, hidden: raw.hidden, batch: raw.batch, seq: raw.seq, steps: raw.steps, threshold: raw.threshold,
        seed: raw.seed, memLatency: raw.memLatency, rtl: raw.rtl, out: raw.out, quiet: Boolean(raw.quiet), energyModel: raw.energyModel,
      });
      const bar = o.quiet ? undefined : progressBar('cosim');
      let report;
      try {
        report = await runFlow({ ...o, log: (l) => !o.quiet && process.stderr.write(l + '\n'), onProgress: bar?.update });
      } finally {
        bar?.stop();
      }
      process.stdout.write(flowTable(report) + '\n');
      process.stdout.write(`wrote ${o.out}/flow-report.json (training in ${o.out}/train, streams in ${o.out}/streams, cosim in ${o.out}/cosim)\n`);
      if (!report.cosim.pass) process.exitCode = EXIT.designFailure;
    });

  program
    .command('train-rtl')
    .description('RTL in the loop: train a small char-LSTM three times (float, engine model, Verilated engine computing the backward products) and compare the loss curves; the RTL must equal the model exactly')
    .option('--preset <name>', `engine preset (${PRESET_NAMES.join(', ')})`, presetArg('--preset'), 'tiny')
    .option('--rtl <dir>', 'Verilog to simulate instead of the committed rtl/')
    .option('--hidden <n>', 'LSTM units H (4H must fit the preset rMax)', int('--hidden'), 8)
    .option('--batch <n>', 'batch B', int('--batch'), 4)
    .option('--seq <n>', 'BPTT length T', int('--seq'), 8)
    .option('--steps <n>', 'SGD steps', int('--steps'), 20)
    .option('--threshold <θ>', 'dz threshold θ', num('--threshold'), 1e-4)
    .option('--seed <n>', 'seed', int('--seed'), 1)
    .option('--mem-latency <cycles>', 'external memory latency', int('--mem-latency'), 20)
    .option('--out <dir>', 'output folder', 'out/train-rtl')
    .action(async (raw) => {
      const o = validateOptions(trainRtlSchema, {
        preset: raw.preset, rtl: raw.rtl, hidden: raw.hidden, batch: raw.batch, seq: raw.seq, steps: raw.steps,
        threshold: raw.threshold, seed: raw.seed, memLatency: raw.memLatency, out: raw.out,
      });
      const { runTrainRtl, trainRtlTable } = await import('./train-rtl.ts');
      const r = await runTrainRtl({ ...o, log: (l) => process.stderr.write(l + '\n') });
      process.stdout.write(trainRtlTable(r) + `\nwrote ${o.out}/train-rtl-report.json\n`);
      if (!r.pass) process.exitCode = EXIT.designFailure;
    });
}
