/**
 * What one engine run is made of (the engine contract, docs/ARCHITECTURE.md):
 * the problem a layer hands the engine, the jobs the driver splits it into
 * (column tiles for K > kMax, vector chunks so no 32-bit counter wraps, one
 * chunk per run of equal θ), the counters each job reports, and the checks a
 * problem must pass. The model (golden/engine-model) and the driver (sim/engine)
 * both take the plan from here, so they cannot disagree on it.
 */
import { UserError } from '../util/errors.ts';
import type { EngineConfig } from './config.ts';
import { geometry } from './geometry.ts';

export type EngineMode = 'data' | 'weight';

/** One layer's worth of quantized engine input (row-major flat arrays). */
export interface EngineProblem {
  R: number;
  K: number;
  S: number;
  /**
   * θ_q, unsigned gBits: one for all vectors, or one per vector (length S) when the
   * trainer chose θ per time step (target-sparsity mode); the driver then gives each
   * run of equal θ its own jobs, since THETA is a per-job register.
   */
  theta: number | ArrayLike<number>;
  /** g [S, R], signed gBits. */
  g: Int32Array;
  /** W [R, K], signed wBits (data mode). */
  W?: Int32Array;
  /** a [S, K], signed aBits (weight mode). */
  a?: Int32Array;
  /** Initial G [R, K] (weight mode); zero when absent. */
  G0?: BigInt64Array;
}

/** One START of the engine: a column tile × a chunk of vectors. */
export interface EngineJob {
  tile: number;
  /** First column of the tile and its width (the COLS register). */
  c0: number;
  cols: number;
  /** First vector and number of vectors (the VECTORS register). */
  s0: number;
  vectors: number;
  /** θ_q of every vector of the job (the THETA register). */
  theta: number;
}

export interface EngineCounters {
  nonzeros: number;
  zeros: number;
  macsIssued: number;
  macsSkipped: number;
  rowsFetched: number;
}

export const COUNTER_NAMES = ['nonzeros', 'zeros', 'macsIssued', 'macsSkipped', 'rowsFetched'] as const;

export interface EngineResult {
  /** Data mode: y [S, K] (full accumulator, sign-extended). */
  y?: BigInt64Array;
  /** Weight mode: G [R, K] after all vectors. */
  G?: BigInt64Array;
  /** Counters of every job, in plan order, as the registers would read after that job. */
  jobs: { job: EngineJob; counters: EngineCounters }[];
  /** Sum over jobs. */
  totals: EngineCounters;
  /** nnz of every vector (after threshold), length S. */
  nnzPerVector: Int32Array;
}

/** Largest S·R·K a single job may have so MACS_ISSUED (and its peers) stay below 2^31. */
export const COUNTER_LIMIT = 2 ** 31;

export function thetaOf(theta: EngineProblem['theta'], s: number): number {
  return typeof theta === 'number' ? theta : theta[s]!;
}

/**
 * Column tiles outer, vector chunks inner; a chunk ends where θ changes or where a
 * counter could pass 2^31. The driver emits jobs in this order and decodes outputs
 * in this order, so both sides must use this one function.
 */
export function planJobs(cfg: EngineConfig, R: number, K: number, S: number, theta: EngineProblem['theta'] = 0): EngineJob[] {
  const jobs: EngineJob[] = [];
  const tiles = Math.ceil(K / cfg.kMax);
  for (let t = 0; t < tiles; t++) {
    const c0 = t * cfg.kMax;
    const cols = Math.min(cfg.kMax, K - c0);
    const chunk = Math.max(1, Math.floor((COUNTER_LIMIT - 1) / (R * cols)));
    for (let s0 = 0; s0 < S; ) {
      const th = thetaOf(theta, s0);
      let n = 1;
      while (n < chunk && s0 + n < S && thetaOf(theta, s0 + n) === th) n++;
      jobs.push({ tile: t, c0, cols, s0, vectors: n, theta: th });
      s0 += n;
    }
  }
  return jobs;
}

function checkRange(name: string, arr: Int32Array, bitsSigned: number): void {
  const lo = -(2 ** (bitsSigned - 1));
  const hi = 2 ** (bitsSigned - 1) - 1;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i]!;
    if (v < lo || v > hi) {
      throw new UserError(`${name}[${i}] = ${v} does not fit signed ${bitsSigned} bits; re-quantize with the engine's widths`);
    }
  }
}

/** Checks shapes and value ranges against the configuration; a mismatch is the user's to fix. */
export function validateProblem(cfg: EngineConfig, p: EngineProblem, mode: EngineMode): void {
  const { R, K, S } = p;
  for (const [n, v] of [['R', R], ['K', K], ['S', S]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${n} = ${v} must be a positive integer`);
  }
  if (R > cfg.rMax) {
    throw new UserError(`R = ${R} gradient rows exceed rMax = ${cfg.rMax} of this engine; use a larger preset (e.g. --preset wide) or a smaller layer`);
  }
  const thetaMax = geometry(cfg).thetaMax;
  if (typeof p.theta !== 'number' && p.theta.length !== S) throw new UserError(`θ_q has ${p.theta.length} values, expected one or S = ${S}`);
  for (let s = 0; s < (typeof p.theta === 'number' ? 1 : S); s++) {
    const th = thetaOf(p.theta, s);
    if (!Number.isInteger(th) || th < 0 || th > thetaMax) {
      throw new UserError(`θ_q = ${th} must be an integer in 0..${thetaMax} (unsigned gBits)`);
    }
  }
  if (p.g.length !== S * R) throw new UserError(`g has ${p.g.length} values, expected S·R = ${S}·${R}`);
  checkRange('g', p.g, cfg.gBits);
  if (mode === 'data') {
    if (!p.W || p.W.length !== R * K) throw new UserError(`data mode needs W with R·K = ${R}·${K} values`);
    checkRange('W', p.W, cfg.wBits);
  } else {
    if (!p.a || p.a.length !== S * K) throw new UserError(`weight mode needs a with S·K = ${S}·${K} values`);
    checkRange('a', p.a, cfg.aBits);
    if (p.G0) {
      if (p.G0.length !== R * K) throw new UserError(`G0 has ${p.G0.length} values, expected R·K = ${R}·${K}`);
      const { accMin, accMax } = geometry(cfg);
      const bad = p.G0.findIndex((v) => v < accMin || v > accMax);
      if (bad >= 0) throw new UserError(`G0[${bad}] = ${p.G0[bad]} does not fit signed ${cfg.accBits} bits (the accumulator)`);
    }
  }
}

/** Thresholded gradients g' [S, R] and nnz per vector. */
export function addCounters(a: EngineCounters, b: EngineCounters): EngineCounters {
  return {
    nonzeros: a.nonzeros + b.nonzeros,
    zeros: a.zeros + b.zeros,
    macsIssued: a.macsIssued + b.macsIssued,
    macsSkipped: a.macsSkipped + b.macsSkipped,
    rowsFetched: a.rowsFetched + b.rowsFetched,
  };
}

export const ZERO_COUNTERS: EngineCounters = { nonzeros: 0, zeros: 0, macsIssued: 0, macsSkipped: 0, rowsFetched: 0 };
