/**
 * Unused signals and unused bits (warnings). Bit-level, like Verilator's UNUSED,
 * so a design clean here is clean under `verilator --lint-only -Wall`.
 */
import type { Diagnostic } from '../core/errors.ts';
import type { Expr, Signal } from '../core/expr.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { walkStmts } from '../core/stmt-tree.ts';
import { knownValue } from '../core/value-range.ts';

export function checkUnused(m: ModuleBuilder): Diagnostic[] {
  const used = new Map<Signal, boolean[]>();
  const seen = new Set<Expr>();
  const mark = (s: Signal, hi: number, lo: number): void => {
    let u = used.get(s);
    if (!u) used.set(s, (u = new Array<boolean>(s.width).fill(false)));
    for (let i = lo; i <= hi; i++) u[i] = true;
  };
  const visit = (e: Expr): void => {
    if (e.op === 'slice' && e.args[0]!.op === 'ref') {
      mark(e.args[0] as Signal, e.param.hi!, e.param.lo!);
      return;
    }
    if (seen.has(e)) return;
    seen.add(e);
    // The back end emits a value its structure fixes as a constant, reading nothing.
    if (e.op !== 'const' && knownValue(e) !== undefined) return;
    if (e.op === 'ref') mark(e as Signal, e.width - 1, 0);
    for (const a of e.args) visit(a);
  };
  walkStmts(m.body, (st) => {
    if (st.kind === 'assign') visit(st.value);
    else if (st.kind === 'when') st.branches.forEach((b) => visit(b.cond));
    else if (st.kind === 'switch') {
      visit(st.sel);
      st.cases.forEach((c) => c.values.forEach(visit));
    } else if (st.kind === 'memWrite') {
      visit(st.addr);
      visit(st.data);
    } else visit(st.port.addr);
  });
  for (const en of m.regEnables.values()) visit(en);
  for (const e of m.sinks) visit(e);

  const out: Diagnostic[] = [];
  for (const s of m.signals) {
    if (s.kind === 'output' || s.kind === 'instIn') continue;
    const u = used.get(s);
    const what = s.kind === 'input' ? 'input' : s.kind === 'reg' ? 'register' : s.kind === 'instOut' ? 'instance output' : s.kind === 'memRead' ? 'memory read data' : 'wire';
    if (!u) {
      out.push({ severity: 'warning', kind: 'unused', loc: s.loc, module: m.name, message: `${what} ${s.name} is never read; remove it, or pass it to m.unused() if that is intended` });
      continue;
    }
    const ranges = unusedRanges(u);
    if (ranges.length) {
      out.push({ severity: 'warning', kind: 'unused', loc: s.loc, module: m.name, message: `bits ${ranges.join(', ')} of ${what} ${s.name} are never read; narrow it, or pass them to m.unused()` });
    }
  }
  for (const mem of m.memories) {
    if (mem.readPorts.length === 0) out.push({ severity: 'warning', kind: 'unused', loc: mem.loc, module: m.name, message: `memory ${mem.name} is never read` });
  }
  return out;
}

function unusedRanges(used: boolean[]): string[] {
  const out: string[] = [];
  for (let i = used.length - 1; i >= 0; i--) {
    if (used[i]) continue;
    let j = i;
    while (j - 1 >= 0 && !used[j - 1]) j--;
    out.push(i === j ? `[${i}]` : `[${i}:${j}]`);
    i = j;
  }
  return out;
}
