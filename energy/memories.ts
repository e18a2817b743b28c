/**
 * The engine's on-chip memories as the generator builds them: elaborated from
 * the same configuration as the RTL, so their widths and depths are never
 * restated here. Which module owns which memory and how often it is written is
 * the microarchitecture (docs/engine-microarchitecture.md, "Energy").
 */
import type { EngineConfig } from '../engine/config.ts';
import type { ModuleDef } from '../generator/core/module.ts';
import { engineTop } from '../generator/designs/engine.ts';

export interface OnChipMemory {
  /** Memory name in the emitted Verilog (`reg [w-1:0] name [0:depth-1]`). */
  name: string;
  /** Module that holds it. */
  module: string;
  width: number;
  depth: number;
  readPorts: number;
}

const cache = new Map<string, OnChipMemory[]>();

function walk(def: ModuleDef, out: OnChipMemory[], seen: Set<string>): void {
  if (seen.has(def.name)) return;
  seen.add(def.name);
  const m = def.impl;
  if (!m) return; // a black box: its memories, if any, are not ours to count
  for (const mem of m.memories) out.push({ name: mem.name, module: def.name, width: mem.type.width, depth: mem.depth, readPorts: mem.readPorts.length });
  for (const inst of m.instances) if (inst.def.kind === 'module') walk(inst.def as ModuleDef, out, seen);
}

/** Every memory of the engine top for this configuration, in module order. */
export function engineMemories(cfg: EngineConfig): OnChipMemory[] {
  const key = JSON.stringify(cfg);
  let mems = cache.get(key);
  if (!mems) {
    mems = [];
    walk(engineTop(cfg), mems, new Set());
    cache.set(key, mems);
  }
  return mems;
}
