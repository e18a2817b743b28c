/**
 * Training tokens/s of sparsegrad's trainer against the same model in
 * TensorFlow.js (cpu and wasm backends), measured in the same process.
 *
 * The machine is shared, so contenders are measured in interleaved rounds
 * (each round times every contender once) and each reports the median of its
 * rounds: a burst of load from elsewhere hits one round of everybody rather
 * than all of one contender. Warm-up steps are excluded from every timing.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadCorpus, StreamBatcher, type Corpus } from '../golden/corpus.ts';
import { parseTrainConfig } from '../golden/config.ts';
import { train } from '../golden/trainer.ts';
import { setGemmThreads, gemmThreadsReady } from '../golden/kernels/threads.ts';
import { startGemmStats, stopGemmStats, type GemmStats } from '../golden/kernels/gemm.ts';
import { TfjsLstm } from './tfjs-lstm.ts';
import { median, quietTfjs } from './util.ts';

export interface TrainBenchOptions {
  corpus: string;
  hidden: number;
  batch: number;
  seq: number;
  /** timed steps per contender per round */
  steps: number;
  /** untimed steps before each timed run (≥ 1: the first step's end starts sparsegrad's clock) */
  warmup: number;
  rounds: number;
  /** sparsegrad thread counts to measure (each a contender) */
  threads: number[];
  backends: Array<'cpu' | 'wasm'>;
  threshold: number;
  lr: number;
  seed: number;
  log?: (line: string) => void;
}

export interface ContenderResult {
  name: string;
  /** median over rounds of tokens per wall-clock second */
  tokensPerSec: number;
  /** median over rounds of tokens per second of CPU time of the whole process (all threads) */
  tokensPerCpuSec: number;
  /** every round's wall-clock rate, in round order */
  rounds: number[];
  /** every round's CPU-time rate, in round order */
  cpuRounds: number[];
  /** sparsegrad: median over rounds of the fraction of wall-clock step time spent in gemm, and the GFLOP/s it ran at */
  gemmShare?: number;
  gemmGflops?: number;
}

export interface TrainBenchResult {
  config: Omit<TrainBenchOptions, 'log'>;
  contenders: ContenderResult[];
  /** sparsegrad contender → tfjs contender → sparsegrad/tfjs tokens/s */
  ratios: Record<string, Record<string, number>>;
  /** the same ratios of tokens per CPU second: less sensitive to other jobs on the machine */
  cpuRatios: Record<string, Record<string, number>>;
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
  /** sparsegrad only: the products inside the timed steps */
  gemm?: GemmStats;
}

interface Contender {
  name: string;
  /** Runs warmup + steps training steps and times the timed steps. */
  run(): Promise<Timing>;
}

/**
 * Wall-clock and process CPU time since `start()`. Under load from other jobs
 * the wall clock includes time spent waiting for a core; CPU time does not
 * (for the multi-threaded contender it counts every thread's time).
 */
function stopwatch(): { start(): void; read(): Timing } {
  let wall = 0, cpu = { user: 0, system: 0 };
  return {
    start() { wall = performance.now(); cpu = process.cpuUsage(); },
    read() {
      const d = process.cpuUsage(cpu);
      return { seconds: (performance.now() - wall) / 1000, cpuSeconds: (d.user + d.system) / 1e6 };
    },
  };
}

function sparsegradContender(o: TrainBenchOptions, corpus: Corpus, threads: number): Contender {
  const cfg = parseTrainConfig({
    corpus: o.corpus, hidden: o.hidden, layers: 1, batch: o.batch, seq: o.seq, steps: o.warmup + o.steps,
    lr: o.lr, seed: o.seed, threshold: o.threshold, validChars: 1, quiet: true,
  });
  return {
    name: `sparsegrad ${threads}T`,
    async run() {
      setGemmThreads(threads);
      await gemmThreadsReady();
      // The trainer's own per-step timing includes warm-up steps; readings in onStep exclude them.
      const watch = stopwatch();
      let timing: Timing = { seconds: NaN, cpuSeconds: NaN };
      await train(cfg, {
        corpus, writeFiles: false,
        onStep: (step) => {
          if (step === o.warmup) { watch.start(); startGemmStats(); }
          if (step === o.warmup + o.steps) timing = { ...watch.read(), gemm: stopGemmStats() };
        },
      });
      return timing;
    },
  };
}

function tfjsContender(o: TrainBenchOptions, corpus: Corpus, backend: 'cpu' | 'wasm'): Contender {
  const shape = { V: corpus.vocab.length, H: o.hidden, B: o.batch, T: o.seq };
  const inputs = new Int32Array(o.batch * o.seq), targets = new Int32Array(o.batch * o.seq);
  return {
    name: `tfjs-${backend}`,
    async run() {
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
      await tf.ready();
      const model = new TfjsLstm(tf, shape, o.lr, 5, o.seed);
      const batcher = new StreamBatcher(corpus.train, o.batch, o.seq, 'training');
      const watch = stopwatch();
      for (let s = 0; s < o.warmup + o.steps; s++) {
        if (s === o.warmup) watch.start();
        batcher.next(inputs, targets);
        model.step(inputs, targets);
      }
      const timing = watch.read();
      model.dispose();
      return timing;
    },
  };
}

export async function benchTrainThroughput(o: TrainBenchOptions): Promise<TrainBenchResult> {
  const log = o.log ?? (() => {});
  quietTfjs(tf);
  const corpus = loadCorpus(o.corpus);
  const contenders: Contender[] = [
    ...o.threads.map((t) => sparsegradContender(o, corpus, t)),
    ...o.backends.map((b) => tfjsContender(o, corpus, b)),
  ];
  const tokens = o.steps * o.batch * o.seq;
  const wall = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const share = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const gflops = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const c of contenders) {
      const t = await c.run();
      wall.get(c.name)!.push(tokens / t.seconds);
      cpu.get(c.name)!.push(tokens / t.cpuSeconds);
      if (t.gemm) {
        share.get(c.name)!.push(t.gemm.seconds / t.seconds);
        gflops.get(c.name)!.push((2 * t.gemm.macs) / t.gemm.seconds / 1e9);
      }
      log(`round ${r + 1}/${o.rounds}  ${c.name.padEnd(14)} ${(tokens / t.seconds).toFixed(0).padStart(7)} tokens/s  ${(tokens / t.cpuSeconds).toFixed(0).padStart(7)} tokens/CPU-s`);
    }
  }
  setGemmThreads(1);
  const results: ContenderResult[] = contenders.map((c) => ({
    name: c.name,
    tokensPerSec: median(wall.get(c.name)!), tokensPerCpuSec: median(cpu.get(c.name)!),
    rounds: wall.get(c.name)!, cpuRounds: cpu.get(c.name)!,
    ...(share.get(c.name)!.length ? { gemmShare: median(share.get(c.name)!), gemmGflops: median(gflops.get(c.name)!) } : {}),
  }));
  const ratiosOf = (rate: (c: ContenderResult) => number): TrainBenchResult['ratios'] => Object.fromEntries(
    results.filter((x) => x.name.startsWith('sparsegrad')).map((s) => [
      s.name, Object.fromEntries(results.filter((x) => x.name.startsWith('tfjs')).map((t) => [t.name, rate(s) / rate(t)])),
    ]),
  );
  const { log: _log, ...config } = o;
  void _log;
  return { config, contenders: results, ratios: ratiosOf((c) => c.tokensPerSec), cpuRatios: ratiosOf((c) => c.tokensPerCpuSec) };
}
