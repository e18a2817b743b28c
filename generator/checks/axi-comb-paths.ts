/**
 * AXI's rule that an interface has no combinational path from its inputs to its
 * outputs (AMBA AXI, A3.1.1: "On Manager and Subordinate interfaces, there must be
 * no combinatorial paths between input and output signals"). A READY computed from
 * its own VALID, or one channel's ready steering another channel's, passes every
 * simulation against a registered memory model and deadlocks or loops combinationally
 * against an interconnect or memory that does the same from the other side.
 *
 * Checked on each module's typed AXI4 and AXI4-Lite interfaces, through instances
 * (their own input-to-output paths). AXI4-Stream has no such rule (its ready may
 * follow its valid), so streams are not checked.
 */
import type { Diagnostic } from '../core/errors.ts';
import type { Signal } from '../core/expr.ts';
import { formatLoc, type SourceLoc } from '../core/loc.ts';
import { describeInterfaces, type ModuleBuilder, type ModuleDef } from '../core/module.ts';
import { walkStmts } from '../core/stmt-tree.ts';
import { combDeps } from './comb-loops.ts';

const AXI_KINDS = new Set(['axi4', 'axilite']);

export function checkAxiCombPaths(def: ModuleDef, childPaths: (d: ModuleDef) => Map<string, Set<string>>): Diagnostic[] {
  const m = def.impl;
  if (!m) return [];
  const axi = describeInterfaces(def.io).filter((i) => AXI_KINDS.has(String(i.kind)));
  if (axi.length === 0) return [];
  const deps = combDeps(m, childPaths);
  const byName = new Map(m.ports.map((p) => [p.name, p]));
  const out: Diagnostic[] = [];
  for (const itf of axi) {
    const ports = Object.values(itf.ports as Record<string, string>).map((n) => byName.get(n)).filter((p): p is Signal => p !== undefined);
    const inputs = new Set(ports.filter((p) => p.kind === 'input'));
    for (const o of ports.filter((p) => p.kind === 'output')) {
      const chain = pathToAny(o, inputs, (s) => [...(deps.get(s) ?? [])]);
      if (!chain) continue;
      const text = chain.map((s) => `${s.name} (${formatLoc(s.loc)})`).join(' <- ');
      out.push({
        severity: 'error',
        kind: 'comb-path',
        loc: driverLoc(m, o) ?? o.loc,
        module: m.name,
        message: `${itf.kind} interface '${String(itf.name)}' has a combinational path from input ${chain[chain.length - 1]!.name} to output ${o.name} (AXI A3.1.1 allows none): ${text}; drive ${o.name} from registers, e.g. a skid or holding register on the channel`,
      });
    }
  }
  return out;
}

/** Where `s` is assigned first (the line to change), if it is assigned in this module. */
function driverLoc(m: ModuleBuilder, s: Signal): SourceLoc | undefined {
  let loc: SourceLoc | undefined;
  walkStmts(m.body, (st) => {
    if (!loc && st.kind === 'assign' && st.target === s) loc = st.loc;
  });
  return loc;
}

/** The shortest chain from `from` back through its dependencies to one of `targets` (breadth-first, stable order). */
function pathToAny(from: Signal, targets: Set<Signal>, next: (s: Signal) => Signal[]): Signal[] | undefined {
  const prev = new Map<Signal, Signal>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const s = queue.shift()!;
    for (const n of next(s).sort((a, b) => a.name.localeCompare(b.name))) {
      if (prev.has(n)) continue;
      prev.set(n, s);
      if (targets.has(n)) {
        const chain = [n];
        while (chain[0] !== from) chain.unshift(prev.get(chain[0]!)!);
        return chain;
      }
      queue.push(n);
    }
  }
  return undefined;
}

