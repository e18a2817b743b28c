/** Undriven signals, unconnected instance inputs, overlapping drivers and latches. */
import type { Diagnostic } from '../core/errors.ts';
import type { Signal } from '../core/expr.ts';
import { formatLoc } from '../core/loc.ts';
import type { ModuleBuilder, Stmt } from '../core/module.ts';
import { assignsOnEveryPath, pruneStmts, walkStmts } from '../core/stmt-tree.ts';

export function checkDrivers(m: ModuleBuilder): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (kind: Diagnostic['kind'], s: { loc: Diagnostic['loc'] }, message: string): void => {
    out.push({ severity: 'error', kind, loc: s.loc, message, module: m.name });
  };
  const assigned = new Set<Signal>();
  walkStmts(m.body, (s) => {
    if (s.kind === 'assign') assigned.add(s.target);
  });

  for (const s of m.signals) {
    if (s.kind === 'input' || s.kind === 'instOut' || s.kind === 'memRead') continue;
    if (!assigned.has(s)) {
      if (s.kind === 'instIn') {
        const [inst, port] = splitInstPort(m, s);
        err('unconnected-port', s, `input ${port} of instance ${inst} is not connected; drive it with .set() (use 0 for an input you do not need)`);
      } else if (s.kind === 'reg') {
        err('undriven', s, `register ${s.name} never gets a next value; set it, or use a constant if it never changes`);
      } else {
        err('undriven', s, `${s.kind === 'output' ? 'output' : 'wire'} ${s.name} (${s.type}) is never driven; give it a value with .set()`);
      }
      continue;
    }
    if (s.kind !== 'reg') {
      const tree = pruneStmts(m.body, (st) => st.kind === 'assign' && st.target === s);
      if (!assignsOnEveryPath(tree, s)) {
        const gap = firstGap(tree, s);
        err('latch', s, `${s.name} is not assigned on every path${gap ? ` (the when/switch at ${formatLoc(gap.loc)} can leave it unassigned)` : ''}, so it would hold its value in a latch; give it a default with ${s.name}.set(...) before the when, or add otherwise()/default()`);
      }
    }
  }
  for (const mem of m.memories) {
    if (mem.writeLocs.length === 0 && !mem.init) err('undriven', mem, `memory ${mem.name} is never written and has no initial contents; write it or pass { init }`);
  }
  out.push(...overlaps(m, m.body));
  return out;
}

function splitInstPort(m: ModuleBuilder, s: Signal): [string, string] {
  for (const inst of m.instances) {
    for (const [port, sig] of inst.connections) if (sig === s) return [`${inst.name} (module ${inst.def.name})`, port];
  }
  return ['?', s.name];
}

/** The first when/switch in a pruned tree that does not assign `s` on every path. */
function firstGap(tree: readonly Stmt[], s: Signal): Stmt | undefined {
  return tree.find((st) => st.kind !== 'assign' && !assignsOnEveryPath([st], s));
}

/**
 * Two drivers that overlap: an assignment that a later statement of the same block
 * overrides on every path is dead, which is almost always a mistake (SpinalHDL calls
 * it assignment overlap). `x.set(0); when(c, () => x.set(1))` is fine.
 */
function overlaps(m: ModuleBuilder, block: readonly Stmt[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  block.forEach((st, i) => {
    if (st.kind === 'assign') {
      const later = block.slice(i + 1);
      const killer = later.find((l) => assignsOnEveryPath([l], st.target));
      if (killer) {
        out.push({
          severity: 'error',
          kind: 'multiple-drivers',
          loc: killer.loc,
          module: m.name,
          message: `${st.target.name} has two drivers: this statement overrides, on every path, the assignment at ${formatLoc(st.loc)}; keep one, or guard one of them with when()`,
        });
      }
    } else if (st.kind === 'when') {
      for (const b of st.branches) out.push(...overlaps(m, b.body));
      if (st.otherwise) out.push(...overlaps(m, st.otherwise));
    } else if (st.kind === 'switch') {
      for (const c of st.cases) out.push(...overlaps(m, c.body));
      if (st.default) out.push(...overlaps(m, st.default));
    }
  });
  return out;
}
