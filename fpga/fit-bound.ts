/**
 * A lower bound on the iCE40 sites placement needs, read from the harness netlist Yosys wrote
 * (its `stat -json` counts and the JSON netlist): seconds after synthesis, where placing an
 * over-full device takes minutes before nextpnr gives up.
 *
 * It must never call a design that fits "does not fit", so it counts only what nextpnr-ice40's
 * packer (ice40/pack.cc, the same in nextpnr 0.4 and today) cannot share:
 * - an ICESTORM_LC holds one LUT4, one flip-flop and one carry, and its flip-flop can only take
 *   the cell's LUT output as D. pack_lut_lutffs gives every SB_LUT4 a cell and puts a flip-flop
 *   in it only when that flip-flop's D is the LUT output's one and only load
 *   (net_only_drives(…, exclusive = true)); pack_nonlut_ffs gives every other flip-flop a cell
 *   of its own. pack_carries puts an SB_CARRY in an existing cell or a new one, and
 *   merge_carry_luts only moves a LUT into such a new carry cell, so carries never take a cell
 *   away. No cell is dropped (pack_constants removes only GND/VCC drivers). Hence
 *   cells ≥ LUT4 + flip-flops − (LUTs whose only load is a flip-flop's D), and cells ≥ carries;
 * - every SB_RAM40_4K takes an ICESTORM_RAM and every SB_MAC16 an ICESTORM_DSP (pack_ram,
 *   pack_special).
 * Carry-only cells and chain feed-throughs are left out, so the bound stays below nextpnr's own
 * count (on the default preset's sparse engine on HX8K: 7,857 against the packer's 8,029).
 */
import type { Device } from './targets.ts';

/** One resource's need against the device: `resource` is nextpnr's site type, `cells` what the need is made of. */
export interface FitBound {
  resource: 'ICESTORM_LC' | 'ICESTORM_RAM' | 'ICESTORM_DSP';
  need: number;
  available: number;
  cells: string;
}

const UNIT: Record<FitBound['resource'], string> = { ICESTORM_LC: 'cells', ICESTORM_RAM: 'block RAMs', ICESTORM_DSP: 'DSPs' };

const isLut = (type: string): boolean => type === 'SB_LUT4';
/** nextpnr's is_ff: SB_DFF and its enable/set/reset/negative-edge variants. */
const isFf = (type: string): boolean => /^SB_DFFN?E?(SR|R|SS|S)?$/.test(type);

function count(cellsByType: Record<string, number>, match: (type: string) => boolean): number {
  return Object.entries(cellsByType).reduce((n, [type, k]) => n + (match(type) ? k : 0), 0);
}

interface YosysNetlist {
  modules: Record<
    string,
    {
      attributes?: Record<string, unknown>;
      ports?: Record<string, { direction: string; bits: Array<number | string> }>;
      cells?: Record<string, { type: string; port_directions?: Record<string, string>; connections: Record<string, Array<number | string>> }>;
    }
  >;
}

/**
 * How many LUTs can share a cell with a flip-flop: those whose output's only load is a
 * flip-flop's D. Undefined when the top is not flat (a cell is another module of the netlist),
 * since pairs inside submodules would then go uncounted and the bound could overshoot.
 */
export function lutFfPairs(netlistJson: string, top: string): number | undefined {
  const n = JSON.parse(netlistJson) as YosysNetlist;
  const m = n.modules[top];
  if (!m) return undefined;
  const cells = Object.values(m.cells ?? {});
  const defined = (t: string) => n.modules[t] !== undefined && !n.modules[t]!.attributes?.blackbox;
  if (cells.some((c) => defined(c.type))) return undefined;
  // Loads of every net bit: cell inputs, and the top's outputs (nextpnr gives each an output buffer).
  const loads = new Map<number, { n: number; ffD: boolean }>();
  const addLoad = (bit: number | string, ffD: boolean) => {
    if (typeof bit !== 'number') return;
    const l = loads.get(bit);
    loads.set(bit, l ? { n: l.n + 1, ffD: false } : { n: 1, ffD });
  };
  for (const c of cells) {
    for (const [port, bits] of Object.entries(c.connections)) {
      // A port of unknown direction is not counted as a load: fewer loads only allow more pairs, a lower bound.
      if (c.port_directions?.[port] !== 'input' && c.port_directions?.[port] !== 'inout') continue;
      for (const b of bits) addLoad(b, isFf(c.type) && port === 'D');
    }
  }
  for (const p of Object.values(m.ports ?? {})) if (p.direction !== 'input') for (const b of p.bits) addLoad(b, false);
  let pairs = 0;
  for (const c of cells) {
    if (!isLut(c.type)) continue;
    const o = c.connections.O?.[0];
    const l = o === undefined || typeof o !== 'number' ? undefined : loads.get(o);
    if (l && l.n === 1 && l.ffD) pairs++;
  }
  return pairs;
}

/** Every bounded resource of an iCE40 device, in a fixed order; `pairs` from lutFfPairs (undefined: as many as could be). */
export function ice40Bounds(cellsByType: Record<string, number>, pairs: number | undefined, device: Device): FitBound[] {
  const luts = count(cellsByType, isLut);
  const ffs = count(cellsByType, isFf);
  const carries = count(cellsByType, (t) => t === 'SB_CARRY');
  const shared = Math.min(pairs ?? Infinity, luts, ffs);
  const lc = luts + ffs - shared;
  const c = device.capacity;
  return [
    carries > lc
      ? { resource: 'ICESTORM_LC', need: carries, available: c.luts, cells: `${carries} SB_CARRY` }
      : { resource: 'ICESTORM_LC', need: lc, available: c.luts, cells: `${luts} SB_LUT4 + ${ffs} flip-flops − ${shared} LUT→FF pairs` },
    { resource: 'ICESTORM_RAM', need: count(cellsByType, (t) => /^SB_RAM40_4K/.test(t)), available: c.brams, cells: 'SB_RAM40_4K' },
    { resource: 'ICESTORM_DSP', need: count(cellsByType, (t) => t === 'SB_MAC16'), available: c.dsps, cells: 'SB_MAC16' },
  ];
}

/**
 * The bound that binds: the first resource the design exceeds, or else the fullest one.
 * Recorded for every placed design too, so a run shows the bound beside nextpnr's own count.
 */
export function bindingBound(cellsByType: Record<string, number>, pairs: number | undefined, device: Device): FitBound {
  const all = ice40Bounds(cellsByType, pairs, device);
  const over = all.find(exceeds);
  if (over) return over;
  const share = (b: FitBound) => (b.available > 0 ? b.need / b.available : 0);
  return all.reduce((a, b) => (share(b) > share(a) ? b : a));
}

export function exceeds(b: FitBound): boolean {
  return b.need > b.available;
}

/** "7857 cells of 7680" (logic cells): the words of the report and the table. */
export function boundText(b: FitBound): string {
  return `${b.need} ${UNIT[b.resource]} of ${b.available}`;
}
