/** Widths and limits derived from an engine configuration, computed once so no consumer re-derives them differently. */
import type { EngineConfig } from './config.ts';

/** Derived widths and limits every consumer needs; computed here so nobody re-derives them differently. */
export interface EngineGeometry {
  gradBeatBits: number;
  actBeatBits: number;
  resBeatBits: number;
  axiDataBytes: number;
  /** Largest θ_q the THETA register holds (unsigned gBits). */
  thetaMax: number;
  accMin: bigint;
  accMax: bigint;
  topName: 'sparse_bwd_engine' | 'dense_bwd_engine';
  /** Value of the GEOMETRY register. */
  geometryReg: number;
}

export function geometry(cfg: EngineConfig): EngineGeometry {
  return {
    gradBeatBits: cfg.P * cfg.gBits,
    actBeatBits: cfg.P * cfg.aBits,
    resBeatBits: cfg.N * cfg.accBits,
    axiDataBytes: cfg.axiDataBits / 8,
    thetaMax: 2 ** cfg.gBits - 1,
    accMin: -(1n << BigInt(cfg.accBits - 1)),
    accMax: (1n << BigInt(cfg.accBits - 1)) - 1n,
    topName: cfg.skipping ? 'sparse_bwd_engine' : 'dense_bwd_engine',
    geometryReg: (cfg.P & 0xff) | ((cfg.N & 0xff) << 8) | (cfg.skipping ? 1 << 16 : 0),
  };
}
