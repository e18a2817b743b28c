/**
 * The engine driver, encoding side: (config, quantized layer, mode, θ_q) → one
 * simulation job (docs/ARCHITECTURE.md, "The simulation job contract") that runs
 * every planned engine job — column tiles × vector chunks — back to back.
 * It speaks only the job type of sim/harness/job.ts, never harness internals.
 */
import {
  CTRL_CLEAR_COUNTERS,
  CTRL_START,
  type EngineConfig,
  MODE_DATA,
  MODE_WEIGHT,
  REG,
  STATUS_DONE,
} from '../../golden/engine-model/config.ts';
import { type EngineJob, type EngineMode, type EngineProblem, planJobs, validateProblem } from '../../golden/engine-model/model.ts';
import type { Backpressure, LiteCommand, SimJob } from '../harness/job.ts';
import { encodeG, encodeW, type LayoutOptions, type MemoryLayout, planLayout } from './layout.ts';
import { concatBytes, packVectors } from './pack.ts';

export interface DriverOptions extends LayoutOptions {
  memLatency?: number;
  stallProbability?: number;
  backpressure?: Backpressure;
  seed?: number;
  /** Overrides the computed limit (see `cycleLimitFor`). */
  cycleLimit?: number;
  vcd?: SimJob['vcd'];
}

/** Registers read once before the first job, to check the RTL is the configured engine. */
export const IDENT_READS = [REG.ID, REG.GEOMETRY, REG.RMAX, REG.KMAX] as const;
/** Registers read after every job, in this order. */
export const COUNTER_READS = [
  REG.CYCLES_BUSY,
  REG.MACS_ISSUED,
  REG.MACS_SKIPPED,
  REG.ROWS_FETCHED,
  REG.STALL_CYCLES,
  REG.NONZEROS,
  REG.ZEROS,
] as const;

/** Everything needed to decode the job's result; plain data so it can be written next to the run. */
export interface EngineSimJob {
  job: SimJob;
  cfg: EngineConfig;
  mode: EngineMode;
  R: number;
  K: number;
  S: number;
  plan: EngineJob[];
  layout: MemoryLayout;
}

/** The dump of G (weight mode) in SimResult.dumps. */
export const G_DUMP = 'G';

/**
 * A bound no correct engine exceeds, so a hung engine fails fast: the dense work of every
 * job with one full memory round trip per row, tripled for stalls and backpressure.
 */
export function cycleLimitFor(cfg: EngineConfig, R: number, plan: readonly EngineJob[], memLatency: number, stall: number): number {
  let c = 0;
  for (const job of plan) {
    const groups = Math.max(Math.ceil(job.cols / cfg.N), 3);
    const beats = Math.ceil((job.cols * 8) / (cfg.axiDataBits / 8));
    c += job.vectors * (R * (groups + beats + 2 * memLatency + 16) + Math.ceil(R / cfg.P) + Math.ceil(job.cols / cfg.P) + 64) + 1000;
  }
  return Math.ceil((3 * c) / (1 - Math.min(stall, 0.9)));
}

function scriptFor(mode: EngineMode, R: number, plan: readonly EngineJob[], l: MemoryLayout): LiteCommand[] {
  const s: LiteCommand[] = IDENT_READS.map((addr) => ({ op: 'read', addr }));
  for (const job of plan) {
    // Every job register (JOB_REGS), MODE and ROWS included, before each START: a write a
    // host slipped in after the previous DONE cannot leak into this job.
    s.push(
      { op: 'write', addr: REG.MODE, data: mode === 'data' ? MODE_DATA : MODE_WEIGHT },
      { op: 'write', addr: REG.ROWS, data: R },
      { op: 'write', addr: REG.THETA, data: job.theta },
      { op: 'write', addr: REG.COLS, data: job.cols },
      { op: 'write', addr: REG.VECTORS, data: job.vectors },
      // A tile starts at its first column; kMax·2 and kMax·8 are bus multiples (config check).
      { op: 'write', addr: REG.W_BASE, data: l.wBase + 2 * job.c0 },
      { op: 'write', addr: REG.W_STRIDE, data: l.wStride },
      { op: 'write', addr: REG.G_BASE, data: l.gBase + 8 * job.c0 },
      { op: 'write', addr: REG.G_STRIDE, data: l.gStride },
      { op: 'write', addr: REG.CTRL, data: CTRL_CLEAR_COUNTERS },
      { op: 'write', addr: REG.CTRL, data: CTRL_START },
      { op: 'wait', addr: REG.STATUS, mask: STATUS_DONE, value: STATUS_DONE },
      ...COUNTER_READS.map((addr): LiteCommand => ({ op: 'read', addr })),
    );
  }
  return s;
}

export function buildEngineJob(cfg: EngineConfig, p: EngineProblem, mode: EngineMode, opts: DriverOptions = {}): EngineSimJob {
  validateProblem(cfg, p, mode);
  const { R, K, S } = p;
  const plan = planJobs(cfg, R, K, S, p.theta);
  const layout = planLayout(cfg, R, K, opts);
  const grad: Uint8Array[] = [];
  const act: Uint8Array[] = [];
  for (const job of plan) {
    grad.push(packVectors(p.g, job.s0, job.vectors, R, 0, R, cfg.P, cfg.gBits));
    if (mode === 'weight') act.push(packVectors(p.a!, job.s0, job.vectors, K, job.c0, job.cols, cfg.P, cfg.aBits));
  }
  const inputs: Record<string, Uint8Array> = { grad: concatBytes(grad) };
  if (mode === 'weight') inputs.act = concatBytes(act);
  const memLatency = opts.memLatency ?? 20;
  const stall = opts.stallProbability ?? 0;
  const job: SimJob = {
    inputs,
    script: scriptFor(mode, R, plan, layout),
    memory: {
      load: mode === 'data'
        ? [{ base: layout.wBase, data: encodeW(p.W!, R, K, layout) }]
        : [{ base: layout.gBase, data: encodeG(p.G0, R, K, layout) }],
      dump: mode === 'weight' ? [{ name: G_DUMP, base: layout.gBase, bytes: layout.gBytes }] : [],
      latency: memLatency,
      stallProbability: stall,
    },
    backpressure: opts.backpressure ?? 'none',
    seed: opts.seed ?? 1,
    cycleLimit: opts.cycleLimit ?? cycleLimitFor(cfg, R, plan, memLatency, stall),
  };
  if (opts.vcd) job.vcd = opts.vcd;
  return { job, cfg, mode, R, K, S, plan, layout };
}
