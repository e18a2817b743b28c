/**
 * Mid-run state of a training run, so that a run killed after hours continues
 * from its last validation instead of from step 1 (`reproduce --full` keeps one
 * per unfinished run). One safetensors file, written atomically at every
 * validation: the weights, the momentum, the best weights of the plateau
 * schedule, the carried LSTM state, and everything else as JSON metadata. A
 * resumed run is bit-identical to one that never stopped (tested).
 */
import { existsSync, rmSync } from 'node:fs';
import type { Tensor } from '../streams/safetensors.ts';
import { readSafetensors, writeSafetensors } from '../streams/safetensors.ts';
import { runIdentity, type TrainConfig } from './config.ts';
import { flatParams, type Params, type Vec } from './model.ts';
import type { Network } from './network.ts';
import type { LayerCounts } from './lstm.ts';

/** What of a config a saved state must match: its identity up to the budget (golden/config.ts), corpus path included. */
export function stateKey(cfg: TrainConfig): string {
  return runIdentity(cfg);
}

export interface SavedScalars {
  step: number;
  batchPosition: number;
  trainSeconds: number;
  /** Absent in states saved before it was recorded. */
  wallSeconds?: number;
  validTokens: number;
  gradNorms: number[];
  dzSparsity: number[];
  trainLoss: [number, number][];
  validation: [number, number, number][];
  sparsityTrajectory: number[][];
  seen: { zeros: number[]; totals: number[] };
  counts: LayerCounts[];
  plateau: { lr: number; decays: number; stopped: boolean; best: number; bestStep: number; bad: number; hasBest: boolean };
}

export interface StateArrays {
  params: Params;
  velocity: Params | null;
  bestWeights: Vec[] | null;
  net: Network;
}

const tensor = (data: Vec): Tensor => ({ dtype: data instanceof Float64Array ? 'F64' : 'F32', shape: [data.length], data });

export function saveState(file: string, cfg: TrainConfig, scalars: SavedScalars, a: StateArrays): void {
  const t = new Map<string, Tensor>();
  flatParams(a.params).forEach((p, k) => t.set(`param.${k}`, tensor(p.data)));
  if (a.velocity) flatParams(a.velocity).forEach((p, k) => t.set(`velocity.${k}`, tensor(p.data)));
  a.bestWeights?.forEach((w, k) => t.set(`best.${k}`, tensor(w)));
  a.net.layers.forEach((w, k) => {
    t.set(`h0.${k}`, tensor(w.h0));
    t.set(`c0.${k}`, tensor(w.c0));
  });
  // JSON numbers print the shortest string that reads back to the same double: the scalars round-trip exactly.
  writeSafetensors(file, t, { format: 'sparsegrad-train-state-1', config: stateKey(cfg), scalars: JSON.stringify(scalars) });
}

/** The saved state when `file` holds one for this very config, else null (a stale or foreign file is ignored). */
export function loadState(file: string, cfg: TrainConfig, a: StateArrays): { scalars: SavedScalars; bestWeights: Vec[] | null } | null {
  if (!existsSync(file)) return null;
  let f;
  try {
    f = readSafetensors(file);
  } catch {
    return null;
  }
  if (f.metadata.format !== 'sparsegrad-train-state-1' || f.metadata.config !== stateKey(cfg)) return null;
  const scalars = JSON.parse(f.metadata.scalars!) as SavedScalars;
  const get = (name: string, into: Vec) => {
    const x = f.tensors.get(name);
    if (!x || x.data.length !== into.length) throw new Error(`train state ${file}: tensor ${name} missing or of the wrong size`);
    into.set(x.data as Vec);
  };
  flatParams(a.params).forEach((p, k) => get(`param.${k}`, p.data));
  if (a.velocity) flatParams(a.velocity).forEach((p, k) => get(`velocity.${k}`, p.data));
  a.net.layers.forEach((w, k) => {
    get(`h0.${k}`, w.h0);
    get(`c0.${k}`, w.c0);
  });
  scalars.counts.forEach((c, k) => Object.assign(a.net.counts[k]!, structuredClone(c)));
  const bestWeights = scalars.plateau.hasBest ? flatParams(a.params).map((p, k) => {
    const w = p.data.slice();
    get(`best.${k}`, w);
    return w;
  }) : null;
  return { scalars, bestWeights };
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}
