/**
 * One layer through a simulated engine, checked and timed: build the job, run it
 * with whatever runner the caller has (the harness's runSimJob, bound to a built
 * testbench), decode, compare bit-exactly with the model, and put the measured
 * busy cycles next to the cycle model's ideal.
 */
import type { EngineConfig } from '../../engine/config.ts';
import { efficiency, idealCycles } from '../../engine/cycles.ts';
import { type EngineMode, type EngineProblem, type EngineResult } from '../../engine/jobs.ts';
import { runEngine } from '../../golden/engine-model/model.ts';
import type { SimJob, SimResult } from '../harness/job.ts';
import type { Violation } from '../harness/rules.ts';
import { type Comparison, compareEngine } from './compare.ts';
import { type DecodedEngineResult, decodeEngineResult } from './decode.ts';
import { buildEngineJob, type DriverOptions, type EngineSimJob } from './encode.ts';

export type JobRunner = (job: SimJob) => Promise<SimResult>;

export interface LayerMeasurement {
  /** Bit-exact and free of protocol violations. */
  pass: boolean;
  /** The monitors' findings (the first 64; violationCount counts all). */
  violations: Violation[];
  violationCount: number;
  mode: EngineMode;
  top: 'sparse_bwd_engine' | 'dense_bwd_engine';
  engineJobs: number;
  comparison: Comparison;
  /** Σ CYCLES_BUSY over the engine jobs (what efficiency is measured on). */
  cyclesBusy: number;
  /** Σ STALL_CYCLES. */
  stallCycles: number;
  /** Cycles of the whole simulation, register programming included. */
  simCycles: number;
  ideal: number;
  efficiency: number;
  nonzeros: number;
  zeros: number;
  macsIssued: number;
  macsSkipped: number;
  rowsFetched: number;
  simSeconds: number;
  expected: EngineResult;
  decoded: DecodedEngineResult;
  engineJob: EngineSimJob;
}

export async function measureLayer(
  cfg: EngineConfig,
  p: EngineProblem,
  mode: EngineMode,
  run: JobRunner,
  opts: DriverOptions & { batch?: number } = {},
): Promise<LayerMeasurement> {
  const ej = buildEngineJob(cfg, p, mode, opts);
  const expected = runEngine(cfg, p, mode);
  const result = await run(ej.job);
  const decoded = decodeEngineResult(ej, result);
  const comparison = compareEngine(ej, expected, decoded, { batch: opts.batch });
  const ideal = idealCycles(cfg, mode, p.R, ej.plan, expected.nnzPerVector, opts.memLatency ?? 20).ideal;
  const t = decoded.totals;
  return {
    pass: comparison.pass && result.violationCount === 0,
    violations: result.violations,
    violationCount: result.violationCount,
    mode,
    top: cfg.skipping ? 'sparse_bwd_engine' : 'dense_bwd_engine',
    engineJobs: ej.plan.length,
    comparison,
    cyclesBusy: t.cyclesBusy,
    stallCycles: t.stallCycles,
    simCycles: result.cycles,
    ideal,
    efficiency: efficiency(ideal, t.cyclesBusy),
    nonzeros: t.nonzeros,
    zeros: t.zeros,
    macsIssued: t.macsIssued,
    macsSkipped: t.macsSkipped,
    rowsFetched: t.rowsFetched,
    simSeconds: result.simSeconds,
    expected,
    decoded,
    engineJob: ej,
  };
}
