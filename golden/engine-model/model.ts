/**
 * Transaction-level, bit-exact model of sparse_bwd_engine / dense_bwd_engine
 * (engine contract in docs/ARCHITECTURE.md): threshold, backward-data y,
 * backward-weight G, saturation order and exact counters, job by job in the
 * driver's plan (engine/jobs.ts).
 *
 * Arithmetic runs on doubles when that is provably exact (see `numberPathIsExact`)
 * and on bigint otherwise; both paths give identical results.
 */
import type { EngineConfig } from '../../engine/config.ts';
import { geometry } from '../../engine/geometry.ts';
import { type EngineCounters, type EngineJob, type EngineMode, type EngineProblem, type EngineResult, addCounters, planJobs, thetaOf, validateProblem, ZERO_COUNTERS } from '../../engine/jobs.ts';

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
