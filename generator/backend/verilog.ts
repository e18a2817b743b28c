/**
 * Verilog-2005 back end. Every emitted expression is self-determined at exactly its
 * IR width (operands are extended explicitly), so Verilator -Wall finds no width
 * surprises and the result does not depend on a reader knowing Verilog's sizing rules.
 * Declarations, always blocks, statements and instances carry `(* src = "file.ts:line.col" *)`.
 */
import { Expr, Signal } from '../core/expr.ts';
import { srcAttr, type SourceLoc } from '../core/loc.ts';
import type { Instance, Memory, ModuleDef, Stmt } from '../core/module.ts';
import { pruneStmts, walkStmts } from '../core/stmt-tree.ts';
import { blackBoxOf } from '../core/blackbox.ts';
import { knownValue } from '../core/value-range.ts';

export interface ClockNeeds {
  clock: boolean;
  reset: boolean;
}

/** Whether a module (and its children) needs the clock and the reset. */
export function clockNeeds(def: ModuleDef, cache = new Map<ModuleDef, ClockNeeds>()): ClockNeeds {
  const hit = cache.get(def);
  if (hit) return hit;
  const m = def.impl;
  const needs: ClockNeeds = { clock: false, reset: false };
  const bb = blackBoxOf(def);
  if (bb) {
    needs.clock = bb.clock !== undefined;
    needs.reset = bb.reset !== undefined;
  }
  if (m) {
    needs.clock = m.regs.length > 0 || m.memories.length > 0;
    needs.reset = m.regs.some((r) => r.resetValue !== undefined);
    for (const inst of m.instances) {
      const c = clockNeeds(inst.def, cache);
      needs.clock ||= c.clock;
      needs.reset ||= c.reset;
    }
  }
  cache.set(def, needs);
  return needs;
}

/** SInt ports are declared `signed` (readers of the header keep the sign); every other signal is a plain vector. */
const isSignedPort = (e: Expr): boolean => e instanceof Signal && e.type.signed && (e.kind === 'input' || e.kind === 'output');

const attr = (loc: SourceLoc): string => `(* src = "${srcAttr(loc)}" *)`;
const range = (w: number): string => (w === 1 ? '' : `[${w - 1}:0] `);

export function verilogConst(value: bigint, width: number): string {
  const v = value < 0n ? (1n << BigInt(width)) + value : value;
  if (width === 1) return `1'b${v}`;
  return v < 1024n ? `${width}'d${v}` : `${width}'h${v.toString(16).toUpperCase()}`;
}

/** Emits expressions of one module, spilling to `_GEN_n` wires what Verilog cannot index. */
export class ExprEmitter {
  readonly spillDecls: string[] = [];
  private readonly spills = new Map<Expr, string>();
  /** Bits of spill wires actually read, so the rest can be sunk explicitly. */
  private readonly spillUse = new Map<string, { width: number; used: boolean[] }>();
  private n = 0;

  /**
   * `shared`: nodes read more than once, computed once in a spill wire instead of twice inline.
   * `nameOf`: the name a signal has where the text goes (a parent's formal wrapper names a child's
   * ports by the signals connected to them). `spillPrefix` keeps two emitters' spill wires apart.
   */
  constructor(
    private readonly shared: ReadonlySet<Expr> = new Set(),
    private readonly nameOf: (s: Signal) => string = (s) => s.name,
    private readonly spillPrefix = '_GEN_',
  ) {}

  emit(e: Expr): string {
    if ((this.shared.has(e) || this.spills.has(e)) && !this.defining.has(e)) return this.name(e);
    return this.emitInline(e);
  }

  private readonly defining = new Set<Expr>();

  private emitInline(e: Expr): string {
    // A value its structure fixes (e.g. `&{4'd0, x}`, or a comparison with such a value,
    // warned about where it was built) is emitted as that constant: Verilator folds it
    // anyway, and fails -Wall on a comparison that became constant (UNSIGNED, CMPCONST).
    // The unused check reads nothing through it either, so the two agree.
    const known = e.op === 'const' ? undefined : knownValue(e);
    if (known !== undefined) return verilogConst(known, e.width);
    const a = e.args;
    switch (e.op) {
      case 'ref': return this.nameOf(e as Signal);
      case 'const': return verilogConst(e.param.value!, e.width);
      case 'not': return `(~${this.emit(a[0]!)})`;
      case 'neg': return `(-${this.ext(a[0]!, e.width)})`;
      case 'orR': return `(|${this.emit(a[0]!)})`;
      case 'andR': return `(&${this.emit(a[0]!)})`;
      case 'xorR': return `(^${this.emit(a[0]!)})`;
      case 'add': return `(${this.ext(a[0]!, e.width)} + ${this.ext(a[1]!, e.width)})`;
      case 'sub': return `(${this.ext(a[0]!, e.width)} - ${this.ext(a[1]!, e.width)})`;
      case 'mul': return e.type.signed
        ? `($signed(${this.ext(a[0]!, e.width)}) * $signed(${this.ext(a[1]!, e.width)}))`
        : `(${this.ext(a[0]!, e.width)} * ${this.ext(a[1]!, e.width)})`;
      case 'and': return `(${this.ext(a[0]!, e.width)} & ${this.ext(a[1]!, e.width)})`;
      case 'or': return `(${this.ext(a[0]!, e.width)} | ${this.ext(a[1]!, e.width)})`;
      case 'xor': return `(${this.ext(a[0]!, e.width)} ^ ${this.ext(a[1]!, e.width)})`;
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
        const w = Math.max(a[0]!.width, a[1]!.width);
        const sym = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[e.op];
        const l = this.ext(a[0]!, w);
        const r = this.ext(a[1]!, w);
        return a[0]!.type.signed && e.op !== 'eq' && e.op !== 'ne' ? `($signed(${l}) ${sym} $signed(${r}))` : `(${l} ${sym} ${r})`;
      }
      case 'shlDyn': return `(${this.emit(a[0]!)} << ${this.emit(a[1]!)})`;
      // The braces make the shift self-determined: in an unsigned context (any unsigned
      // operand around it), Verilog would otherwise turn >>> into a logical shift.
      case 'shrDyn': return a[0]!.type.signed
        ? `{$signed(${this.emit(a[0]!)}) >>> ${this.emit(a[1]!)}}`
        : `(${this.emit(a[0]!)} >> ${this.emit(a[1]!)})`;
      case 'slice': return this.slice(a[0]!, e.param.hi!, e.param.lo!);
      case 'concat': return `{${a.map((x) => this.emit(x)).join(', ')}}`;
      case 'mux': return `(${this.emit(a[0]!)} ? ${this.ext(a[1]!, e.width)} : ${this.ext(a[2]!, e.width)})`;
      case 'extend': return this.ext(a[0]!, e.width);
      // A port declared signed read as unsigned must say so: a signed operand on each
      // side would turn a relational compare signed.
      case 'cast': return e.type.kind !== 'sint' && isSignedPort(a[0]!) ? `$unsigned(${this.emit(a[0]!)})` : this.emit(a[0]!);
    }
  }

  /** `e` zero- or sign-extended (by its own signedness) to `width` bits. */
  ext(e: Expr, width: number): string {
    const k = width - e.width;
    if (k === 0) return this.emit(e);
    if (e.op === 'const') return verilogConst(e.param.value!, width);
    if (!e.type.signed) return `{${verilogConst(0n, k)}, ${this.emit(e)}}`;
    const sign = this.signBit(e);
    const body = this.emit(e);
    if (sign === "1'b0") return `{${verilogConst(0n, k)}, ${body}}`;
    return k === 1 ? `{${sign}, ${body}}` : `{{${k}{${sign}}}, ${body}}`;
  }

  /** The most significant bit of `e`, found without a spill wire where the structure shows it. */
  private signBit(e: Expr): string {
    // Structural sign bits are plain bit references, cheaper than naming the whole value.
    if (e.op === 'const') return verilogConst((e.param.value! >> BigInt(e.width - 1)) & 1n, 1);
    if (e.op === 'cast' || e.op === 'concat') return this.signBit(e.args[0]!);
    if (e.op === 'slice' && e.args[0]!.op === 'ref') return this.slice(e.args[0]!, e.param.hi!, e.param.hi!);
    if (e.op === 'extend') return e.args[0]!.type.signed ? this.signBit(e.args[0]!) : "1'b0";
    if (e.width === 1) return this.emit(e);
    const name = this.name(e, e.width - 1, e.width - 1);
    return `${name}[${e.width - 1}]`;
  }

  /** `e` extended or truncated (low bits kept) to `width`. */
  private fit(e: Expr, width: number): string {
    return e.width >= width ? this.low(e, width) : this.ext(e, width);
  }

  /**
   * The low `w` bits of `e` without a spill wire where the operator allows it
   * (carries and products only flow upwards), so truncations cost no extra wire.
   */
  private low(e: Expr, w: number): string {
    if (w === e.width) return this.emit(e);
    if (this.shared.has(e)) return this.slice(e, w - 1, 0);
    const a = e.args;
    switch (e.op) {
      case 'const': return verilogConst(e.param.value! & ((1n << BigInt(w)) - 1n), w);
      case 'add': case 'sub': case 'and': case 'or': case 'xor': {
        const sym = { add: '+', sub: '-', and: '&', or: '|', xor: '^' }[e.op];
        return `(${this.fit(a[0]!, w)} ${sym} ${this.fit(a[1]!, w)})`;
      }
      case 'mul': return `(${this.fit(a[0]!, w)} * ${this.fit(a[1]!, w)})`;
      case 'not': return `(~${this.low(a[0]!, w)})`;
      case 'mux': return `(${this.emit(a[0]!)} ? ${this.fit(a[1]!, w)} : ${this.fit(a[2]!, w)})`;
      case 'extend': return this.fit(a[0]!, w);
      case 'cast': return this.low(a[0]!, w);
      case 'shlDyn': return `(${this.low(a[0]!, w)} << ${this.emit(a[1]!)})`;
      case 'slice': return this.slice(a[0]!, e.param.lo! + w - 1, e.param.lo!);
      case 'concat': {
        const parts: string[] = [];
        let need = w;
        for (let i = a.length - 1; i >= 0 && need > 0; i--) {
          const p = a[i]!;
          parts.unshift(p.width <= need ? this.emit(p) : this.low(p, need));
          need -= Math.min(need, p.width);
        }
        return parts.length === 1 ? parts[0]! : `{${parts.join(', ')}}`;
      }
      default: {
        const name = this.name(e, w - 1, 0);
        return w === 1 ? `${name}[0]` : `${name}[${w - 1}:0]`;
      }
    }
  }

  private slice(e: Expr, hi: number, lo: number): string {
    if (e.width === 1) return this.emit(e);
    if (lo === 0 && e.op !== 'ref' && !this.shared.has(e)) return this.low(e, hi + 1);
    const name = this.name(e, hi, lo);
    return hi === lo ? `${name}[${hi}]` : `${name}[${hi}:${lo}]`;
  }

  /** An identifier holding `e` (the signal itself, or a spill wire). */
  private name(e: Expr, hi = e.width - 1, lo = 0): string {
    if (e.op === 'ref') return this.nameOf(e as Signal);
    let name = this.spills.get(e);
    if (!name) {
      this.defining.add(e);
      const text = this.emitInline(e);
      this.defining.delete(e);
      name = `${this.spillPrefix}${this.n++}`;
      this.spills.set(e, name);
      this.spillUse.set(name, { width: e.width, used: new Array<boolean>(e.width).fill(false) });
      this.spillDecls.push(`  ${attr(e.loc)}\n  wire ${range(e.width)}${name};\n  assign ${name} = ${text};`);
    }
    this.markUsed(name, hi, lo);
    return name;
  }

  private markUsed(name: string, hi: number, lo: number): void {
    const u = this.spillUse.get(name);
    if (u) for (let i = lo; i <= hi; i++) u.used[i] = true;
  }

  /** Selects of spill bits nobody reads (e.g. the fraction bits dropped after a product). */
  unusedSpillBits(): string[] {
    const out: string[] = [];
    for (const [name, u] of this.spillUse) {
      let i = 0;
      while (i < u.width) {
        if (u.used[i]) { i++; continue; }
        let j = i;
        while (j + 1 < u.width && !u.used[j + 1]) j++;
        out.push(u.width === 1 ? name : i === j ? `${name}[${i}]` : `${name}[${j}:${i}]`);
        i = j + 1;
      }
    }
    return out;
  }
}

interface EmitContext {
  readonly isTop: boolean;
  readonly nameOf: (def: ModuleDef) => string;
  readonly needs: (def: ModuleDef) => ClockNeeds;
}

/** The Verilog text of one module. */
export function emitModule(def: ModuleDef, moduleName: string, ctx: EmitContext): string {
  const m = def.impl;
  if (!m) throw new Error(`emitModule called on black box ${def.name}`);
  const x = new ExprEmitter(sharedNodes(m));
  const needs = ctx.needs(def);
  const clk = ctx.isTop ? 'aclk' : 'clk';

  const alwaysDriven = new Set<Signal>();
  const combBlocks: string[] = [];
  const seqBlocks: string[] = [];

  // Combinational signals: a plain assign when driven once unconditionally, else always @*.
  for (const s of m.signals) {
    if (s.kind === 'reg' || s.kind === 'input' || s.kind === 'instOut' || s.kind === 'memRead') continue;
    const tree = pruneStmts(m.body, (st) => st.kind === 'assign' && st.target === s);
    if (tree.length === 0) continue;
    const only = tree[0]!;
    if (tree.length === 1 && only.kind === 'assign') {
      combBlocks.push(`  assign ${s.name} = ${x.emit(only.value)};  // ${srcAttr(only.loc)}`);
    } else {
      alwaysDriven.add(s);
      combBlocks.push(`  ${attr(s.loc)}\n  always @* begin\n${printStmts(tree, x, '    ', '=')}  end`);
    }
  }
  // Registers: one clocked block each, synchronous active-high reset first.
  for (const r of m.regs) {
    const tree = pruneStmts(m.body, (st) => st.kind === 'assign' && st.target === r);
    const en = m.regEnables.get(r);
    let body = printStmts(tree, x, en ? '        ' : '      ', '<=');
    if (en) body = `      if (${x.emit(en)}) begin\n${body}      end\n`;
    const reset = r.resetValue !== undefined ? `      ${r.name} <= ${verilogConst(r.resetValue, r.width)};\n` : '';
    const block = reset
      ? `    if (rst) begin\n${reset}    end else begin\n${body}    end\n`
      : body.replace(/^ {2}/gm, '');
    seqBlocks.push(`  ${attr(r.loc)}\n  always @(posedge ${clk}) begin\n${block}  end`);
  }
  // Memories: a write block and a registered read block per port (block-RAM inference form).
  for (const mem of m.memories) {
    const writes = pruneStmts(m.body, (st) => st.kind === 'memWrite' && st.mem === mem);
    if (writes.length) seqBlocks.push(`  ${attr(mem.loc)}\n  always @(posedge ${clk}) begin\n${printStmts(writes, x, '    ', '<=')}  end`);
    if (writes.length && mem.readUnderWrite === 'undefined') seqBlocks.push(simWriteShadow(mem, writes, x));
    for (const port of mem.readPorts) {
      const reads = pruneStmts(m.body, (st) => st.kind === 'memRead' && st.port === port);
      seqBlocks.push(`  ${attr(port.loc)}\n  always @(posedge ${clk}) begin\n${printStmts(reads, x, '    ', '<=')}  end`);
    }
  }
  const instances = m.instances.map((inst) => printInstance(inst, ctx, clk));

  // Declarations come last in construction but first in the file.
  const portDecls: string[] = [];
  if (needs.clock) portDecls.push(`  input wire ${clk}`);
  if (needs.reset) portDecls.push(`  input wire ${ctx.isTop ? 'aresetn' : 'rst'}`);
  for (const p of m.ports) {
    const kind = p.kind === 'input' ? 'input wire' : alwaysDriven.has(p) ? 'output reg' : 'output wire';
    portDecls.push(`  ${attr(p.loc)} ${kind} ${p.type.signed ? 'signed ' : ''}${range(p.width)}${p.name}`);
  }
  const decls: string[] = [];
  if (ctx.isTop && needs.reset) decls.push('  // AXI reset is active low; inside, reset is synchronous and active high.\n  wire rst;\n  assign rst = ~aresetn;');
  for (const s of m.signals) {
    if (s.kind === 'input' || s.kind === 'output') continue;
    const kw = s.kind === 'reg' || s.kind === 'memRead' || alwaysDriven.has(s) ? 'reg' : 'wire';
    decls.push(`  ${attr(s.loc)}\n  ${kw} ${range(s.width)}${s.name};`);
  }
  for (const mem of m.memories) {
    // no_rw_check (Yosys) and rw_addr_collision (Vivado): map to a bare block RAM, no read-first bypass.
    const ruw = mem.readUnderWrite === 'undefined' ? '\n  (* no_rw_check, rw_addr_collision = "no" *)' : '';
    decls.push(`  ${attr(mem.loc)}${ruw}\n  reg ${range(mem.type.width)}${mem.name} [0:${mem.depth - 1}];`);
    if (mem.init) {
      const lines = mem.init.map((v, i) => `    ${mem.name}[${i}] = ${verilogConst(v, mem.type.width)};`);
      decls.push(`  initial begin\n${lines.join('\n')}\n  end`);
    }
  }
  const sinkDecl: string[] = [];
  const sink = [...m.sinks.map((e) => x.emit(e)), ...x.unusedSpillBits()];
  if (sink.length) {
    // Verilator's documented convention: signals named *unused* collect bits dropped on purpose.
    sinkDecl.push(`  // Bits the design drops on purpose (e.g. fraction bits below a rounding point).\n  wire _unused_bits;\n  assign _unused_bits = ^{${sink.join(', ')}};`);
  }

  const header = [
    `// Module ${moduleName}: generated by sparsegrad generator from ${srcAttr(def.loc)}.`,
    '// Do not edit; change the TypeScript and run `sparsegrad generate`.',
    Object.keys(def.params).length
      ? `// Parameters: ${Object.entries(def.params).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(', ')}`
      : undefined,
  ].filter(Boolean).join('\n');
  const sections = [decls, x.spillDecls, sinkDecl, combBlocks, seqBlocks, instances].filter((s) => s.length).map((s) => s.join('\n'));
  return `${header}\n${attr(def.loc)}\nmodule ${moduleName} (\n${portDecls.join(',\n')}\n);\n${sections.join('\n\n')}\nendmodule\n`;
}

/** Operator nodes read from more than one place in the module. */
function sharedNodes(m: NonNullable<ModuleDef['impl']>): Set<Expr> {
  const uses = new Map<Expr, number>();
  const shared = new Set<Expr>();
  const visit = (e: Expr): void => {
    const n = (uses.get(e) ?? 0) + 1;
    uses.set(e, n);
    if (n > 1) {
      if (e.op !== 'ref' && e.op !== 'const' && e.op !== 'cast' && e.op !== 'slice') shared.add(e);
      return;
    }
    for (const a of e.args) visit(a);
  };
  walkStmts(m.body, (st) => {
    if (st.kind === 'assign') visit(st.value);
    else if (st.kind === 'when') st.branches.forEach((b) => visit(b.cond));
    else if (st.kind === 'switch') visit(st.sel);
    else if (st.kind === 'memWrite') {
      visit(st.addr);
      visit(st.data);
    } else visit(st.port.addr);
  });
  for (const en of m.regEnables.values()) visit(en);
  for (const e of m.sinks) visit(e);
  return shared;
}

/** Simulation-only signals telling which address each write statement of `mem` takes this cycle. */
function simWriteNames(mem: Memory): { we: string; wa: string }[] {
  return mem.writeLocs.map((_, i) => ({ we: `${mem.name}__sim_we${i}`, wa: `${mem.name}__sim_wa${i}` }));
}

/** Simulation-only: some write of `mem` hits `addr` this cycle. */
function simWriteHit(mem: Memory, addr: string): string {
  return simWriteNames(mem).map((w) => `(${w.we} && ${w.wa} == ${addr})`).join(' || ');
}

/**
 * For a read-under-write-undefined memory: which address (if any) each write
 * statement takes this cycle, from the same when-tree as the write block.
 */
function simWriteShadow(mem: Memory, writes: readonly Stmt[], x: ExprEmitter): string {
  const names = simWriteNames(mem);
  const aw = mem.addrWidth;
  let next = 0;
  const body = printStmts(writes, x, '    ', '=', (s) => {
    if (s.kind !== 'memWrite') return undefined;
    const w = names[next++]!;
    return `${w.we} = 1'b1;\n${w.wa} = ${x.emit(s.addr)};`;
  });
  const decls = names.flatMap((w) => [`  reg ${w.we};`, `  reg ${range(aw)}${w.wa};`]);
  const defaults = names.flatMap((w) => [`    ${w.we} = 1'b0;`, `    ${w.wa} = ${verilogConst(0n, aw)};`]);
  return ['`ifndef SYNTHESIS', ...decls, '  always @* begin', ...defaults, `${body}  end`, '`endif'].join('\n');
}

function printStmts(stmts: readonly Stmt[], x: ExprEmitter, ind: string, op: '=' | '<=', leaf?: (s: Stmt) => string | undefined): string {
  let out = '';
  for (const s of stmts) {
    const custom = leaf?.(s);
    if (custom !== undefined) {
      out += custom.split('\n').map((l) => `${ind}${l}\n`).join('');
      continue;
    }
    switch (s.kind) {
      case 'assign':
        out += `${ind}${attr(s.loc)} ${s.target.name} ${op} ${x.emit(s.value)};\n`;
        break;
      case 'memWrite':
        out += `${ind}${attr(s.loc)} ${s.mem.name}[${x.emit(s.addr)}] <= ${x.emit(s.data)};\n`;
        break;
      case 'memRead': {
        const { mem, data, addr } = s.port;
        out += `${ind}${attr(s.loc)} ${data.name} <= ${mem.name}[${x.emit(addr)}];\n`;
        if (mem.readUnderWrite === 'undefined' && mem.writeLocs.length > 0) {
          // Simulation reads a poisoned word when a write hits the same address, so a design
          // that does use such a read fails co-simulation instead of passing on read-first data.
          out += `\`ifndef SYNTHESIS\n${ind}if (${simWriteHit(mem, x.emit(addr))}) ${data.name} <= ~${mem.name}[${x.emit(addr)}];\n\`endif\n`;
        }
        break;
      }
      case 'when':
        s.branches.forEach((b, i) => {
          out += `${i === 0 ? `${ind}${attr(b.loc)} if` : ' else if'} (${x.emit(b.cond)}) begin\n${printStmts(b.body, x, `${ind}  `, op, leaf)}${ind}end`;
        });
        out += s.otherwise ? ` else begin\n${printStmts(s.otherwise, x, `${ind}  `, op, leaf)}${ind}end\n` : '\n';
        break;
      case 'switch': {
        out += `${ind}${attr(s.loc)} case (${x.emit(s.sel)})\n`;
        for (const c of s.cases) {
          out += `${ind}  ${c.values.map((v) => x.emit(v)).join(', ')}: begin\n${printStmts(c.body, x, `${ind}    `, op, leaf)}${ind}  end\n`;
        }
        const covered = s.cases.reduce((n, c) => n + c.values.length, 0) === 2 ** s.sel.width;
        if (s.default) out += `${ind}  default: begin\n${printStmts(s.default, x, `${ind}    `, op, leaf)}${ind}  end\n`;
        else if (!covered) out += `${ind}  default: begin\n${ind}  end\n`;
        out += `${ind}endcase\n`;
        break;
      }
    }
  }
  return out;
}

function printInstance(inst: Instance, ctx: EmitContext, clk: string): string {
  const conns: string[] = [];
  const needs = ctx.needs(inst.def);
  const bb = blackBoxOf(inst.def);
  if (bb) {
    if (bb.clock) conns.push(`    .${bb.clock}(${clk})`);
    if (bb.reset) conns.push(`    .${bb.reset.port}(${bb.reset.activeLow ? '~rst' : 'rst'})`);
  } else {
    if (needs.clock) conns.push(`    .clk(${clk})`);
    if (needs.reset) conns.push('    .rst(rst)');
  }
  for (const p of inst.def.ports) conns.push(`    .${p.name}(${inst.connections.get(p.name)!.name})`);
  const params = inst.def.verilogParams && Object.keys(inst.def.verilogParams).length
    ? ` #(\n${Object.entries(inst.def.verilogParams).map(([k, v]) => `    .${k}(${typeof v === 'string' ? JSON.stringify(v) : String(v)})`).join(',\n')}\n  )`
    : '';
  return `  ${attr(inst.loc)}\n  ${ctx.nameOf(inst.def)}${params} ${inst.name} (\n${conns.join(',\n')}\n  );`;
}

