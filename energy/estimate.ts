/**
 * Energy of a run: counts of actions times the table's energy per action, with
 * the breakdown an architect reads first (compute, on-chip memory, external
 * memory, interconnect) and the ratio of a dense run to its sparse twin.
 */
import { ACTIONS, type Action, type EnergyModel } from './model.ts';
import type { ActionCounts } from './actions.ts';

export const ENERGY_CLASSES = { compute: ['mul', 'add', 'compare'], onChip: ['sram_read_bit', 'sram_write_bit'], dram: ['dram_byte'], bus: ['bus_bit'] } as const satisfies Record<string, readonly Action[]>;

export interface EnergyEstimate {
  /** Table name and unit the figures are in (pJ, or one MAC for a normalised table). */
  model: string;
  unit: string;
  total: number;
  byAction: Record<Action, number>;
  byClass: Record<keyof typeof ENERGY_CLASSES, number>;
  /** Share of the total spent moving data to and from external memory. */
  memoryShare: number;
  counts: ActionCounts;
}

/** Rounded to 6 significant digits, so reports stay byte-identical across platforms' float printing. */
function round(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(6));
}

export function estimateEnergy(model: EnergyModel, counts: ActionCounts): EnergyEstimate {
  const byAction = Object.fromEntries(ACTIONS.map((a) => [a, counts[a] * model.actions[a].energy])) as Record<Action, number>;
  const sum = (as: readonly Action[]) => as.reduce((t, a) => t + byAction[a], 0);
  const byClass = Object.fromEntries(Object.entries(ENERGY_CLASSES).map(([k, as]) => [k, sum(as)])) as EnergyEstimate['byClass'];
  const total = sum(ACTIONS);
  return {
    model: model.name,
    unit: model.unit,
    total: round(total),
    byAction: Object.fromEntries(ACTIONS.map((a) => [a, round(byAction[a])])) as Record<Action, number>,
    byClass: Object.fromEntries(Object.entries(byClass).map(([k, v]) => [k, round(v)])) as EnergyEstimate['byClass'],
    memoryShare: total > 0 ? round(byClass.dram / total) : 0,
    counts,
  };
}

/** Adds counts of several runs (the modes and layers of one training step). */
export function addCounts(a: ActionCounts, b: ActionCounts): ActionCounts {
  return Object.fromEntries(ACTIONS.map((k) => [k, a[k] + b[k]])) as ActionCounts;
}

export function zeroCounts(): ActionCounts {
  return Object.fromEntries(ACTIONS.map((k) => [k, 0])) as ActionCounts;
}

/** dense ÷ sparse, the energy counterpart of the cycle speedup. */
export function energyRatio(dense: EnergyEstimate, sparse: EnergyEstimate): number | null {
  return sparse.total > 0 ? round(dense.total / sparse.total) : null;
}
