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
  tokensPerSec: number;
  /** every round's rate, in round order */
  rounds: number[];
}

export interface TrainBenchResult {
  config: Omit<TrainBenchOptions, 'log'>;
  contenders: ContenderResult[];
  /** sparsegrad contender → tfjs contender → sparsegrad/tfjs tokens/s */
  ratios: Record<string, Record<string, number>>;
}

interface Contender {
  name: string;
  /** Runs warmup + steps training steps and returns the seconds of the timed steps. */
  run(): Promise<number>;
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
      // The trainer's own per-step timing includes warm-up steps; timestamps from onStep exclude them.
      let start = 0, end = 0;
      await train(cfg, {
        corpus, writeFiles: false,
        onStep: (step) => {
          if (step === o.warmup) start = performance.now();
          end = performance.now();
        },
      });
      return (end - start) / 1000;
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
      let start = 0;
      for (let s = 0; s < o.warmup + o.steps; s++) {
        if (s === o.warmup) start = performance.now();
        batcher.next(inputs, targets);
        model.step(inputs, targets);
      }
      const seconds = (performance.now() - start) / 1000;
      model.dispose();
      return seconds;
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
  const rates = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const c of contenders) {
      const seconds = await c.run();
      rates.get(c.name)!.push(tokens / seconds);
      log(`round ${r + 1}/${o.rounds}  ${c.name.padEnd(14)} ${(tokens / seconds).toFixed(0).padStart(7)} tokens/s`);
    }
  }
  setGemmThreads(1);
  const results = contenders.map((c) => ({ name: c.name, tokensPerSec: median(rates.get(c.name)!), rounds: rates.get(c.name)! }));
  const ratios: TrainBenchResult['ratios'] = {};
  for (const s of results.filter((x) => x.name.startsWith('sparsegrad'))) {
    ratios[s.name] = Object.fromEntries(results.filter((x) => x.name.startsWith('tfjs')).map((t) => [t.name, s.tokensPerSec / t.tokensPerSec]));
  }
  const { log: _log, ...config } = o;
  void _log;
  return { config, contenders: results, ratios };
}
