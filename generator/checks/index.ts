/**
 * Design checks run before emission. Construction already rejects width and type
 * mistakes at the offending line; these find what needs the whole module:
 * undriven signals, unconnected ports, overlapping drivers, latches, combinational
 * loops (across instances too), combinational paths through an AXI interface
 * (AXI A3.1.1) and unused signals (a warning).
 */
import type { Diagnostic } from '../core/errors.ts';
import type { ModuleDef } from '../core/module.ts';
import { checkAxiCombPaths } from './axi-comb-paths.ts';
import { combPortPaths, findCombLoops } from './comb-loops.ts';
import { checkDrivers } from './drivers.ts';
import { checkUnused } from './unused.ts';

export interface CheckResult {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Check `top` and every module below it (each distinct module once). */
export function checkDesign(top: ModuleDef): CheckResult {
  const all: Diagnostic[] = [];
  const seen = new Set<ModuleDef>();
  const pathsCache = new Map<ModuleDef, Map<string, Set<string>>>();
  const visit = (def: ModuleDef): void => {
    if (seen.has(def) || !def.impl) return;
    seen.add(def);
    for (const inst of def.impl.instances) visit(inst.def);
    all.push(...checkDrivers(def.impl));
    all.push(...findCombLoops(def.impl, (d) => combPortPaths(d, pathsCache)));
    all.push(...checkAxiCombPaths(def, (d) => combPortPaths(d, pathsCache)));
    all.push(...checkUnused(def.impl));
    all.push(...def.impl.constructionWarnings);
  };
  visit(top);
  return { errors: all.filter((d) => d.severity === 'error'), warnings: all.filter((d) => d.severity === 'warning') };
}
