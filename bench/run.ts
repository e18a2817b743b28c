/**
 * `npm run bench [-- options]`: the trainer benchmark (tokens/s of sparsegrad
 * vs TensorFlow.js cpu and wasm on the same LSTM) and the GEMM microbenchmark
 * of the trainer's shapes. Never run by `npm test`; figures depend on the
 * machine and its load, which the output records.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { stableJson } from '../util/json.ts';
import { DEFAULT_CORPUS } from '../golden/config.ts';
import { isUserError } from '../util/errors.ts';
import { benchGemmShapes, type GemmBenchResult } from './gemm-shapes.ts';
import { benchTrainThroughput, type TrainBenchResult } from './train-throughput.ts';
import { machine } from './util.ts';

const positiveInt = (name: string, min = 1) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};
const intList = (v: string): number[] => v.split(',').map((x) => positiveInt('each thread count')(x.trim()));
const backendList = (v: string): Array<'cpu' | 'wasm'> =>
  v === '' || v === 'none' ? [] : v.split(',').map((x) => {
    if (x !== 'cpu' && x !== 'wasm') throw new InvalidArgumentError(`unknown tfjs backend "${x}"; use cpu, wasm or none`);
    return x;
  });

const program = new Command('bench')
  .description('sparsegrad benchmarks: trainer tokens/s vs TensorFlow.js, and the trainer\'s GEMM shapes')
  .option('--suite <list>', 'what to run: train, gemm or train,gemm', 'train,gemm')
  .option('--corpus <file>', 'training text', DEFAULT_CORPUS)
  .option('--hidden <n>', 'LSTM units H', positiveInt('--hidden'), 128)
  .option('--batch <n>', 'batch B', positiveInt('--batch'), 32)
  .option('--seq <n>', 'BPTT steps T', positiveInt('--seq'), 64)
  .option('--steps <n>', 'timed training steps per contender per round', positiveInt('--steps'), 8)
  .option('--warmup <n>', 'untimed steps before each timed run', positiveInt('--warmup'), 2)
  .option('--rounds <n>', 'interleaved rounds; each contender reports its median', positiveInt('--rounds'), 3)
  .option('--threads <list>', 'sparsegrad GEMM thread counts to measure', intList, [1, 2])
  .option('--backends <list>', 'tfjs backends: cpu,wasm (or none)', backendList, ['cpu', 'wasm'] as Array<'cpu' | 'wasm'>)
  .option('--threshold <θ>', 'sparsegrad dz threshold (0: dense, like tfjs)', parseFloat, 0)
  .option('--reference', 'also time the plain reference GEMM loop (slow)', false)
  .option('--quick', 'a smoke run: 2 steps, 1 warm-up, 1 round, short GEMM timings', false)
  .option('--json <file>', 'also write the results as JSON')
  .action(async (o) => {
    const suites = String(o.suite).split(',');
    for (const s of suites) if (s !== 'train' && s !== 'gemm') throw new InvalidArgumentError(`unknown suite "${s}"; use train and/or gemm`);
    if (o.quick) Object.assign(o, { steps: 2, warmup: 1, rounds: 1 });
    const log = (line: string) => console.error(line);
    const out: Record<string, unknown> = { machine: machine() };
    if (suites.includes('train')) {
      const train = await benchTrainThroughput({
        corpus: o.corpus, hidden: o.hidden, batch: o.batch, seq: o.seq, steps: o.steps, warmup: o.warmup, rounds: o.rounds,
        threads: o.threads, backends: o.backends, threshold: o.threshold, lr: 1, seed: 1, log,
      });
      printTrain(train);
      out.train = train;
    }
    if (suites.includes('gemm')) {
      const gemm = await benchGemmShapes({ V: 65, H: o.hidden, B: o.batch, T: o.seq, threads: o.threads, backends: o.backends, reference: o.reference, minSeconds: o.quick ? 0.02 : 0.2, log });
      printGemm(gemm);
      out.gemm = gemm;
    }
    out.machineAfter = machine();
    if (o.json) writeFileSync(o.json, stableJson(out));
  });

function printTrain(r: TrainBenchResult): void {
  const { hidden, batch, seq, steps, warmup, rounds } = r.config;
  console.log(`\ntraining throughput  H=${hidden} L=1 B=${batch} T=${seq} V=65, SGD; median of ${rounds} round(s) of ${steps} steps after ${warmup} warm-up`);
  const tfjs = r.contenders.filter((c) => c.name.startsWith('tfjs'));
  const vs = (x: number, y: number) => `${(x / y).toFixed(2)}×`.padStart(14);
  console.log([
    'contender'.padEnd(16), 'tokens/s'.padStart(10), ...tfjs.map((t) => `vs ${t.name}`.padStart(14)),
    'tokens/CPU-s'.padStart(14), ...tfjs.map((t) => `vs ${t.name}`.padStart(14)),
  ].join(''));
  for (const c of r.contenders) {
    console.log([
      c.name.padEnd(16), c.tokensPerSec.toFixed(0).padStart(10), ...tfjs.map((t) => vs(c.tokensPerSec, t.tokensPerSec)),
      c.tokensPerCpuSec.toFixed(0).padStart(14), ...tfjs.map((t) => vs(c.tokensPerCpuSec, t.tokensPerCpuSec)),
    ].join(''));
  }
  console.log('tokens/s: wall clock; tokens/CPU-s: per second of process CPU time (all threads), less affected by other jobs');
  for (const c of r.contenders) {
    if (c.gemmShare !== undefined) console.log(`${c.name}: gemm ${(100 * c.gemmShare).toFixed(1)}% of step time, at ${c.gemmGflops!.toFixed(2)} GFLOP/s`);
  }
}

function printGemm(g: GemmBenchResult): void {
  const kernels = Object.keys(g.rows[0].gflops);
  const table = (title: string, rate: (r: GemmBenchResult['rows'][number], k: string) => number, perStep: Record<string, number>) => {
    console.log(`\n${title}`);
    console.log(['shape'.padEnd(30), 'M×N×K'.padEnd(16), 'calls'.padStart(6), ...kernels.map((k) => k.padStart(12))].join(''));
    for (const r of g.rows) {
      console.log([r.shape.padEnd(30), `${r.M}×${r.N}×${r.K}`.padEnd(16), String(r.callsPerStep).padStart(6), ...kernels.map((k) => rate(r, k).toFixed(2).padStart(12))].join(''));
    }
    console.log(['ms per training step'.padEnd(52), ...kernels.map((k) => perStep[k].toFixed(1).padStart(12))].join(''));
  };
  table('trainer GEMM shapes, GFLOP/s (2·M·N·K per call, wall clock; wasm: recurrent products through gemmPacked as in the trainer)', (r, k) => r.gflops[k], g.msPerStep);
  table('the same per second of process CPU time (all threads; less affected by other jobs)', (r, k) => r.gflopsPerCpuSec[k], g.cpuMsPerStep);
}

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof InvalidArgumentError || isUserError(e)) {
      console.error(`bench: error: ${(e as Error).message}`);
      process.exit(1);
    }
    throw e;
  },
);
