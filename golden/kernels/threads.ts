/**
 * Both cores for the WebAssembly GEMM: worker threads instantiate the same
 * WebAssembly kernel over the same shared memory and each computes a range of
 * row blocks of C. Work is split by rows of C, never by k, and each C element
 * is summed in the same order whoever computes it, so results are identical
 * for any thread count (tested).
 *
 * Hand-off is through a control block at the start of the shared memory:
 * the main thread writes each worker's row range, bumps a sequence number and
 * notifies; workers Atomics.wait on it and count themselves done. Until the
 * workers have started, the main thread just computes everything itself.
 *
 * Thread count: `setGemmThreads(n)`, or the environment variable
 * SPARSEGRAD_THREADS (default 1: `reproduce` already runs one training process
 * per core, and half of a training step is single-threaded pointwise code, so
 * a second GEMM thread gains at most ≈1.3×; see README.md).
 */
import { Worker } from 'node:worker_threads';
import { UserError } from '../../util/errors.ts';
import { CONTROL_BYTES, KC, gemmModule, mainKernels, runRowBlocks, type PackedRunner, type Workspace } from './sgemm-wasm.ts';

/** Int32 slots of the control block. */
export const CTL = {
  seq: 0,
  done: 1,
  /** pool generation in the high 16 bits, workers ready in the low 16 */
  ready: 2,
  /** set by a worker whose kernel threw: the job is lost and the pool must be replaced */
  failed: 3,
  /** per worker w: [ib0, ib1] at JOB + 2w; the shared job at SHARED */
  SHARED: 4, // the kernel's arguments before ib0: ap, rsA, csA, bp, psB, ksB, c, ldc (bytes); then nPanels, K, kernel index
  JOB: 15,
} as const;
const MAX_WORKERS = Math.floor((CONTROL_BYTES / 4 - CTL.JOB) / 2);

/** Below this many multiply-adds a product is not worth waking the workers for. */
export const PARALLEL_MIN_MACS = 1 << 18;

/**
 * The worker's whole program. It is plain JavaScript evaluated from a string,
 * with the compiled kernel module passed in workerData, so workers need no
 * TypeScript loader (Node 20 does not apply tsx's hooks to worker threads).
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, index, generation, CTL, KC, CONTROL_BYTES } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = [exports.sgemm, exports.dgemm];
const ctl = new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
const current = () => (Atomics.load(ctl, CTL.ready) >>> 16) === generation;
let seen = Atomics.load(ctl, CTL.seq);
for (;;) {
  // A worker of a pool that has been replaced must neither count as ready nor take jobs.
  const r = Atomics.load(ctl, CTL.ready);
  if ((r >>> 16) !== generation) process.exit(0);
  if (Atomics.compareExchange(ctl, CTL.ready, r, r + 1) === r) break;
}
for (;;) {
  Atomics.wait(ctl, CTL.seq, seen);
  if (!current()) process.exit(0);
  const seq = Atomics.load(ctl, CTL.seq);
  if (seq === seen) continue;
  seen = seq;
  const ib0 = ctl[CTL.JOB + 2 * index], ib1 = ctl[CTL.JOB + 2 * index + 1];
  let error = null;
  try {
    if (ib1 > ib0) {
      const s = CTL.SHARED;
      kernels[ctl[s + 10]](ctl[s], ctl[s + 1], ctl[s + 2], ctl[s + 3], ctl[s + 4], ctl[s + 5], ctl[s + 6], ctl[s + 7], ib0, ib1, ctl[s + 8], ctl[s + 9], KC);
    }
  } catch (e) {
    // Count as done anyway, or the main thread would wait for this worker forever.
    error = e;
    Atomics.store(ctl, CTL.failed, 1);
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
  if (error) throw error;
}
`;

let workers: Worker[] = [];
let threads = 0;
let generation = 0;

let ctlView: Int32Array | undefined;

/** The control block; a view of shared memory stays valid when the memory grows. */
function control(): Int32Array {
  ctlView ??= new Int32Array(mainKernels().memory.buffer, 0, CONTROL_BYTES / 4);
  return ctlView;
}

function defaultThreads(): number {
  const env = process.env.SPARSEGRAD_THREADS;
  if (env === undefined || env === '') return 1;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n - 1 > MAX_WORKERS) throw new UserError(`SPARSEGRAD_THREADS must be an integer from 1 to ${MAX_WORKERS + 1}, got "${env}"; set it to the number of cores to use for GEMMs`);
  return n;
}

/** Sets how many threads (main included) the WebAssembly GEMM uses; 1 stops the workers. */
export function setGemmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n - 1 > MAX_WORKERS) throw new RangeError(`gemm threads must be an integer in 1..${MAX_WORKERS + 1}, got ${n}`);
  if (n === threads) return;
  stopWorkers();
  threads = n;
  const memory = mainKernels().memory;
  for (let w = 0; w < n - 1; w++) {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: gemmModule(), memory, index: w, generation, CTL, KC, CONTROL_BYTES } });
    // A kernel failure is reported through the control block (see `parallel`); the event only must not crash the process.
    worker.on('error', () => {});
    worker.unref();
    workers.push(worker);
  }
}

export function gemmThreads(): number {
  if (threads === 0) setGemmThreads(defaultThreads());
  return threads;
}

/** Resolves once every worker is running (the GEMM never needs this; tests and benchmarks do). */
export async function gemmThreadsReady(timeoutMs = 30000): Promise<void> {
  const ctl = control();
  const start = Date.now();
  while (readyWorkers(ctl) < workers.length) {
    if (Date.now() - start > timeoutMs) throw new Error(`gemm worker threads did not start within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function readyWorkers(ctl: Int32Array): number {
  return Atomics.load(ctl, CTL.ready) & 0xffff;
}

/** Retires the current pool: a new generation makes its workers exit at their next wake-up. */
export function stopWorkers(): void {
  generation = (generation + 1) & 0xffff;
  const ctl = control();
  Atomics.store(ctl, CTL.ready, generation << 16);
  Atomics.notify(ctl, CTL.seq);
  for (const w of workers) void w.terminate();
  workers = [];
  threads = 0;
}

/** Splits [0, blocks) into `parts` contiguous ranges, the first ones one block larger. */
export function splitRange(blocks: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const len = Math.floor(blocks / parts) + (p < blocks % parts ? 1 : 0);
    out.push([start, start + len]);
    start += len;
  }
  return out;
}

const parallel: PackedRunner = (ws: Workspace) => {
  const k = mainKernels();
  const ctl = control();
  // Jobs go out only once every worker waits on the sequence number, so none can miss or replay one.
  const active = readyWorkers(ctl) < workers.length ? 0 : Math.min(workers.length, ws.mBlocks - 1);
  if (active <= 0 || ws.mBlocks * ws.nPanels * ws.K * ws.kernel.MR * ws.kernel.NR < PARALLEL_MIN_MACS) {
    runRowBlocks(k, ws, 0, ws.mBlocks);
    return;
  }
  const ranges = splitRange(ws.mBlocks, active + 1);
  const sh = CTL.SHARED;
  ctl[sh] = ws.ap; ctl[sh + 1] = ws.rsA; ctl[sh + 2] = ws.csA; ctl[sh + 3] = ws.bp;
  ctl[sh + 4] = ws.psB; ctl[sh + 5] = ws.ksB; ctl[sh + 6] = ws.c; ctl[sh + 7] = ws.ldc;
  ctl[sh + 8] = ws.nPanels; ctl[sh + 9] = ws.K; ctl[sh + 10] = ws.kernel.fn;
  for (let w = 0; w < workers.length; w++) {
    const [b0, b1] = w < active ? ranges[w + 1] : [0, 0];
    ctl[CTL.JOB + 2 * w] = b0;
    ctl[CTL.JOB + 2 * w + 1] = b1;
  }
  Atomics.store(ctl, CTL.done, 0);
  Atomics.add(ctl, CTL.seq, 1);
  Atomics.notify(ctl, CTL.seq);
  let mainError: unknown = null;
  try {
    runRowBlocks(k, ws, ranges[0][0], ranges[0][1]);
  } catch (e) {
    mainError = e;
  }
  // Even when this thread failed, the workers must finish before memory is reused for another job.
  for (;;) {
    const done = Atomics.load(ctl, CTL.done);
    if (done >= workers.length) break;
    Atomics.wait(ctl, CTL.done, done);
  }
  if (Atomics.load(ctl, CTL.failed) !== 0) {
    const n = threads;
    stopWorkers();
    Atomics.store(ctl, CTL.failed, 0);
    setGemmThreads(n);
    throw new Error(`a gemm worker thread failed on a ${ws.mBlocks * ws.kernel.MR}×${ws.nPanels * ws.kernel.NR}×${ws.K} product (the pool was restarted)`, { cause: mainError ?? undefined });
  }
  if (mainError) throw mainError;
};

const inline: PackedRunner = (ws) => runRowBlocks(mainKernels(), ws, 0, ws.mBlocks);

/** The runner `gemm` uses for the current thread setting. */
export function sgemmRunner(): PackedRunner {
  return gemmThreads() > 1 ? parallel : inline;
}
