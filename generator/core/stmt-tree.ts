/** Walking and pruning statement trees; shared by the checks and the Verilog back end. */
import type { Expr, Signal } from './expr.ts';
import type { Stmt } from './module.ts';

/** The statements of `stmts` that satisfy `keep`, with only the when/switch around them. */
export function pruneStmts(stmts: readonly Stmt[], keep: (s: Stmt) => boolean): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) {
    if (s.kind === 'when') {
      const branches = s.branches.map((b) => ({ ...b, body: pruneStmts(b.body, keep) }));
      const otherwise = s.otherwise ? pruneStmts(s.otherwise, keep) : undefined;
      // Trailing empty branches can go; earlier ones keep their priority.
      let last = branches.length - 1;
      if (!otherwise?.length) while (last >= 0 && branches[last]!.body.length === 0) last--;
      if (last < 0) continue;
      out.push({ ...s, branches: branches.slice(0, last + 1), otherwise: otherwise?.length ? otherwise : undefined });
    } else if (s.kind === 'switch') {
      const def = s.default ? pruneStmts(s.default, keep) : undefined;
      // With a non-empty default, an empty case must stay: dropping it would send its
      // values to the default.
      const cases = s.cases.map((c) => ({ ...c, body: pruneStmts(c.body, keep) })).filter((c) => c.body.length > 0 || def?.length);
      if (cases.length === 0 && !def?.length) continue;
      out.push({ ...s, cases, default: def?.length ? def : undefined });
    } else if (keep(s)) {
      out.push(s);
    }
  }
  return out;
}

/** Visit every statement, with the conditions (when conds, switch selectors) that guard it. */
export function walkStmts(stmts: readonly Stmt[], visit: (s: Stmt, guards: readonly Expr[]) => void, guards: readonly Expr[] = []): void {
  for (const s of stmts) {
    visit(s, guards);
    if (s.kind === 'when') {
      const seen: Expr[] = [];
      for (const b of s.branches) {
        seen.push(b.cond);
        walkStmts(b.body, visit, [...guards, ...seen]);
      }
      if (s.otherwise) walkStmts(s.otherwise, visit, [...guards, ...seen]);
    } else if (s.kind === 'switch') {
      for (const c of s.cases) walkStmts(c.body, visit, [...guards, s.sel]);
      if (s.default) walkStmts(s.default, visit, [...guards, s.sel]);
    }
  }
}

/** True when every path through `stmts` assigns `target` (so a combinational block makes no latch). */
export function assignsOnEveryPath(stmts: readonly Stmt[], target: Signal): boolean {
  for (const s of stmts) {
    if (s.kind === 'assign' && s.target === target) return true;
    if (s.kind === 'when' && s.otherwise && s.branches.every((b) => assignsOnEveryPath(b.body, target)) && assignsOnEveryPath(s.otherwise, target)) return true;
    if (s.kind === 'switch') {
      const covered = s.default ? assignsOnEveryPath(s.default, target) : s.cases.reduce((n, c) => n + c.values.length, 0) === 2 ** s.sel.width;
      if (covered && s.cases.every((c) => assignsOnEveryPath(c.body, target))) return true;
    }
  }
  return false;
}

/** Every signal read by an expression (each node visited once). */
export function exprSignals(e: Expr, out: Set<Signal>, seen = new Set<Expr>()): Set<Signal> {
  if (seen.has(e)) return out;
  seen.add(e);
  if (e.op === 'ref') out.add(e as Signal);
  for (const a of e.args) exprSignals(a, out, seen);
  return out;
}
