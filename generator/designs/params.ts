/**
 * Derived sizes of the engine hardware for one configuration. Everything the
 * blocks need is computed here once, so two blocks never disagree on a width.
 */
import { UserError } from '../../util/errors.ts';
import type { EngineConfig } from '../../engine/config.ts';
import { log2Up } from '../core/types.ts';

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

export interface EngineParams {
  cfg: EngineConfig;
  P: number;
  N: number;
  gBits: number;
  wBits: number;
  aBits: number;
  accBits: number;
  /** Bits of a row index j < rMax. */
  jBits: number;
  /** Bits of the ROWS register value (1..rMax). */
  rCntBits: number;
  /** Bits of the COLS register value (1..kMax). */
  kCntBits: number;
  /** Beats of one gradient vector at most, and the bits of a beat number. */
  beatsMax: number;
  beatBits: number;
  /** Lane groups of a row at most (⌈kMax/N⌉) and the bits of a group number. */
  groupsMax: number;
  groupBits: number;
  /** Memory bus. */
  busBits: number;
  busBytes: number;
  /** W groups (N int16) and G groups (N int64) per bus beat. */
  wGroupsPerBeat: number;
  gGroupsPerBeat: number;
  addrBits: number;
  /** Bus beats of one row at most (G rows are the long ones). */
  rowBeatsMax: number;
  rowBeatBits: number;
  /** Rows whose read is issued and whose last write response has not come back (weight mode). */
  inflightRows: number;
  /** Read bursts of G rows whose write-back has not been issued: rows in flight × bursts per row. */
  writeBursts: number;
  /** Token FIFO: one entry per row in flight plus room for end-of-vector tokens. */
  tokenDepth: number;
  queueDepth: number;
  maxOutstanding: number;
  skipping: boolean;
}

/** Checks what the hardware needs beyond the zod schema (powers of two keep the index maths to wiring). */
export function engineParams(cfg: EngineConfig): EngineParams {
  const need = (ok: boolean, msg: string): void => {
    if (!ok) throw new UserError(`engine config: ${msg}`);
  };
  need(isPow2(cfg.P), `P = ${cfg.P} must be a power of two for the hardware (beat indices are concatenated, not multiplied)`);
  need(isPow2(cfg.N), `N = ${cfg.N} must be a power of two for the hardware (lane groups are bit fields of the column)`);
  // One G lane group (N int64) is exactly one bus beat, so the write-back needs no packing.
  need(cfg.axiDataBits === 64 * cfg.N, `axiDataBits = ${cfg.axiDataBits} must equal N·64 = ${64 * cfg.N} (one G lane group per bus beat)`);
  need(cfg.kMax % cfg.N === 0 && cfg.kMax % cfg.P === 0, `kMax = ${cfg.kMax} must be a multiple of N and P`);
  need(cfg.axiAddrBits >= 13, 'axiAddrBits must be at least 13 (4 KiB bursts)');
  const busBytes = cfg.axiDataBits / 8;
  const groupsMax = cfg.kMax / cfg.N;
  const gGroupsPerBeat = cfg.axiDataBits / (64 * cfg.N);
  const wGroupsPerBeat = cfg.axiDataBits / (16 * cfg.N);
  const beatsMax = Math.ceil(cfg.rMax / cfg.P);
  const rowBeatsMax = Math.ceil(groupsMax / gGroupsPerBeat);
  const inflightRows = 2 ** log2Up(2 * cfg.maxOutstanding);
  return {
    cfg,
    P: cfg.P,
    N: cfg.N,
    gBits: cfg.gBits,
    wBits: cfg.wBits,
    aBits: cfg.aBits,
    accBits: cfg.accBits,
    jBits: log2Up(cfg.rMax),
    rCntBits: log2Up(cfg.rMax + 1),
    kCntBits: log2Up(cfg.kMax + 1),
    beatsMax,
    beatBits: log2Up(beatsMax),
    groupsMax,
    groupBits: log2Up(Math.max(groupsMax, 4)),
    busBits: cfg.axiDataBits,
    busBytes,
    wGroupsPerBeat,
    gGroupsPerBeat,
    addrBits: cfg.axiAddrBits,
    rowBeatsMax,
    rowBeatBits: log2Up(rowBeatsMax + 1),
    inflightRows,
    // A row of up to rowBeatsMax beats is split at 256 beats and at every 4 KiB page it touches.
    writeBursts: 2 ** log2Up(inflightRows * (Math.ceil((rowBeatsMax * busBytes) / 4096) + 1)),
    tokenDepth: cfg.maxOutstanding + 2,
    queueDepth: cfg.queueDepth,
    maxOutstanding: cfg.maxOutstanding,
    skipping: cfg.skipping,
  };
}
