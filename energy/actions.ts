/**
 * Counts of actions per engine run (one layer, one mode, one engine), the other
 * factor of an energy estimate. Two sources give the same counts:
 *
 * - measured: the engine's own counters (MACS_ISSUED, CYCLES_BUSY) and the
 *   traffic the harness saw on its AXI4 master and streams;
 * - predicted: the bit-exact model's counters and the driver's job plan and
 *   memory layout, with no simulation.
 *
 * Both agree exactly on every count but the on-chip reads, which follow busy
 * cycles (the measured run uses CYCLES_BUSY, the prediction the ideal cycles of
 * the cycle model). On-chip writes are derived from the microarchitecture
 * (docs/engine-microarchitecture.md, "Energy"); test/energy checks the
 * derivation against the write enables of a Verilated run.
 */
import type { EngineConfig } from '../engine/config.ts';
import type { EngineJob, EngineMode } from '../engine/jobs.ts';
import type { Action } from './model.ts';
import { engineMemories } from './memories.ts';

/** What an engine run did, in the engine's own terms. */
export interface EngineActivity {
  /** MACS_ISSUED: multiplies and accumulator adds performed. */
  macs: number;
  /** Beats of each stream: the gradient and activation inputs, the result output. */
  gradBeats: number;
  actBeats: number;
  resBeats: number;
  /** AXI4 master traffic, in bus-width beats. */
  readBeats: number;
  writeBeats: number;
  writeBursts: number;
  /** CYCLES_BUSY summed over the run's jobs (or the cycle model's ideal, for a prediction). */
  busyCycles: number;
  /** Reads and writes of each on-chip memory, by its Verilog name. */
  onChip: Record<string, { reads: number; writes: number; width: number }>;
}

export type ActionCounts = Record<Action, number>;

/** The thresholded gradients the engine saw, enough to derive its queue and y-memory writes. */
export interface GradientView {
  R: number;
  /** g' [S, R] after the threshold (the model's thresholdAll). */
  gt: Int32Array;
}

/** Beats of each kind a job plan moves, from the plan alone. */
function planBeats(cfg: EngineConfig, mode: EngineMode, R: number, plan: readonly EngineJob[]) {
  let grad = 0, act = 0, res = 0;
  for (const j of plan) {
    grad += j.vectors * Math.ceil(R / cfg.P);
    if (mode === 'weight') act += j.vectors * Math.ceil(j.cols / cfg.P);
    else res += j.vectors * Math.ceil(j.cols / cfg.N);
  }
  return { grad, act, res };
}

/** Whether row j is visited: nonzero g' (sparse) or any row (dense). */
function visits(cfg: EngineConfig, v: number): boolean {
  return !cfg.skipping || v !== 0;
}

/**
 * On-chip writes per memory, from the microarchitecture:
 * - beats_ram (index queue): one per gradient beat that has a row to visit or ends a vector
 *   (all-zero beats are dropped at the threshold);
 * - y_ram (data mode): every lane group of every visited row, except the groups of the
 *   row that ends the vector, which go to m_axis_res instead (when the last beat has
 *   no row, an eov-only token drains and every visited row was written);
 * - a_ram (weight mode): every word the loader assembles from a vector's ⌈cols/P⌉ beats,
 *   up to the memory's ⌈kMax/N⌉ words a bank (P ≥ N: P/N words a beat; P < N: one word
 *   per N/P beats, the vector's last beat closing a partial word);
 * - bursts_ram (G writer): one entry per AXI4 write burst;
 * - lane_tokens_ram (row fetcher): one token per visited row, plus an eov-only token
 *   for a vector whose last beat has no row to visit, in both modes.
 * Reads: every memory's read port runs each busy cycle (the FIFOs read their head
 * continuously; y and a are read whenever the lane pipeline advances, which is every
 * cycle unless a result beat waits for m_axis_res).
 */
export function onChipActivity(
  cfg: EngineConfig,
  mode: EngineMode,
  grads: GradientView,
  plan: readonly EngineJob[],
  writeBursts: number,
  busyCycles: number,
): EngineActivity['onChip'] {
  const { R, gt } = grads;
  const beatsPerVector = Math.ceil(R / cfg.P);
  let queueWrites = 0, yWrites = 0, aWrites = 0, tokenWrites = 0;
  for (const job of plan) {
    const groups = Math.ceil(job.cols / cfg.N);
    const actBeats = Math.ceil(job.cols / cfg.P);
    const aWords = Math.min(Math.ceil(cfg.kMax / cfg.N), cfg.P >= cfg.N ? actBeats * (cfg.P / cfg.N) : Math.ceil(actBeats / (cfg.N / cfg.P)));
    for (let s = job.s0; s < job.s0 + job.vectors; s++) {
      let rows = 0, lastBeatVisits = false;
      for (let b = 0; b < beatsPerVector; b++) {
        let any = false;
        for (let j = b * cfg.P; j < Math.min(R, (b + 1) * cfg.P); j++) if (visits(cfg, gt[s * R + j]!)) { any = true; rows++; }
        const last = b === beatsPerVector - 1;
        if (any || last) queueWrites++;
        if (last) lastBeatVisits = any;
      }
      tokenWrites += rows + (lastBeatVisits ? 0 : 1);
      if (mode === 'data') yWrites += groups * (rows - (lastBeatVisits ? 1 : 0));
      else aWrites += aWords;
    }
  }
  const writes: Record<string, number> = { beats_ram: queueWrites, y_ram: yWrites, a_ram: aWrites, bursts_ram: writeBursts, lane_tokens_ram: tokenWrites };
  const out: EngineActivity['onChip'] = {};
  for (const mem of engineMemories(cfg)) {
    const w = writes[mem.name];
    // A memory added to the design needs its derivation here and in the docs before energy figures mean anything.
    if (w === undefined) throw new Error(`energy: no write derivation for memory ${mem.name} of ${mem.module}; add it to energy/actions.ts`);
    out[mem.name] = { reads: busyCycles * mem.readPorts, writes: w, width: mem.width };
  }
  return out;
}

/**
 * AXI4 write bursts of a weight-mode run: each fetched G row is written back in bursts
 * split at 256 beats and at 4 KiB pages, exactly as its reads were.
 */
export function predictedWriteBursts(
  cfg: EngineConfig,
  grads: GradientView,
  plan: readonly EngineJob[],
  gBase: number,
  gStride: number,
): number {
  const bus = cfg.axiDataBits / 8;
  let bursts = 0;
  for (const job of plan) {
    const bytes = Math.ceil((job.cols * 8) / bus) * bus;
    for (let s = job.s0; s < job.s0 + job.vectors; s++) {
      for (let j = 0; j < grads.R; j++) {
        if (!visits(cfg, grads.gt[s * grads.R + j]!)) continue;
        bursts += burstsOf(gBase + 8 * job.c0 + j * gStride, bytes, bus);
      }
    }
  }
  return bursts;
}

function burstsOf(addr: number, bytes: number, bus: number): number {
  let n = 0;
  for (let a = addr, left = bytes; left > 0; n++) {
    const toPage = 4096 - (a % 4096);
    const take = Math.min(left, toPage, 256 * bus);
    a += take;
    left -= take;
  }
  return n;
}

/** The activity the model predicts for a run: its counters, the plan, and the ideal cycles. */
export function predictedActivity(
  cfg: EngineConfig,
  mode: EngineMode,
  grads: GradientView,
  plan: readonly EngineJob[],
  model: { macsIssued: number; rowsFetched: number },
  layout: { gBase: number; gStride: number },
  idealCycles: number,
): EngineActivity {
  const beats = planBeats(cfg, mode, grads.R, plan);
  const bus = cfg.axiDataBits / 8;
  // Rows of a job are fetched whole: ⌈cols·bytes/bus⌉ beats of int16 W or int64 G.
  let rowBeats = 0;
  let rowsSeen = 0;
  for (const job of plan) {
    let rows = 0;
    for (let s = job.s0; s < job.s0 + job.vectors; s++) for (let j = 0; j < grads.R; j++) if (visits(cfg, grads.gt[s * grads.R + j]!)) rows++;
    rowsSeen += rows;
    rowBeats += rows * Math.ceil((job.cols * (mode === 'data' ? 2 : 8)) / bus);
  }
  if (rowsSeen !== model.rowsFetched) throw new Error(`energy: the plan visits ${rowsSeen} rows but the model fetched ${model.rowsFetched}`);
  const writeBursts = mode === 'weight' ? predictedWriteBursts(cfg, grads, plan, layout.gBase, layout.gStride) : 0;
  return {
    macs: model.macsIssued,
    gradBeats: beats.grad,
    actBeats: beats.act,
    resBeats: beats.res,
    readBeats: rowBeats,
    writeBeats: mode === 'weight' ? rowBeats : 0,
    writeBursts,
    busyCycles: idealCycles,
    onChip: onChipActivity(cfg, mode, grads, plan, writeBursts, idealCycles),
  };
}

/** Actions priced by the energy tables, from an activity. */
export function actionCounts(cfg: EngineConfig, a: EngineActivity): ActionCounts {
  let sramRead = 0, sramWrite = 0;
  for (const m of Object.values(a.onChip)) {
    sramRead += m.reads * m.width;
    sramWrite += m.writes * m.width;
  }
  const busBits = cfg.axiDataBits * (a.readBeats + a.writeBeats) + cfg.P * cfg.gBits * a.gradBeats + cfg.P * cfg.aBits * a.actBeats + cfg.N * cfg.accBits * a.resBeats;
  return {
    mul: a.macs,
    add: a.macs,
    // Two compares per gradient value (g ≥ θ and g ≤ −θ), padding included: the unit compares every lane.
    compare: 2 * cfg.P * a.gradBeats,
    sram_read_bit: sramRead,
    sram_write_bit: sramWrite,
    dram_byte: (cfg.axiDataBits / 8) * (a.readBeats + a.writeBeats),
    bus_bit: busBits,
  };
}
