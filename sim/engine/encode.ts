/**
 * The engine driver, encoding side: (config, quantized layer, mode, θ_q) → one
 * simulation job (docs/ARCHITECTURE.md, "The simulation job contract") that runs
 * every planned engine job — column tiles × vector chunks — back to back.
 * It speaks only the job type of sim/harness/job.ts, never harness internals.
 */
import { COUNTER_READS, CTRL_CLEAR_COUNTERS, CTRL_START, IDENT_READS, MODE_DATA, MODE_WEIGHT, REG, STATUS_DONE } from '../../engine/registers.ts';
import { type EngineConfig } from '../../engine/config.ts';
import { type EngineJob, type EngineMode, type EngineProblem, planJobs, validateProblem } from '../../engine/jobs.ts';
import type { Backpressure, LiteCommand, MonitorOptions, SimJob } from '../harness/job.ts';
import { hostilePokes } from './hostile.ts';
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
  /** The hostile host (sim/engine/hostile.ts): random writes to every register right after each START, seeded. */
  hostile?: { seed: number };
}

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
  /** Hostile jobs: the `poke` commands of each planned job (its START first), in order. */
  pokesPerJob?: number[];
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

/** An address the engine does not map: reads 0, writes ignored (with OKAY). */
export const UNMAPPED_PROBE = 0x7c;

function scriptFor(cfg: EngineConfig, mode: EngineMode, R: number, plan: readonly EngineJob[], l: MemoryLayout, hostile?: { seed: number }): { script: LiteCommand[]; pokesPerJob?: number[] } {
  const s: LiteCommand[] = IDENT_READS.map((addr) => ({ op: 'read', addr }));
  // Unmapped addresses behave as the contract says: the write is answered OKAY and the read gives 0.
  s.push({ op: 'write', addr: UNMAPPED_PROBE, data: 0xffffffff }, { op: 'expect', addr: UNMAPPED_PROBE, mask: 0xffffffff, value: 0 });
  const pokesPerJob: number[] = [];
  for (const [n, job] of plan.entries()) {
    const pokes = hostile ? hostilePokes(cfg, R, job, mode, hostile.seed * 7919 + n) : undefined;
    if (pokes) pokesPerJob.push(pokes.pokes);
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
      ...(pokes ? pokes.commands : [{ op: 'write', addr: REG.CTRL, data: CTRL_START } as const]),
      // DONE is a completion point: every burst finished, every result beat taken.
      { op: 'wait', addr: REG.STATUS, mask: STATUS_DONE, value: STATUS_DONE, quiescent: true },
      ...COUNTER_READS.map((addr): LiteCommand => ({ op: 'read', addr })),
      ...(pokes ? pokes.after : []),
    );
  }
  return hostile ? { script: s, pokesPerJob } : { script: s };
}

/** Bursts a row of `bytes` at `addr` is split into: at every 4 KiB page and every 256 beats. */
function burstsOfRow(addr: number, bytes: number, busBytes: number): number {
  let n = 0;
  for (let a = addr, left = bytes; left > 0; n++) {
    const take = Math.min(left, 4096 - (a % 4096), 256 * busBytes);
    a += take;
    left -= take;
  }
  return n;
}

/**
 * What the engine declares to the monitors: read bursts in flight ≤ rows it may have
 * read and not consumed (maxOutstanding) × the most bursts a row of this job takes;
 * write bursts awaiting B ≤ rows in flight in weight mode (inflightRows) × the same.
 * The packets of m_axis_res: one per vector, ⌈cols/N⌉ beats (none in weight mode).
 */
function monitorsFor(cfg: EngineConfig, mode: EngineMode, R: number, plan: readonly EngineJob[], l: MemoryLayout): MonitorOptions {
  // As generator/designs/params.ts sizes the row fetcher and the write-back (engineParams
  // also checks what the hardware needs, which the driver's configurations need not meet).
  const inflightRows = 2 ** Math.ceil(Math.log2(2 * cfg.maxOutstanding));
  const bus = cfg.axiDataBits / 8;
  let perRow = 1;
  for (const job of plan) {
    const [base, stride, bytes] = mode === 'data' ? [l.wBase + 2 * job.c0, l.wStride, job.cols * 2] : [l.gBase + 8 * job.c0, l.gStride, job.cols * 8];
    const rowBytes = Math.ceil(bytes / bus) * bus;
    for (let j = 0; j < R; j++) perRow = Math.max(perRow, burstsOfRow(base + j * stride, rowBytes, bus));
  }
  const monitors: MonitorOptions = {
    maxOutstandingReads: cfg.maxOutstanding * perRow,
    packets: { res: mode === 'data' ? plan.map((j) => ({ beats: Math.ceil(j.cols / cfg.N), count: j.vectors })) : [] },
  };
  if (mode === 'weight') monitors.maxOutstandingWrites = inflightRows * perRow;
  return monitors;
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
  const { script, pokesPerJob } = scriptFor(cfg, mode, R, plan, layout, opts.hostile);
  const job: SimJob = {
    inputs,
    script,
    monitors: monitorsFor(cfg, mode, R, plan, layout),
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
  return pokesPerJob ? { job, cfg, mode, R, K, S, plan, layout, pokesPerJob } : { job, cfg, mode, R, K, S, plan, layout };
}
