/**
 * Cycle model of the engine ("Cycle model" of the engine contract): the ideal
 * bound a perfectly pipelined engine with the configured lanes and stream widths
 * could reach, used by reports as the denominator of efficiency.
 */
import type { EngineConfig } from './config.ts';
import type { EngineJob, EngineMode } from './jobs.ts';

/**
 * Cycles from START to DONE that no amount of overlap can hide, apart from memory:
 * the START cycle itself (it clears the job's counters, so no stream beat is taken in
 * it) → threshold compares → threshold register → beat queue write/read → picker →
 * token register slice → AR issue (the first row's memory latency is added separately)
 * → C0 select off the R channel → C1 multiply → C2 saturating add → the job's end seen a
 * cycle late → DONE. Agreed with generator/designs
 * (docs/engine-microarchitecture.md, "Cycle budget") and measured on rtl/tiny:
 * a one-row job has CYCLES_BUSY = bound + fixedLatency exactly for L = 2..40
 * (test/engine-model/rtl-latency.test.ts, which fails when the RTL pipeline changes;
 * it went from 8 to 10 when the streams started waiting out the START cycle, to 11
 * with the Fmax work: the threshold's compares and the tokens gained a register each,
 * and R beats lost theirs; to 12 when the job's end was registered in front of DONE, and
 * to 13 when the row address multiplier registered its partial sums).
 */
export const PIPELINE_STAGES = 13;
/**
 * Weight mode: a row is taken only after its token has waited one cycle for the
 * registered read-after-write hazard check (generator/designs/row-fetch.ts).
 */
export const HAZARD_CHECK = 1;
/** Data mode: the last row's C2 result goes out through the m_axis_res register before DONE. */
export const DATA_DRAIN = 2;

/**
 * A job whose gradients are all zero reads no row: its eov-only tokens skip the AR
 * issue and the memory, but pass the lane-token queue (a registered push, then block
 * RAM, two cycles) and the lanes' own two-entry token queue; DONE waits for no memory
 * round trip, only the registered view of the job's end that every job has.
 * Measured on rtl/tiny like PIPELINE_STAGES (test/engine-model/rtl-latency.test.ts).
 */
export const ROWLESS_LATENCY = { data: 17, weight: 13 } as const;

/**
 * Fixed latency of one job: the pipeline, one memory round trip for the first row
 * (nothing earlier to overlap it with), and the mode's tail: the result drain (data)
 * or the last row's write round trip, since DONE waits for the final B (weight).
 * A job that reads no row at all has none of the memory terms.
 */
export function fixedLatency(mode: EngineMode, memLatency: number, readsRows = true): number {
  if (!readsRows) return ROWLESS_LATENCY[mode];
  return PIPELINE_STAGES + memLatency + (mode === 'weight' ? HAZARD_CHECK + memLatency + 1 : DATA_DRAIN);
}

/**
 * Busy cycles a vector needs at least: the MACs of its nonzero rows over N lanes,
 * or the beats of its streams if those take longer (gradient beats always; the
 * activation vector in weight mode; result beats in data mode).
 */
export function vectorBound(cfg: EngineConfig, mode: EngineMode, R: number, cols: number, nnz: number): number {
  const rows = cfg.skipping ? nnz : R;
  const perRow = Math.ceil(cols / cfg.N);
  const streams = Math.max(Math.ceil(R / cfg.P), mode === 'weight' ? Math.ceil(cols / cfg.P) : perRow);
  return Math.max(rows * perRow, streams);
}

export interface CycleEstimate {
  /** Ideal cycles of each job, in plan order (bound + fixed latency). */
  perJob: number[];
  /** Sum over jobs. */
  ideal: number;
}

export function idealCycles(
  cfg: EngineConfig,
  mode: EngineMode,
  R: number,
  jobs: readonly EngineJob[],
  nnzPerVector: ArrayLike<number>,
  memLatency: number,
): CycleEstimate {
  const perJob = jobs.map((job) => {
    let c = 0;
    let rows = 0;
    for (let s = job.s0; s < job.s0 + job.vectors; s++) {
      c += vectorBound(cfg, mode, R, job.cols, nnzPerVector[s]!);
      rows += cfg.skipping ? nnzPerVector[s]! : R;
    }
    return c + fixedLatency(mode, memLatency, rows > 0);
  });
  return { perJob, ideal: perJob.reduce((a, b) => a + b, 0) };
}

/** ideal / measured; 1 means the engine met the bound. */
export function efficiency(ideal: number, measured: number): number {
  return measured > 0 ? ideal / measured : 0;
}
