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
  /** Xilinx distributed RAM / shift-register LUTs; 0 elsewhere. */
  lutrams: number;
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
  // SB_SPRAM256KA is UltraPlus single-port RAM; counted with block RAM so it is not lost.
  if (c === 'SB_SPRAM256KA') return 'brams';
  return undefined;
};

const XILINX7: Classifier = (c) => {
  // Yosys leaves inverters as INV cells; Vivado implements each as a LUT1.
  if (/^LUT[1-6](_2)?$/.test(c) || c === 'INV') return 'luts';
  if (/^(FD[RSCP]E|LD[CP]E|FDRE_1|FDSE_1|FDCE_1|FDPE_1)$/.test(c)) return 'ffs';
  if (c === 'CARRY4') return 'carries';
  if (c === 'RAMB18E1') return 'brams';
  // Capacity is counted in RAMB18 halves, so a RAMB36 is two of them.
  if (c === 'RAMB36E1') return 'count-as-2-brams';
  if (/^DSP48E1$/.test(c)) return 'dsps';
  if (/^(RAM\d+X\d+[SD]|RAM\d+M|SRL16E|SRLC32E|SRLC16E)$/.test(c)) return 'lutrams';
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
  const r: Resources = { luts: 0, ffs: 0, carries: 0, brams: 0, dsps: 0, lutrams: 0, other: {} };
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

/** Relative change b vs a in percent (positive = b larger); undefined when a is 0. */
export function percentChange(a: number, b: number): number | undefined {
  if (a === 0) return undefined;
  return ((b - a) / a) * 100;
}
