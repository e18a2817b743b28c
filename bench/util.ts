/** Small helpers shared by the benchmarks. */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type * as TF from '@tensorflow/tfjs';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Production mode: no debug checks, and no "install tfjs-node" banner in the benchmark output. */
export function quietTfjs(tf: typeof TF): void {
  tf.enableProdMode();
}

/**
 * Median wall-clock and process-CPU seconds per call of `fn`, over `batches`
 * batches each lasting at least `minSeconds` (after `warmup` untimed calls):
 * the median resists the bursts of load a shared machine produces, and CPU
 * time leaves out the time spent waiting for a core (but adds up all threads).
 */
export function secondsPerCall(fn: () => void, o: { warmup: number; batches: number; minSeconds: number }): { wall: number; cpu: number } {
  for (let i = 0; i < o.warmup; i++) fn();
  const wall: number[] = [], cpu: number[] = [];
  for (let b = 0; b < o.batches; b++) {
    let calls = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let t = t0;
    do {
      fn();
      calls++;
      t = performance.now();
    } while (t - t0 < o.minSeconds * 1000);
    const c = process.cpuUsage(c0);
    wall.push((t - t0) / 1000 / calls);
    cpu.push((c.user + c.system) / 1e6 / calls);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** What the figures were measured on; the load average says how shared the machine was. */
export function machine(): { cpu: string; cores: number; node: string; loadavg1: number } {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, node: process.version, loadavg1: Number(loadavg()[0].toFixed(2)) };
}
