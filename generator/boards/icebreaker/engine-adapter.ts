/**
 * The one place the board knows the engine's DSL top: it instantiates it and hands
 * out its ports by their emitted names (the engine contract's port names, which
 * stay fixed however the engine's io is typed), so the board never depends on the
 * shape of the engine's io object.
 */
import type { ModuleBuilder, Signal } from '../../index.ts';
import type { EngineConfig } from '../../../engine/config.ts';
import { engineTop } from '../../designs/index.ts';

export interface EnginePorts {
  /** The parent-side signal of the engine port named `port` (e.g. `s_axis_grad_tvalid`). */
  (port: string): Signal;
  topName: string;
}

export function instantiateEngine(m: ModuleBuilder, name: string, cfg: EngineConfig): EnginePorts {
  const def = engineTop(cfg);
  m.instance(name, def);
  const inst = m.instances[m.instances.length - 1]!;
  const port = ((p: string): Signal => {
    const s = inst.connections.get(p);
    if (!s) throw new Error(`the engine ${def.name} has no port ${p}; its ports are ${[...inst.connections.keys()].join(', ')}`);
    return s;
  }) as EnginePorts;
  port.topName = def.name;
  return port;
}
