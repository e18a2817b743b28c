/**
 * Combinational loops: a cycle of signals through assignments and when/switch
 * conditions, not broken by a register or a memory read. Paths through instances
 * use the child's own input->output combinational paths.
 */
import type { Diagnostic } from '../core/errors.ts';
import type { Signal } from '../core/expr.ts';
import { formatLoc } from '../core/loc.ts';
import type { ModuleBuilder, ModuleDef } from '../core/module.ts';
import { exprSignals, walkStmts } from '../core/stmt-tree.ts';

/** For each signal: the signals its current value depends on combinationally. */
export function combDeps(m: ModuleBuilder, childPaths: (d: ModuleDef) => Map<string, Set<string>>): Map<Signal, Set<Signal>> {
  const deps = new Map<Signal, Set<Signal>>();
  const add = (s: Signal): Set<Signal> => {
    let d = deps.get(s);
    if (!d) deps.set(s, (d = new Set()));
    return d;
  };
  walkStmts(m.body, (st, guards) => {
    if (st.kind !== 'assign' || st.target.kind === 'reg') return;
    const d = add(st.target);
    exprSignals(st.value, d);
    for (const g of guards) exprSignals(g, d);
  });
  for (const inst of m.instances) {
    const paths = childPaths(inst.def);
    for (const [outPort, inPorts] of paths) {
      const o = inst.connections.get(outPort);
      if (!o) continue;
      const d = add(o);
      for (const i of inPorts) {
        const sig = inst.connections.get(i);
        if (sig) d.add(sig);
      }
    }
  }
  return deps;
}

/** Output port -> input ports it reaches without a register (black boxes: none). */
export function combPortPaths(def: ModuleDef, cache: Map<ModuleDef, Map<string, Set<string>>>): Map<string, Set<string>> {
  const hit = cache.get(def);
  if (hit) return hit;
  const result = new Map<string, Set<string>>();
  cache.set(def, result);
  const m = def.impl;
  if (!m) return result;
  const deps = combDeps(m, (d) => combPortPaths(d, cache));
  for (const p of m.ports) {
    if (p.kind !== 'output') continue;
    const reached = new Set<string>();
    const seen = new Set<Signal>();
    const stack = [p];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (s.kind === 'input') reached.add(s.name);
      for (const d of deps.get(s) ?? []) stack.push(d);
    }
    result.set(p.name, reached);
  }
  return result;
}

/** One error per loop, naming each signal of the chain with its line. */
export function findCombLoops(m: ModuleBuilder, childPaths: (d: ModuleDef) => Map<string, Set<string>>): Diagnostic[] {
  const deps = combDeps(m, childPaths);
  const index = new Map(m.signals.map((s, i) => [s, i]));
  const out: Diagnostic[] = [];
  // Tarjan's strongly connected components, visiting in declaration order for stable output.
  let counter = 0;
  const idx = new Map<Signal, number>();
  const low = new Map<Signal, number>();
  const onStack = new Set<Signal>();
  const stack: Signal[] = [];
  const sccs: Signal[][] = [];
  const strong = (v: Signal): void => {
    idx.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of sortedDeps(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: Signal[] = [];
      let w: Signal;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || deps.get(v)?.has(v)) sccs.push(comp);
    }
  };
  const sortedDeps = (s: Signal): Signal[] => [...(deps.get(s) ?? [])].sort((a, b) => index.get(a)! - index.get(b)!);
  for (const s of m.signals) if (!idx.has(s)) strong(s);

  for (const comp of sccs) {
    const members = new Set(comp);
    const start = comp.reduce((a, b) => (index.get(a)! < index.get(b)! ? a : b));
    const chain = cycleFrom(start, members, sortedDeps);
    const text = [...chain, start].map((s) => `${s.name} (${formatLoc(s.loc)})`).join(' <- ');
    out.push({
      severity: 'error',
      kind: 'comb-loop',
      loc: start.loc,
      module: m.name,
      message: `combinational loop: ${text}; break it with a register (m.reg / m.regNext)`,
    });
  }
  return out;
}

/** A simple cycle from `start` back to itself inside one component (breadth-first, shortest). */
function cycleFrom(start: Signal, members: Set<Signal>, next: (s: Signal) => Signal[]): Signal[] {
  const prev = new Map<Signal, Signal>();
  const queue = [start];
  while (queue.length) {
    const s = queue.shift()!;
    for (const n of next(s)) {
      if (!members.has(n)) continue;
      if (n === start) {
        const chain = [s];
        while (chain[0] !== start) chain.unshift(prev.get(chain[0]!)!);
        return chain;
      }
      if (!prev.has(n)) {
        prev.set(n, s);
        queue.push(n);
      }
    }
  }
  return [start];
}
