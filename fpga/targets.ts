/**
 * FPGA targets and devices the bundle knows: what Yosys is told, what
 * nextpnr is told, and the capacities utilization is measured against.
 * Capacities are the vendor datasheet figures (Lattice iCE40 UltraPlus /
 * LP-HX family data sheets, Xilinx DS180 for Artix-7).
 */
import { UserError } from '../util/errors.ts';

export const TARGET_NAMES = ['ice40', 'xilinx7', 'generic'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface DeviceCapacity {
  luts: number;
  ffs: number;
  brams: number;
  dsps: number;
  ios: number;
}

export interface Device {
  name: string;
  target: TargetName;
  /** Human label for tables, e.g. "iCE40UP5K-SG48". */
  label: string;
  family: string;
  /** Package given to nextpnr / part given to Vivado. */
  packageName: string;
  part?: string;
  capacity: DeviceCapacity;
  /** Yosys synthesis command (without -top/-json) and the passes that follow it. */
  yosysSynth: string;
  yosysAfter?: string[];
  /** nextpnr-ice40 device flags; undefined when place and route does not run here. */
  nextpnrArgs?: string[];
}

const DEVICES: Device[] = [
  {
    name: 'up5k',
    target: 'ice40',
    label: 'iCE40UP5K-SG48',
    family: 'iCE40 UltraPlus',
    packageName: 'sg48',
    capacity: { luts: 5280, ffs: 5280, brams: 30, dsps: 8, ios: 39 },
    // -dsp: UP5K has SB_MAC16 blocks, and products should land there rather than in LUTs.
    yosysSynth: 'synth_ice40 -device u -dsp',
    nextpnrArgs: ['--up5k', '--package', 'sg48'],
  },
  {
    name: 'hx8k',
    target: 'ice40',
    label: 'iCE40HX8K-CT256',
    family: 'iCE40 HX',
    packageName: 'ct256',
    capacity: { luts: 7680, ffs: 7680, brams: 32, dsps: 0, ios: 206 },
    yosysSynth: 'synth_ice40 -device hx',
    nextpnrArgs: ['--hx8k', '--package', 'ct256'],
  },
  {
    name: 'xc7a35t',
    target: 'xilinx7',
    label: 'XC7A35T-1CPG236',
    family: 'Artix-7',
    packageName: 'cpg236',
    part: 'xc7a35tcpg236-1',
    // -noiopad: the engine is an IP block (like Vivado's out-of-context run), so its ports get no I/O buffers.
    // BRAM counted as RAMB18 halves (100 per 50 RAMB36), which is what synth_xilinx infers.
    capacity: { luts: 20800, ffs: 41600, brams: 100, dsps: 90, ios: 106 },
    yosysSynth: 'synth_xilinx -family xc7 -flatten -noiopad',
  },
  {
    name: 'xc7a100t',
    target: 'xilinx7',
    label: 'XC7A100T-1CSG324',
    family: 'Artix-7',
    packageName: 'csg324',
    part: 'xc7a100tcsg324-1',
    capacity: { luts: 63400, ffs: 126800, brams: 270, dsps: 240, ios: 210 },
    yosysSynth: 'synth_xilinx -family xc7 -flatten -noiopad',
  },
  {
    name: 'generic',
    target: 'generic',
    label: 'generic (Yosys internal cells, 4-input LUTs)',
    family: 'generic',
    packageName: '-',
    capacity: { luts: 0, ffs: 0, brams: 0, dsps: 0, ios: 0 },
    // Memories become flip-flops here; the LUT count is a technology-independent size estimate.
    yosysSynth: 'synth -flatten',
    yosysAfter: ['abc -lut 4', 'opt_clean'],
  },
];

export const DEFAULT_DEVICES: Record<TargetName, string[]> = {
  ice40: ['up5k', 'hx8k'],
  xilinx7: ['xc7a35t'],
  generic: ['generic'],
};

export function devicesFor(target: TargetName): Device[] {
  return DEVICES.filter((d) => d.target === target);
}

export function parseTarget(name: string): TargetName {
  if ((TARGET_NAMES as readonly string[]).includes(name)) return name as TargetName;
  throw new UserError(`unknown FPGA target '${name}'; use one of: ${TARGET_NAMES.join(', ')}`);
}

/** The devices named on the command line, or the target's defaults; every name must belong to the target. */
export function resolveDevices(target: TargetName, names: string[] | undefined): Device[] {
  const wanted = names && names.length ? names : DEFAULT_DEVICES[target];
  const known = devicesFor(target);
  return [...new Set(wanted.map((n) => n.toLowerCase()))].map((n) => {
    const d = known.find((k) => k.name === n);
    if (!d) throw new UserError(`device '${n}' is not a ${target} device; use one of: ${known.map((k) => k.name).join(', ')}`);
    return d;
  });
}

/** Boards whose pinout the bundle can write a PCF for (clock, reset and the wrapper's scan pins). */
export interface Board {
  name: string;
  device: string;
  clockMHz: number;
  pins: { clk: string; rst: string; scanIn: string; scanEn: string; scanOut: string };
}

const BOARDS: Board[] = [
  // 1BitSquared iCEBreaker: 12 MHz oscillator on pin 35, user button BTN_N on 10 (active low, like aresetn),
  // PMOD1A pins 4 and 2 for the scan chain, red LED (LEDR_N) on 11 shows the result parity.
  { name: 'icebreaker', device: 'up5k', clockMHz: 12, pins: { clk: '35', rst: '10', scanIn: '4', scanEn: '2', scanOut: '11' } },
  // Lattice iCE40-HX8K breakout board: 12 MHz oscillator on J3, LED0 on B5; the board has no user button, so
  // reset and the scan chain go to free header I/Os (C12, C14, D13).
  { name: 'ice40-hx8k-breakout', device: 'hx8k', clockMHz: 12, pins: { clk: 'J3', rst: 'C12', scanIn: 'C14', scanEn: 'D13', scanOut: 'B5' } },
];

export function boardNames(): string[] {
  return BOARDS.map((b) => b.name);
}

export function resolveBoard(name: string | undefined, devices: Device[]): Board | undefined {
  if (!name) return undefined;
  const b = BOARDS.find((x) => x.name === name.toLowerCase());
  if (!b) throw new UserError(`unknown board '${name}'; use one of: ${boardNames().join(', ')}, or leave --board out`);
  if (!devices.some((d) => d.name === b.device)) {
    throw new UserError(`board '${b.name}' carries an ${b.device}; add --device ${b.device}`);
  }
  return b;
}
