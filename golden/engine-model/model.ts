/**
 * Transaction-level, bit-exact model of sparse_bwd_engine / dense_bwd_engine
 * (engine contract in docs/ARCHITECTURE.md): threshold, backward-data y,
 * backward-weight G, saturation order, exact counters, and the driver's job
 * plan (column tiles for K > kMax, vector chunks so no 32-bit counter wraps).
 *
 * Arithmetic runs on doubles when that is provably exact (see `numberPathIsExact`)
 * and on bigint otherwise; both paths give identical results.
 */
import { UserError } from '../../cli/errors.ts';
import { type EngineConfig, geometry } from './config.ts';

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

/** g' per the contract: zero when |g| < θ_q (|g| taken as an unsigned number, so −2^(gBits−1) is large). */
export function thresholdValue(g: number, theta: number): number {
  return Math.abs(g) < theta ? 0 : g;
}

/**
 * Doubles are exact while every intermediate stays below 2^53 in magnitude.
 * Before a step |acc| ≤ 2^(accBits−1) (it was saturated) and |product| ≤ 2^(gBits−1+xBits−1)
 * (both operands are signed, the extreme being (−2^(b−1))²), so the unsaturated sum is at most
 * 2^(accBits−1) + 2^(gBits+xBits−2). Requiring both terms ≤ 2^52 keeps the sum ≤ 2^53, exact.
 */
export function numberPathIsExact(cfg: EngineConfig): boolean {
  const xBits = Math.max(cfg.wBits, cfg.aBits);
  return cfg.accBits - 1 <= 52 && cfg.gBits + xBits - 2 <= 52;
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
export function thresholdAll(p: EngineProblem): { gt: Int32Array; nnz: Int32Array } {
  const gt = new Int32Array(p.g.length);
  const nnz = new Int32Array(p.S);
  for (let s = 0; s < p.S; s++) {
    let n = 0;
    for (let j = 0; j < p.R; j++) {
      const v = thresholdValue(p.g[s * p.R + j]!, thetaOf(p.theta, s));
      gt[s * p.R + j] = v;
      if (v !== 0) n++;
    }
    nnz[s] = n;
  }
  return { gt, nnz };
}

function jobCounters(cfg: EngineConfig, job: EngineJob, R: number, nnz: Int32Array): EngineCounters {
  let nonzeros = 0;
  for (let s = job.s0; s < job.s0 + job.vectors; s++) nonzeros += nnz[s]!;
  const total = job.vectors * R;
  const zeros = total - nonzeros;
  return cfg.skipping
    ? { nonzeros, zeros, macsIssued: nonzeros * job.cols, macsSkipped: zeros * job.cols, rowsFetched: nonzeros }
    : { nonzeros, zeros, macsIssued: total * job.cols, macsSkipped: 0, rowsFetched: total };
}

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

/**
 * Accumulates `acc[accOff + k] = sat(acc[accOff + k] + gj · x[xOff + k])` for k < cols,
 * the one inner step shared by both modes (column order is irrelevant: columns are independent).
 */
type Axpy = (acc: Float64Array | BigInt64Array, accOff: number, gj: number, x: Int32Array, xOff: number, cols: number) => void;

function makeAxpy(cfg: EngineConfig): Axpy {
  const { accMin, accMax } = geometry(cfg);
  if (numberPathIsExact(cfg)) {
    const lo = Number(accMin);
    const hi = Number(accMax);
    return (acc, accOff, gj, x, xOff, cols) => {
      const a = acc as Float64Array;
      for (let k = 0; k < cols; k++) {
        const v = a[accOff + k]! + gj * x[xOff + k]!;
        a[accOff + k] = v > hi ? hi : v < lo ? lo : v;
      }
    };
  }
  return (acc, accOff, gj, x, xOff, cols) => {
    const a = acc as BigInt64Array;
    const g = BigInt(gj);
    for (let k = 0; k < cols; k++) {
      const v = a[accOff + k]! + g * BigInt(x[xOff + k]!);
      a[accOff + k] = v > accMax ? accMax : v < accMin ? accMin : v;
    }
  };
}

function newAcc(cfg: EngineConfig, n: number): Float64Array | BigInt64Array {
  return numberPathIsExact(cfg) ? new Float64Array(n) : new BigInt64Array(n);
}

function toBigInt64(src: Float64Array | BigInt64Array, dst: BigInt64Array, dstOff: number, n: number, srcOff = 0): void {
  if (src instanceof BigInt64Array) {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  } else {
    for (let i = 0; i < n; i++) dst[dstOff + i] = BigInt(src[srcOff + i]!);
  }
}

/** Runs a layer through the engine as the driver would: every planned job, in order. */
export function runEngine(cfg: EngineConfig, p: EngineProblem, mode: EngineMode): EngineResult {
  validateProblem(cfg, p, mode);
  const { R, K, S } = p;
  const { gt, nnz } = thresholdAll(p);
  const plan = planJobs(cfg, R, K, S, p.theta);
  const axpy = makeAxpy(cfg);
  const jobs = plan.map((job) => ({ job, counters: jobCounters(cfg, job, R, nnz) }));
  const totals = jobs.reduce((t, j) => addCounters(t, j.counters), ZERO_COUNTERS);

  if (mode === 'data') {
    const W = p.W!;
    const y = new BigInt64Array(S * K);
    for (const job of plan) {
      // The tile's W columns, contiguous, so the inner loop is a plain axpy.
      const Wt = new Int32Array(R * job.cols);
      for (let j = 0; j < R; j++) Wt.set(W.subarray(j * K + job.c0, j * K + job.c0 + job.cols), j * job.cols);
      const acc = newAcc(cfg, job.cols);
      for (let s = job.s0; s < job.s0 + job.vectors; s++) {
        if (acc instanceof BigInt64Array) acc.fill(0n);
        else acc.fill(0);
        for (let j = 0; j < R; j++) {
          const gj = gt[s * R + j]!;
          // Adding a zero product never changes a saturated sum, so skipping it is exact.
          if (gj !== 0) axpy(acc, 0, gj, Wt, j * job.cols, job.cols);
        }
        toBigInt64(acc, y, s * K + job.c0, job.cols);
      }
    }
    return { y, jobs, totals, nnzPerVector: nnz };
  }

  const a = p.a!;
  const G = new BigInt64Array(R * K);
  if (p.G0) G.set(p.G0);
  for (const job of plan) {
    const cols = job.cols;
    const acc = newAcc(cfg, R * cols);
    for (let j = 0; j < R; j++) {
      for (let k = 0; k < cols; k++) {
        const v = G[j * K + job.c0 + k]!;
        if (acc instanceof BigInt64Array) acc[j * cols + k] = v;
        else acc[j * cols + k] = Number(v);
      }
    }
    // The job's activation columns, contiguous per vector.
    const at = new Int32Array(job.vectors * cols);
    for (let v = 0; v < job.vectors; v++) {
      const s = job.s0 + v;
      at.set(a.subarray(s * K + job.c0, s * K + job.c0 + cols), v * cols);
    }
    for (let v = 0; v < job.vectors; v++) {
      const s = job.s0 + v;
      for (let j = 0; j < R; j++) {
        const gj = gt[s * R + j]!;
        if (gj !== 0) axpy(acc, j * cols, gj, at, v * cols, cols);
      }
    }
    for (let j = 0; j < R; j++) toBigInt64(acc, G, j * K + job.c0, cols, j * cols);
  }
  return { G, jobs, totals, nnzPerVector: nnz };
}
