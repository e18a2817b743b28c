/**
 * Formal properties of a module: assertions, assumptions and cover goals. They
 * are recorded with the user's TypeScript line and never reach the design's
 * Verilog; the back end emits them into a separate formal wrapper
 * (generator/backend/formal.ts) that the `sparsegrad formal` command proves.
 *
 * Every property is clocked: it is checked at the clock edge, in cycles where
 * the module is not in reset.
 */
import { designError } from './errors.ts';
import type { Expr, Signal } from './expr.ts';
import { exprSignals } from './stmt-tree.ts';
import type { SourceLoc } from './loc.ts';

export type PropertyKind = 'assert' | 'assume' | 'cover';

export interface FormalProperty {
  readonly kind: PropertyKind;
  /** Must hold (assert/assume) or be reachable (cover); 1 bit. */
  readonly cond: Expr;
  readonly message: string;
  readonly loc: SourceLoc;
  /**
   * When set, `cond` is checked in the cycle after one where `after` held
   * (both cycles out of reset). `stable` values must equal what they were in
   * that earlier cycle, in addition to `cond`.
   */
  readonly after?: Expr;
  readonly stable?: readonly Expr[];
}

/** What a property needs from the module that records it (kept narrow: no import cycle). */
export interface PropertyOwner {
  readonly name: string;
  readonly properties: FormalProperty[];
}

/** Check one property at the line that states it, then record it. */
export function recordProperty(m: PropertyOwner, p: FormalProperty, nested: boolean): void {
  const what = `m.${p.kind}()`;
  if (nested) designError('structure', p.loc, `${what} inside when()/switch(): state it at the module's top level and put the guard in the condition, e.g. guard.not().or(cond)`);
  if (typeof p.message !== 'string' || p.message.trim() === '') designError('structure', p.loc, `${what} needs a message saying what must hold`);
  for (const [e, role] of [[p.cond, 'condition'], ...(p.after ? [[p.after, 'trigger']] : [])] as [Expr, string][]) {
    if (e.width !== 1) designError('width', p.loc, `${what} ${role} must be 1 bit wide, got ${e.type}; compare it, e.g. x.ne(0)`);
  }
  for (const e of [p.cond, p.after, ...(p.stable ?? [])]) {
    if (e?.owner && e.owner.name !== m.name) designError('structure', p.loc, `${what} reads signals of module ${e.owner.name}; state properties in the module that owns the signals`);
  }
  // An assumption is a promise of the neighbours, checked as an assertion in the parent's proof
  // (generator/backend/formal.ts); the parent sees only the ports, so that is all it may read.
  if (p.kind === 'assume') {
    const inner = new Set<Signal>();
    for (const e of [p.cond, p.after, ...(p.stable ?? [])]) if (e) exprSignals(e, inner);
    const hidden = [...inner].find((s) => s.kind !== 'input' && s.kind !== 'output');
    if (hidden) designError('structure', p.loc, `m.assume() reads ${hidden.name}, which is inside ${m.name}: an assumption is what the neighbours promise, and the parent proves it over the ports it connects; state it over ports (e.g. an output that says the same)`);
  }
  m.properties.push(p);
}
