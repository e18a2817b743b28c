/**
 * Microbenchmark of the GEMMs the trainer issues for one LSTM layer and the
 * head, in the trainer's exact layouts (offsets and leading dimensions of the
 * [x; h] activations and the [W_ih | W_hh] weights), for every kernel behind
 * `gemm` and for tfjs matMul on its cpu and wasm backends. The two recurrent
 * products go through `gemmPacked` on the wasm kernel, as in the trainer.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { gemmReference, type GemmArgs } from '../golden/kernels/gemm.ts';
import { gemmJs } from '../golden/kernels/gemm-js.ts';
import { gemm, gemmPacked, packB } from '../golden/kernels/gemm.ts';
import { setGemmThreads, gemmThreadsReady } from '../golden/kernels/threads.ts';
import { quietTfjs, secondsPerCall } from './util.ts';

export interface GemmShape {
  name: string;
  /** calls per training step (T·B tokens), to weigh the shapes */
  callsPerStep: number;
  args: GemmArgs<Float32Array>;
  /** the trainer packs op(B) once per pass for these (W_hh): the wasm kernels are timed through gemmPacked */
  packed?: boolean;
}

/** The trainer's products (golden/lstm.ts, backward-products.ts, network.ts) for L = 1. */
export function trainerShapes(V: number, H: number, B: number, T: number): GemmShape[] {
  const D = V, DH = D + H, G = 4 * H, N = T * B;
  const f = (n: number) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.7) * 0.5;
    return x;
  };
  const act = f(N * DH), W = f(G * DH), gates = f(N * G), dz = f(N * G), h = f(N * H), headW = f(V * H), d = f(N * V);
  const g = (a: Omit<GemmArgs<Float32Array>, 'alpha'>): GemmArgs<Float32Array> => ({ alpha: 1, ...a });
  return [
    { name: 'input projection  x·W_ihᵀ', callsPerStep: 1, args: g({ transA: false, transB: true, M: N, N: G, K: D, A: act, lda: DH, B: W, ldb: DH, beta: 1, C: gates, ldc: G }) },
    { name: 'recurrent  h·W_hhᵀ', callsPerStep: T, packed: true, args: g({ transA: false, transB: true, M: B, N: G, K: H, A: act, aOffset: D, lda: DH, B: W, bOffset: D, ldb: DH, beta: 1, C: gates, ldc: G }) },
    { name: 'backward data  dz·W_hh', callsPerStep: T, packed: true, args: g({ transA: false, transB: false, M: B, N: H, K: G, A: dz, lda: G, B: W, bOffset: D, ldb: DH, beta: 0, C: f(B * H), ldc: H }) },
    { name: 'backward weight  dzᵀ·[x;h]', callsPerStep: 1, args: g({ transA: true, transB: false, M: G, N: DH, K: N, A: dz, lda: G, B: act, ldb: DH, beta: 0, C: f(G * DH), ldc: DH }) },
    { name: 'head  h·W_yᵀ', callsPerStep: 1, args: g({ transA: false, transB: true, M: N, N: V, K: H, A: h, lda: H, B: headW, ldb: H, beta: 1, C: d, ldc: V }) },
    { name: 'head weight  dyᵀ·h', callsPerStep: 1, args: g({ transA: true, transB: false, M: V, N: H, K: N, A: d, lda: V, B: h, ldb: H, beta: 0, C: f(V * H), ldc: H }) },
    { name: 'head data  dy·W_y', callsPerStep: 1, args: g({ transA: false, transB: false, M: N, N: H, K: V, A: d, lda: V, B: headW, ldb: H, beta: 0, C: f(N * H), ldc: H }) },
  ];
}

export interface GemmBenchOptions {
  V: number;
  H: number;
  B: number;
  T: number;
  threads: number[];
  backends: Array<'cpu' | 'wasm'>;
  /** include the plain reference loop (slow: seconds for the weight-gradient shape) */
  reference: boolean;
  minSeconds: number;
  log?: (line: string) => void;
}

export interface GemmBenchRow {
  shape: string;
  M: number;
  N: number;
  K: number;
  callsPerStep: number;
  /** kernel → GFLOP/s (2·M·N·K per call), per wall-clock second */
  gflops: Record<string, number>;
  /** kernel → GFLOP per second of process CPU time (all threads) */
  gflopsPerCpuSec: Record<string, number>;
}

export interface GemmBenchResult {
  rows: GemmBenchRow[];
  /** kernel → GEMM milliseconds per training step (wall clock), weighing each shape by its calls per step */
  msPerStep: Record<string, number>;
  /** the same in CPU milliseconds */
  cpuMsPerStep: Record<string, number>;
}

export async function benchGemmShapes(o: GemmBenchOptions): Promise<GemmBenchResult> {
  quietTfjs(tf);
  const shapes = trainerShapes(o.V, o.H, o.B, o.T);
  const timing = { warmup: 3, batches: 5, minSeconds: o.minSeconds };
  const rows: GemmBenchRow[] = shapes.map((s) => ({ shape: s.name, M: s.args.M, N: s.args.N, K: s.args.K, callsPerStep: s.callsPerStep, gflops: {}, gflopsPerCpuSec: {} }));
  const record = (kernel: string, i: number, t: { wall: number; cpu: number }) => {
    const { M, N, K } = shapes[i].args;
    rows[i].gflops[kernel] = (2 * M * N * K) / t.wall / 1e9;
    rows[i].gflopsPerCpuSec[kernel] = (2 * M * N * K) / t.cpu / 1e9;
    o.log?.(`${shapes[i].name.padEnd(32)} ${kernel.padEnd(12)} ${rows[i].gflops[kernel].toFixed(2).padStart(7)} GFLOP/s  ${rows[i].gflopsPerCpuSec[kernel].toFixed(2).padStart(7)} GFLOP/CPU-s`);
  };
  const kernels: Array<[string, (g: GemmArgs<Float32Array>) => void]> = [];
  if (o.reference) kernels.push(['reference', gemmReference]);
  kernels.push(['js-blocked', gemmJs]);
  for (const [name, fn] of kernels) shapes.forEach((s, i) => record(name, i, secondsPerCall(() => fn(s.args), { ...timing, warmup: 1, batches: name === 'reference' ? 1 : 3 })));
  for (const t of o.threads) {
    setGemmThreads(t);
    await gemmThreadsReady();
    shapes.forEach((s, i) => {
      if (!s.packed) {
        record(`wasm ${t}T`, i, secondsPerCall(() => gemm(s.args), timing));
        return;
      }
      const pack = packB(s.args);
      record(`wasm ${t}T`, i, secondsPerCall(() => gemmPacked(s.args, pack), timing));
      pack.free();
    });
  }
  setGemmThreads(1);
  for (const backend of o.backends) {
    await tf.setBackend(backend);
    await tf.ready();
    shapes.forEach((s, i) => {
      const { transA, transB, M, N, K } = s.args;
      // Contiguous operands of the same logical shapes; upload is outside the timing, download inside (as our C write-back).
      const a = tf.randomNormal(transA ? [K, M] : [M, K]) as tf.Tensor2D, b = tf.randomNormal(transB ? [N, K] : [K, N]) as tf.Tensor2D;
      record(`tfjs-${backend}`, i, secondsPerCall(() => tf.tidy(() => { tf.matMul(a, b, transA, transB).dataSync(); }), timing));
      tf.dispose([a, b]);
    });
  }
  const perStep = (rate: (r: GemmBenchRow) => number) => rows.reduce((acc, r) => acc + (r.callsPerStep * 2 * r.M * r.N * r.K) / (rate(r) * 1e9), 0) * 1000;
  const kernelNames = Object.keys(rows[0].gflops);
  return {
    rows,
    msPerStep: Object.fromEntries(kernelNames.map((k) => [k, perStep((r) => r.gflops[k])])),
    cpuMsPerStep: Object.fromEntries(kernelNames.map((k) => [k, perStep((r) => r.gflopsPerCpuSec[k])])),
  };
}
