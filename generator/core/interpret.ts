/**
 * A cycle-based TypeScript interpreter of one module (no instances): the reference
 * for statement semantics — when/elsewhen/otherwise priority, last assignment wins,
 * switch, register enables and resets, synchronous memories. Same per-cycle timing
 * as sim/vectors: outputs of cycle i see the registers after i clock edges and the
 * inputs of cycle i.
 */
import { evaluate } from './eval.ts';
import type { Expr, Signal } from './expr.ts';
import type { Memory, MemReadPort, ModuleBuilder, Stmt } from './module.ts';
import { pruneStmts } from './stmt-tree.ts';

type Values = Map<Signal, bigint>;

export class ModuleInterpreter {
  private readonly state: Values = new Map();
  private readonly mems = new Map<string, bigint[]>();
  private readonly comb: { sig: Signal; tree: Stmt[] }[];
  private readonly seq: { sig: Signal; tree: Stmt[] }[];

  constructor(private readonly m: ModuleBuilder) {
    if (m.instances.length) throw new Error(`interpreter: module ${m.name} has instances; interpret leaf modules only`);
    const tree = (s: Signal): Stmt[] => pruneStmts(m.body, (st) => st.kind === 'assign' && st.target === s);
    this.comb = m.signals.filter((s) => s.kind === 'wire' || s.kind === 'output').map((sig) => ({ sig, tree: tree(sig) }));
    this.seq = m.regs.map((sig) => ({ sig, tree: tree(sig) }));
    this.reset();
  }

  /**
   * Power-up state: every register and read port 0 (Verilator's --x-initial fast),
   * memories at their initial contents. Follow with resetCycles() as the harness does.
   */
  reset(): void {
    for (const r of this.m.regs) this.state.set(r, 0n);
    for (const mem of this.m.memories) this.mems.set(mem.name, Array.from({ length: mem.depth }, (_, i) => mem.init?.[i] ?? 0n));
    for (const s of this.m.signals) if (s.kind === 'memRead') this.state.set(s, 0n);
  }

  /**
   * Clock edges with the synchronous reset active and every input 0 (as sim/vectors
   * does before cycle 0): registers with a reset value load it; registers without one,
   * memories and read ports keep working, as they do in the emitted Verilog.
   */
  resetCycles(n: number): void {
    for (let i = 0; i < n; i++) {
      const values: Values = new Map(this.state);
      for (const p of this.m.ports) if (p.kind === 'input') values.set(p, 0n);
      this.settle(values);
      this.edge(values, true);
    }
  }

  /** Apply inputs, settle, return the outputs, then take the clock edge. */
  cycle(inputs: Record<string, bigint>): Record<string, bigint> {
    const values: Values = new Map(this.state);
    for (const p of this.m.ports) if (p.kind === 'input') values.set(p, BigInt.asUintN(p.width, inputs[p.name] ?? 0n));
    this.settle(values);
    const outputs: Record<string, bigint> = {};
    for (const p of this.m.ports) if (p.kind === 'output') outputs[p.name] = values.get(p)!;
    this.edge(values);
    return outputs;
  }

  /** Combinational signals in declaration order, repeated until nothing changes (no loops: the checks forbid them). */
  private settle(values: Values): void {
    for (const { sig } of this.comb) values.set(sig, 0n);
    for (let round = 0; round <= this.comb.length; round++) {
      let changed = false;
      for (const { sig, tree } of this.comb) {
        const v = this.run(tree, sig, values, values.get(sig)!);
        if (v !== values.get(sig)) {
          values.set(sig, v);
          changed = true;
        }
      }
      if (!changed) return;
    }
    throw new Error(`interpreter: module ${this.m.name} does not settle (combinational loop?)`);
  }

  private edge(values: Values, inReset = false): void {
    const next: Values = new Map();
    for (const { sig, tree } of this.seq) {
      if (inReset && sig.resetValue !== undefined) {
        next.set(sig, BigInt.asUintN(sig.width, sig.resetValue));
        continue;
      }
      const en = this.m.regEnables.get(sig);
      const enabled = en === undefined || this.eval(en, values) !== 0n;
      next.set(sig, enabled ? this.run(tree, sig, values, values.get(sig)!) : values.get(sig)!);
    }
    // Memory ports: reads see the old contents (read-first), then writes land. A memory whose
    // read-under-write is undefined returns the poisoned word the emitted Verilog simulates.
    const reads: { port: MemReadPort; addr: bigint }[] = [];
    const writes: { mem: Memory; addr: bigint; data: bigint }[] = [];
    this.walkActive(this.m.body, values, (st) => {
      if (st.kind === 'memRead') reads.push({ port: st.port, addr: this.eval(st.port.addr, values) });
      else if (st.kind === 'memWrite') writes.push({ mem: st.mem, addr: this.eval(st.addr, values), data: this.eval(st.data, values) });
    });
    for (const { port, addr } of reads) {
      const old = this.mems.get(port.mem.name)![Number(addr)] ?? 0n;
      const hit = port.mem.readUnderWrite === 'undefined' && writes.some((w) => w.mem === port.mem && w.addr === addr);
      next.set(port.data, hit ? BigInt.asUintN(port.data.width, ~old) : old);
    }
    for (const { mem, addr, data } of writes) {
      const words = this.mems.get(mem.name)!;
      if (addr < BigInt(words.length)) words[Number(addr)] = data;
    }
    for (const [s, v] of next) this.state.set(s, v);
  }

  private eval(e: Expr, values: Values): bigint {
    return evaluate(e, (s) => values.get(s) ?? 0n);
  }

  /** The value `target` ends up with after the statements, starting from `start` (last assignment wins). */
  private run(stmts: readonly Stmt[], target: Signal, values: Values, start: bigint): bigint {
    let v = start;
    this.walkActive(stmts, values, (st) => {
      if (st.kind === 'assign' && st.target === target) v = this.eval(st.value, values);
    });
    return v;
  }

  /** Visit, in order, the statements on the path the current values select. */
  private walkActive(stmts: readonly Stmt[], values: Values, visit: (s: Stmt) => void): void {
    for (const st of stmts) {
      if (st.kind === 'when') {
        const taken = st.branches.find((b) => this.eval(b.cond, values) !== 0n);
        const body = taken ? taken.body : st.otherwise;
        if (body) this.walkActive(body, values, visit);
      } else if (st.kind === 'switch') {
        const sel = this.eval(st.sel, values);
        const hit = st.cases.find((c) => c.values.some((x) => this.eval(x, values) === sel));
        const body = hit ? hit.body : st.default;
        if (body) this.walkActive(body, values, visit);
      } else {
        visit(st);
      }
    }
  }
}
