/**
 * Effective dense-equivalent throughput of a placed engine: lanes × Fmax × the speedup of
 * zero skipping at 85 % sparsity, in millions of dense MACs per second. The speedup is the
 * cycle model's bound (engine/cycles.ts over the job plan of engine/jobs.ts) for one stated
 * layer, not a measurement; the co-simulated figure is cited beside it.
 */
import { denseBaseline, type EngineConfig } from '../engine/config.ts';
import { idealCycles } from '../engine/cycles.ts';
import { planJobs, type EngineMode } from '../engine/jobs.ts';

export const THROUGHPUT_SPARSITY = 0.85;
/** Vectors of the layer: as many as the co-simulated layer of the default preset (4 time steps × 32). */
export const THROUGHPUT_VECTORS = 128;
/** Memory latency in cycles, the one the co-simulation figures were measured with. */
export const THROUGHPUT_MEM_LATENCY = 20;

/** What the engine achieved in co-simulation (docs/engine-microarchitecture.md, "Measured"). */
export const MEASURED_SPEEDUP =
  'co-simulation of rtl/default on a real gradient dump at 85.0 % sparsity (R = 512, K = 193, S = 128, memory latency 20): 6.65× data, 6.66× weight (docs/engine-microarchitecture.md, "Measured")';

const MODES: readonly EngineMode[] = ['data', 'weight'];

/** The layer the speedup is taken on, and the cycle model's figures for it. */
export interface ThroughputBasis {
  /** One full column tile: R = rMax rows, K = kMax columns. */
  R: number;
  K: number;
  S: number;
  /** Nonzero gradients of every vector after the threshold: R − round(0.85·R). */
  nnzPerVector: number;
  sparsity: number;
  memLatencyCycles: number;
  /** Ideal cycles (engine/cycles.ts idealCycles) of the sparse engine and its dense baseline, per mode. */
  idealCycles: { sparse: Record<EngineMode, number>; dense: Record<EngineMode, number> };
  /** Dense over sparse cycles per mode, and for the layer's backward pass (data and weight mode together). */
  speedup: Record<EngineMode | 'layer', number>;
  source: string;
  measured: string;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The cycle model's speedup of zero skipping for the preset's full tile at 85 % sparsity. */
export function throughputBasis(cfg: EngineConfig): ThroughputBasis {
  const R = cfg.rMax;
  const K = cfg.kMax;
  const S = THROUGHPUT_VECTORS;
  const nnz = R - Math.round(THROUGHPUT_SPARSITY * R);
  const nnzPerVector = new Array<number>(S).fill(nnz);
  const jobs = planJobs(cfg, R, K, S);
  const cycles = (c: EngineConfig, mode: EngineMode) => idealCycles(c, mode, R, jobs, nnzPerVector, THROUGHPUT_MEM_LATENCY).ideal;
  const sparseCfg = { ...cfg, skipping: true };
  const denseCfg = denseBaseline(cfg);
  const sparse = { data: cycles(sparseCfg, 'data'), weight: cycles(sparseCfg, 'weight') };
  const dense = { data: cycles(denseCfg, 'data'), weight: cycles(denseCfg, 'weight') };
  const sum = (x: Record<EngineMode, number>) => MODES.reduce((a, m) => a + x[m], 0);
  return {
    R,
    K,
    S,
    nnzPerVector: nnz,
    sparsity: round(1 - nnz / R, 6),
    memLatencyCycles: THROUGHPUT_MEM_LATENCY,
    idealCycles: { sparse, dense },
    speedup: { data: round(dense.data / sparse.data, 4), weight: round(dense.weight / sparse.weight, 4), layer: round(sum(dense) / sum(sparse), 4) },
    source: 'cycle model bound: engine/cycles.ts idealCycles over the engine/jobs.ts job plan, dense baseline over sparse engine',
    measured: MEASURED_SPEEDUP,
  };
}

/** Millions of dense-equivalent MACs per second: every lane does one MAC per cycle, each worth `speedup` dense MACs. */
export function denseEquivalentMMACs(lanes: number, fmaxMHz: number, speedup: number): number {
  return round(lanes * fmaxMHz * speedup, 2);
}
