/**
 * Turning Yosys `stat -json` cell counts into the figures an FPGA engineer
 * compares: LUTs, flip-flops, carry cells, block RAMs and DSPs, per target.
 */
import type { TargetName } from './targets.ts';

export interface Resources {
  luts: number;
  ffs: number;
  carries: number;
  brams: number;
  dsps: number;
  /** Xilinx LUTs used as distributed RAM (RAM32M, RAM64X1D, …); 0 elsewhere. */
  lutrams: number;
  /** Xilinx LUTs used as shift registers (SRL16E, SRLC32E); 0 elsewhere. */
  srls: number;
  /** iCE40 UltraPlus single-port RAMs (SB_SPRAM256KA, 256 Kb each): not block RAM, so counted apart. */
  sprams: number;
  /**
   * Xilinx INV cells, not counted as LUTs. Most drive a flip-flop's R, S or D pin, which Vivado
   * folds into the flip-flop (IS_R_INVERTED, …); those on a CARRY4 or a clock enable can each
   * take a LUT1. On the tiny preset's sparse engine: 251 of 372 on flip-flop R/S/D pins, 92 on
   * CARRY4 S/DI, 32 on CE (fpga/README.md).
   */
  inverters: number;
  /** Cells not in any of the classes above (kept so nothing is silently lost). */
  other: Record<string, number>;
}

type Classifier = (cell: string) => keyof Omit<Resources, 'other'> | 'count-as-2-brams' | undefined;

const ICE40: Classifier = (c) => {
  if (c === 'SB_LUT4') return 'luts';
  if (/^SB_DFF/.test(c)) return 'ffs';
  if (c === 'SB_CARRY') return 'carries';
  if (/^SB_RAM40_4K/.test(c)) return 'brams';
  if (c === 'SB_MAC16') return 'dsps';
  if (c === 'SB_SPRAM256KA') return 'sprams';
  return undefined;
};

const XILINX7: Classifier = (c) => {
  if (/^LUT[1-6](_2)?$/.test(c)) return 'luts';
  if (c === 'INV') return 'inverters';
  if (/^(FD[RSCP]E|LD[CP]E|FDRE_1|FDSE_1|FDCE_1|FDPE_1)$/.test(c)) return 'ffs';
  if (c === 'CARRY4') return 'carries';
  if (c === 'RAMB18E1') return 'brams';
  // Capacity is counted in RAMB18 halves, so a RAMB36 is two of them.
  if (c === 'RAMB36E1') return 'count-as-2-brams';
  if (/^DSP48E1$/.test(c)) return 'dsps';
  if (/^RAM\d+(X\d+[SD]|M|M16)$/.test(c)) return 'lutrams';
  if (/^SRLC?(16|32)E$/.test(c)) return 'srls';
  return undefined;
};

const GENERIC: Classifier = (c) => {
  if (c === '$lut') return 'luts';
  if (/^\$_.*(DFF|DLATCH)/.test(c)) return 'ffs';
  if (/^\$(alu|lcu)$/.test(c)) return 'carries';
  if (/^\$mem/.test(c)) return 'brams';
  if (/^\$(mul|macc)$/.test(c)) return 'dsps';
  return undefined;
};

const CLASSIFIERS: Record<TargetName, Classifier> = { ice40: ICE40, xilinx7: XILINX7, generic: GENERIC };

export function classifyCells(target: TargetName, cellsByType: Record<string, number>): Resources {
  const r: Resources = { luts: 0, ffs: 0, carries: 0, brams: 0, dsps: 0, lutrams: 0, srls: 0, sprams: 0, inverters: 0, other: {} };
  const classify = CLASSIFIERS[target];
  for (const type of Object.keys(cellsByType).sort()) {
    const n = cellsByType[type]!;
    const k = classify(type);
    if (k === 'count-as-2-brams') r.brams += 2 * n;
    else if (k) r[k] += n;
    else r.other[type] = n;
  }
  return r;
}

/** What one BRAM and one DSP of the table is, per target. */
export const UNITS: Record<TargetName, { bram: string; dsp: string }> = {
  ice40: { bram: 'SB_RAM40_4K (4 Kb)', dsp: 'SB_MAC16 (16×16 multiply-accumulate)' },
  // Vivado reports block RAM in RAMB36 tiles; Yosys infers RAMB18E1 halves, so the count is in those.
  xilinx7: { bram: 'RAMB18E1 (18 Kb; a RAMB36E1 of 36 Kb counts as 2)', dsp: 'DSP48E1' },
  generic: { bram: 'Yosys $mem cell (one memory, any size, not mapped)', dsp: 'Yosys $mul/$macc cell' },
};

/** Relative change b vs a in percent (positive = b larger); undefined when a is 0. */
export function percentChange(a: number, b: number): number | undefined {
  if (a === 0) return undefined;
  return ((b - a) / a) * 100;
}
