/**
 * The simulation job: what the engine driver (sim/engine/) hands to the
 * harness, and what comes back. This is the TypeScript form of "The
 * simulation job contract" in docs/ARCHITECTURE.md.
 *
 * Everything is held as whole buffers so the harness can move it to the
 * simulator in bulk (files in a run directory); there is no per-cycle
 * crossing between JavaScript and C++.
 *
 *   import { runSimJob } from '../harness/run.ts';
 *   const result = await runSimJob(job, { rtlFiles, top: 'sparse_bwd_engine' });
 *
 * Beat format (input and output streams alike): each beat is ⌈width/8⌉ bytes
 * of tdata, little-endian, followed by one flag byte whose bit0 is tlast.
 * `encodeBeats` / `decodeBeats` in beats.ts convert to and from bigint lists.
 */

import type { Violation } from './rules.ts';

export type Backpressure = 'none' | 'random' | 'bursty';

export const BACKPRESSURE_MODES: readonly Backpressure[] = ['none', 'random', 'bursty'];

/** One AXI4-Lite command; the script is executed in order by the harness's AXI4-Lite master. */
export type LiteCommand =
  | { op: 'write'; addr: number; data: number }
  /** The value read is appended to `SimResult.reads`. */
  | { op: 'read'; addr: number }
  /**
   * Poll `addr` until `(read & mask) === value`; polls are not logged. `quiescent` makes the
   * match a completion point: every AXI4 burst must then be finished (last R, all W, B taken)
   * and no output beat waiting (DONE-* rules).
   */
  | { op: 'wait'; addr: number; mask: number; value: number; quiescent?: boolean }
  | { op: 'idle'; cycles: number }
  /**
   * A write whose response is logged in `SimResult.pokes`, not checked; BREADY stays low for
   * `bDelay` cycles after AW and W were taken (default 0).
   */
  | { op: 'poke'; addr: number; data: number; bDelay?: number }
  /** One read that must satisfy `(read & mask) === value` (rule AXIL-EXPECT); not logged. */
  | { op: 'expect'; addr: number; mask: number; value: number };

export interface MemoryLoad {
  /** Byte address of the first byte. */
  base: number;
  data: Uint8Array;
}

export interface MemoryDump {
  /** A name for the dump, used for its file and in `SimResult.dumps`. Must match /^[A-Za-z0-9_]+$/. */
  name: string;
  base: number;
  bytes: number;
}

export interface MemoryModel {
  /** Regions written into memory before reset. Memory not loaded reads as zero. */
  load: MemoryLoad[];
  /** Regions read back after the script has finished. */
  dump: MemoryDump[];
  /** Cycles from an accepted AR to its first R beat (also AW+last W to B). Default 0 (next cycle). */
  latency?: number;
  /** Probability in [0, 1) that the memory withholds a ready/valid in a given cycle. Default 0. */
  stallProbability?: number;
  /** Read bursts the memory accepts before it has returned their data. Default 16. */
  maxOutstandingReads?: number;
  /**
   * Bytes of memory modelled from address 0. Default: the end of the highest
   * load or dump region, rounded up to 4 KiB. Accesses past it are a protocol error.
   */
  size?: number;
}

export interface VcdWindow {
  /** First and last cycle traced (inclusive), counted from the first cycle after reset. */
  fromCycle: number;
  toCycle: number;
}

export interface SimJob {
  /**
   * Beats for each `s_axis_<name>` port group, keyed by `<name>` (e.g. `grad`).
   * A stream the top has but the job omits is held idle (tvalid low).
   */
  inputs: Record<string, Uint8Array>;
  /** The AXI4-Lite script; the simulation ends when it has run to the end. */
  script: LiteCommand[];
  memory: MemoryModel;
  /** Backpressure applied to every stream (valid gaps on inputs, ready gaps on outputs). */
  backpressure: Backpressure;
  /** Seed of every random choice of the harness (backpressure, memory stalls). */
  seed: number;
  /** The run fails with a timeout if the script has not finished after this many cycles. */
  cycleLimit: number;
  /** After the script ends, clocking continues until no output has offered a beat for this many cycles. Default 16. */
  drainCycles?: number;
  /** Write a VCD of this window (needs a --trace build; the harness makes it). */
  vcd?: VcdWindow;
  /** What the protocol monitors check beyond the AMBA rules (docs/verification.md). */
  monitors?: MonitorOptions;
}

/** One run of equal packets on an output stream: `count` packets of `beats` beats. */
export interface PacketRun {
  beats: number;
  count: number;
}

export interface MonitorOptions {
  /** Read bursts the design declares it may have in flight (AR taken, last R not); absent: unchecked. */
  maxOutstandingReads?: number;
  /** Write bursts the design declares it may have awaiting B (AW taken, B not); absent: unchecked. */
  maxOutstandingWrites?: number;
  /** Cycles an R or B beat may wait for the design's ready (default 1000). */
  responseBound?: number;
  /** Per output stream, the packets the job must produce in order: TLAST on each one's last beat, nothing after. */
  packets?: Record<string, PacketRun[]>;
  /** A deliberate fault of the memory model, to test its self-checks: B at a burst's first W beat, or one R beat too many. */
  memoryFault?: 'b-early' | 'r-extra';
  /**
   * A deliberate fault of the harness's own masters, to test that it checks itself: every stream
   * source, the AXI4-Lite master and the memory's R and B raise VALID in the first cycle after
   * reset, or already during it. The run then fails with a `HarnessBug` (rules.ts), never a violation.
   */
  harnessFault?: 'first-cycle' | 'in-reset';
}

export interface StreamStats {
  beats: number;
  /** Cycles in which the source offered a beat but the sink was not ready. */
  stallCycles: number;
}

export interface MemoryStats {
  readBursts: number;
  readBeats: number;
  writeBursts: number;
  writeBeats: number;
  /** The most read bursts in flight (accepted, last beat not yet returned) at once. */
  maxOutstandingReads: number;
}

export interface SimResult {
  /** Captured beats of each `m_axis_<name>` port group, keyed by `<name>`, same format as inputs. */
  outputs: Record<string, Uint8Array>;
  /** Results of the script's `read` commands, in order, with the cycle each completed. */
  reads: { addr: number; data: number; cycle: number }[];
  /** Cycle in which each captured output beat was taken, per output stream. */
  outputCycles: Record<string, number[]>;
  /** Every AXI4 write burst: cycle of its last W beat, byte address, beats. */
  writeBursts: { cycle: number; addr: number; beats: number }[];
  /** Memory dumps, keyed by `MemoryDump.name`. */
  dumps: Record<string, Uint8Array>;
  /** Cycles from the end of reset to the end of the script (drain cycles excluded). */
  cycles: number;
  /** True when the cycle limit was reached before the script ended. */
  timedOut: boolean;
  /** When timed out: where the script stood and which input streams were not fully taken. */
  timeoutDetail?: string;
  /** Protocol violations seen by the monitors, the first 64 (empty when clean). */
  violations: Violation[];
  /** Every violation, counted (violations holds only the first 64). */
  violationCount: number;
  /** The violations as one line each (`describeViolation`), with a "… and N more" line past the first 64. */
  protocolErrors: string[];
  /** The script's `poke` commands: the cycle AW and W had both been taken, the BRESP and the cycle of B. */
  pokes: { addr: number; data: number; cycle: number; resp: number; bCycle: number }[];
  streams: Record<string, StreamStats>;
  memory: MemoryStats;
  /** Path of the VCD when the job asked for one. */
  vcdFile?: string;
  /** Wall-clock seconds spent in the simulator process (not an artifact: never written into reports that must be byte-identical). */
  simSeconds: number;
  /** CPU seconds of the simulator's main loop: unlike simSeconds, not inflated by other jobs on the machine. */
  simCpuSeconds: number;
  /** Cycles the main loop ran: `cycles` plus the drain. */
  loopCycles: number;
  /** FNV-1a of every output port after the last cycle: a replay of the job's recorded inputs must end on the same. */
  outputsDigest: string;
}
