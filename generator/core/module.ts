/**
 * Modules: ports, wires, registers, memories, instances and the statement tree
 * (when/elsewhen/otherwise, switch). A module is elaborated once by running an
 * ordinary TypeScript function, so generators are parameterised by TS values.
 */
import { designError, designWarning, withModule, type Diagnostic } from './errors.ts';
import {
  Expr, Signal, castTo, describeSignal, lift, resizeTo,
  type Operand, type SignalKind, type SignalOwner,
} from './expr.ts';
import { captureLoc, formatLoc, type SourceLoc } from './loc.ts';
import { unusableName, unusablePortName } from './names.ts';
import { checkedVec } from './vec-index.ts';
import { maxUnsigned } from './value-range.ts';
import { recordProperty, type FormalProperty } from './formal.ts';
import { Ground, log2Up, signedBitsFor, unsignedBitsFor, type BundleType, type HwType, type VecType } from './types.ts';

// ---- statements -----------------------------------------------------------

export interface AssignStmt { readonly kind: 'assign'; readonly target: Signal; readonly value: Expr; readonly loc: SourceLoc }
export interface WhenBranch { readonly cond: Expr; readonly body: Stmt[]; readonly loc: SourceLoc }
export interface WhenStmt { readonly kind: 'when'; readonly branches: WhenBranch[]; otherwise?: Stmt[]; readonly loc: SourceLoc }
export interface SwitchCase { readonly values: readonly Expr[]; readonly body: Stmt[]; readonly loc: SourceLoc }
export interface SwitchStmt { readonly kind: 'switch'; readonly sel: Expr; readonly cases: SwitchCase[]; default?: Stmt[]; readonly loc: SourceLoc }
export interface MemWriteStmt { readonly kind: 'memWrite'; readonly mem: Memory; readonly addr: Expr; readonly data: Expr; readonly loc: SourceLoc }
export interface MemReadStmt { readonly kind: 'memRead'; readonly port: MemReadPort; readonly loc: SourceLoc }
export type Stmt = AssignStmt | WhenStmt | SwitchStmt | MemWriteStmt | MemReadStmt;

// ---- aggregate shapes -----------------------------------------------------

/** Type T as a TypeScript shape with leaves L: L, an array of shapes, or an object of them. */
export type ShapeOf<T, L> = T extends Ground
  ? L
  : T extends VecType<infer E>
    ? ShapeOf<E, L>[]
    : T extends BundleType<infer F>
      ? { [K in keyof F]: ShapeOf<F[K], L> }
      : never;

/** The TypeScript shape of hardware of type T: a Signal, an array, or an object of them. */
export type Hw<T> = ShapeOf<T, Signal>;

function buildShape(type: HwType, name: string, leaf: (g: Ground, name: string) => Signal): unknown {
  if (type instanceof Ground) return leaf(type, name);
  if (type.kind === 'vec') return checkedVec(Array.from({ length: type.length }, (_, i) => buildShape(type.element, `${name}_${i}`, leaf)), name);
  const out: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(type.fields as Record<string, HwType>)) out[k] = buildShape(t, `${name}_${k}`, leaf);
  return out;
}

/**
 * Interfaces that keep their signals in a class (streams, AXI buses) say how to list
 * them and how to rebuild themselves around other signals: an instance's io is the
 * child's interface rebuilt around the parent-side signals, seen from the other side.
 */
export const shapeHooks: unique symbol = Symbol('generator.shape');
export interface ShapeHooks {
  leaves(): Expr[];
  /** The same interface over `fn(signal)` for each signal, its direction seen from the other side. */
  flipAcross(fn: (s: Signal) => Signal): unknown;
  /** What the manifest records about this interface when it is a port group of a module (JSON). */
  describe?(): Record<string, unknown>;
}
export const hooksOf = (shape: unknown): ShapeHooks | undefined =>
  shape && typeof shape === 'object' ? (shape as { [shapeHooks]?: ShapeHooks })[shapeHooks] : undefined;

/** What each typed interface in a module's io describes of itself (hooks' describe()), in io order. */
export function describeInterfaces(io: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (x: unknown): void => {
    const hooks = hooksOf(x);
    if (hooks) {
      if (hooks.describe) found.push(hooks.describe());
      return;
    }
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) Object.values(x).forEach(walk);
  };
  walk(io);
  return found;
}

/** Leaves of a shape (Signals or Exprs inside arrays/objects), in declaration order. */
export function leaves(shape: unknown): Expr[] {
  if (shape instanceof Expr) return [shape];
  const hooks = hooksOf(shape);
  if (hooks) return hooks.leaves();
  if (Array.isArray(shape)) return shape.flatMap(leaves);
  if (shape && typeof shape === 'object' && Object.getPrototypeOf(shape) === Object.prototype) return Object.values(shape).flatMap(leaves);
  return [];
}

/** Map the Signals of a shape, keeping its structure. */
export function mapShape(shape: unknown, fn: (s: Signal) => unknown): unknown {
  if (shape instanceof Signal) return fn(shape);
  const hooks = hooksOf(shape);
  if (hooks) return hooks.flipAcross((s) => mapShape(s, fn) as Signal);
  if (Array.isArray(shape)) {
    const items = shape.map((x) => mapShape(x, fn));
    const first = leaves(items)[0];
    return checkedVec(items, first instanceof Signal ? first.name.replace(/_0(_.*)?$/, '') : 'of the io');
  }
  // Only plain objects are shapes; class instances (types, configs) pass through as they are.
  if (shape && typeof shape === 'object' && Object.getPrototypeOf(shape) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(shape)) out[k] = mapShape(v, fn);
    return out;
  }
  return shape;
}

// ---- memories ---------------------------------------------------------------

export interface MemReadPort { readonly mem: Memory; readonly data: Signal; readonly addr: Expr; readonly loc: SourceLoc }

/** Read-under-write behaviour of a memory (see Memory.readUnderWrite). */
export type ReadUnderWrite = 'old' | 'undefined';

/**
 * A synchronous-read memory (Verilog `reg [w-1:0] mem [0:depth-1]`). One write port
 * and one or more read ports, all on the module clock, no reset: the form Yosys and
 * Vivado map to block RAM. A read returns the old data when it hits a write, unless
 * the memory is declared read-under-write undefined.
 */
export class Memory {
  readonly readPorts: MemReadPort[] = [];
  readonly writeLocs: SourceLoc[] = [];
  readonly addrWidth: number;
  constructor(
    private readonly m: ModuleBuilder,
    readonly name: string,
    readonly type: Ground,
    readonly depth: number,
    readonly loc: SourceLoc,
    readonly init?: readonly bigint[],
    /**
     * What a read returns when a write hits the same address in the same cycle:
     * 'old' (the word before the write, block-RAM read-first), or 'undefined'
     * (the design never uses such a read, so synthesis may drop the bypass logic
     * that emulates read-first; simulation returns a poisoned word instead).
     */
    readonly readUnderWrite: ReadUnderWrite = 'old',
    /** The design promises every address it gives is below depth (needed for a depth that is not a power of two). */
    readonly addressesInRange = false,
  ) {
    this.addrWidth = log2Up(depth);
  }
  /** Registered read: data appears the cycle after `addr` (guarded by enclosing when()). */
  read(addr: Expr, name?: string): Signal {
    const loc = captureLoc();
    this.checkAddr(addr, loc);
    const data = this.m.newSignal(this.type, name ?? `${this.name}_rdata`, 'memRead', loc);
    const port: MemReadPort = { mem: this, data, addr, loc };
    this.readPorts.push(port);
    this.m.pushStmt({ kind: 'memRead', port, loc });
    return data;
  }
  /** Write `data` at `addr` on the next clock edge (guarded by enclosing when()). */
  write(addr: Expr, data: Operand): void {
    const loc = captureLoc();
    this.checkAddr(addr, loc);
    this.writeLocs.push(loc);
    const value = this.m.coerce(data, this.type, `write data of memory ${this.name}`, loc);
    this.m.pushStmt({ kind: 'memWrite', mem: this, addr, data: value, loc });
  }
  private checkAddr(addr: Expr, loc: SourceLoc): void {
    if (addr.type.kind !== 'uint') designError('type', loc, `address of memory ${this.name} must be a UInt, got ${addr.type}`);
    if (addr.width > this.addrWidth) {
      designError('width', loc, `address of memory ${this.name} is ${addr.width} bits but ${this.depth} words need ${this.addrWidth}; use .bits(${this.addrWidth - 1}, 0) or .resize(${this.addrWidth})`);
    }
    // A narrower address leaves words no access can reach: almost always a sizing mistake.
    if (addr.width < this.addrWidth && addr.op !== 'const') {
      designError('memory', loc, `address of memory ${this.name} is ${addr.width} bits but ${this.depth} words need ${this.addrWidth}, so words ${2 ** addr.width}..${this.depth - 1} could never be reached; widen it with .resize(${this.addrWidth}) or make the memory ${2 ** addr.width} deep`);
    }
    if (!this.addressesInRange && (this.depth & (this.depth - 1)) !== 0 && maxUnsigned(addr) >= BigInt(this.depth)) {
      designError('memory', loc, `memory ${this.name} has ${this.depth} words but this ${addr.width}-bit address can reach ${maxUnsigned(addr)}; keep it in range (e.g. mux(p.eq(${this.depth - 1}), 0, p.addWrap(1)) for a pointer) and declare it with m.memory(…, { addressesInRange: true }), or make the depth ${2 ** this.addrWidth}`);
    }
    this.m.checkReads(addr, `address of memory ${this.name}`, loc);
  }
}

// ---- instances --------------------------------------------------------------

export interface PortInfo { readonly name: string; readonly direction: 'input' | 'output'; readonly type: Ground; readonly loc: SourceLoc }

/** What an instance needs to know about the module it instantiates. */
export interface ModuleDef<IO = unknown> {
  readonly kind: 'module' | 'blackbox';
  readonly name: string;
  readonly io: IO;
  readonly ports: readonly PortInfo[];
  readonly loc: SourceLoc;
  /** The generator's TypeScript parameters, recorded in the manifest. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
  /** Present for DSL modules. */
  readonly impl?: ModuleBuilder;
  /** Verilog parameters passed to a black box instance. */
  readonly verilogParams?: Readonly<Record<string, number | bigint | string>>;
}

export interface Instance {
  readonly name: string;
  readonly def: ModuleDef;
  /** Child port name -> parent-side signal (instIn: parent drives it; instOut: the instance drives it). */
  readonly connections: ReadonlyMap<string, Signal>;
  readonly loc: SourceLoc;
}

// ---- the builder ------------------------------------------------------------

/** The modules whose defineModule() body is running, innermost last. */
const building: ModuleBuilder[] = [];

export interface RegOptions {
  /** Value loaded by the synchronous active-high reset; omit for a register without reset (e.g. a datapath pipeline). */
  reset?: number | bigint | boolean;
  /** The register only loads its next value while this is true. */
  enable?: Expr;
}

export class ModuleBuilder implements SignalOwner {
  readonly signals: Signal[] = [];
  readonly ports: Signal[] = [];
  readonly regs: Signal[] = [];
  readonly memories: Memory[] = [];
  readonly instances: Instance[] = [];
  readonly body: Stmt[] = [];
  readonly regEnables = new Map<Signal, Expr>();
  /** Warnings found while the body ran (e.g. comparisons with a constant outcome). */
  readonly constructionWarnings: Diagnostic[] = [];
  /** Values read on purpose by nothing (see unused()). */
  readonly sinks: Expr[] = [];
  /** Formal properties (core/formal.ts): emitted only into the module's formal wrapper. */
  readonly properties: FormalProperty[] = [];
  private readonly stack: Stmt[][] = [this.body];
  private readonly usedNames = new Map<string, SourceLoc>();
  private sealed = false;

  constructor(readonly name: string, readonly loc: SourceLoc) {}

  // ---- declarations ----
  input<T extends HwType>(name: string, type: T): Hw<T> {
    return this.port(name, type, 'input');
  }
  output<T extends HwType>(name: string, type: T): Hw<T> {
    return this.port(name, type, 'output');
  }
  private port<T extends HwType>(name: string, type: T, kind: 'input' | 'output'): Hw<T> {
    const loc = captureLoc();
    return buildShape(type, name, (g, n) => {
      const cppWhy = unusableName(n) ? undefined : unusablePortName(n);
      if (cppWhy) designError('name', loc, `"${n}" cannot name a port: ${cppWhy}; choose another name`);
      const s = this.newSignal(g, n, kind, loc, { exact: true });
      this.ports.push(s);
      return s;
    }) as Hw<T>;
  }
  /** A combinational signal; drive it with `.set()` (on every path, or it is a latch). */
  wire<T extends HwType>(name: string, type: T): Hw<T> {
    const loc = captureLoc();
    return buildShape(type, name, (g, n) => this.newSignal(g, n, 'wire', loc)) as Hw<T>;
  }
  /** A named wire holding `value`: gives an intermediate result a readable Verilog name. */
  named(name: string, value: Expr): Signal {
    const loc = captureLoc();
    const s = this.newSignal(value.type, name, 'wire', loc);
    this.assign(s, value, loc);
    return s;
  }
  /** A register on the module clock. */
  reg<T extends HwType>(name: string, type: T, options: RegOptions = {}): Hw<T> {
    const loc = captureLoc();
    if (options.enable && options.enable.width !== 1) designError('width', loc, `register enable must be 1 bit wide, got ${options.enable.type}`);
    if (options.enable) this.checkReads(options.enable, `the enable of register ${name}`, loc);
    return buildShape(type, name, (g, n) => {
      const reset = options.reset === undefined ? undefined : this.coerce(options.reset, g, `reset value of register ${n}`, loc);
      const s = this.newSignal(g, n, 'reg', loc, { resetValue: reset?.param.value });
      this.regs.push(s);
      if (options.enable) this.regEnables.set(s, options.enable);
      return s;
    }) as Hw<T>;
  }
  /** A register that takes `value` every cycle (a pipeline stage). */
  regNext(name: string, value: Expr, options: RegOptions = {}): Signal {
    const r = this.reg(name, value.type, options) as Signal;
    this.assign(r, value, captureLoc());
    return r;
  }
  memory(name: string, type: Ground, depth: number, options: { init?: readonly (number | bigint)[]; readUnderWrite?: ReadUnderWrite; addressesInRange?: boolean } = {}): Memory {
    const loc = captureLoc();
    if (!Number.isInteger(depth) || depth < 2) designError('structure', loc, `memory ${name} needs a depth of at least 2, got ${depth}`);
    const init = options.init?.map((v) => BigInt(v));
    if (init && init.length > depth) designError('structure', loc, `memory ${name} has ${init.length} initial words but depth ${depth}`);
    const ruw = options.readUnderWrite ?? 'old';
    if (ruw !== 'old' && ruw !== 'undefined') designError('structure', loc, `memory ${name}: readUnderWrite must be 'old' or 'undefined', got '${String(ruw)}'`);
    const mem = new Memory(this, this.uniqueName(name, loc), type, depth, loc, init, ruw, options.addressesInRange ?? false);
    this.memories.push(mem);
    return mem;
  }
  /** Instantiate a module; returns its io with parent-side signals (drive its inputs, read its outputs). */
  instance<IO>(name: string, def: ModuleDef<IO>): IO {
    const loc = captureLoc();
    this.checkOpen(loc);
    // Verilator (VARHIDDEN) rejects an instance named like a signal anywhere below it; such
    // a name takes the next free suffix instead, as a name clash inside one module does.
    const instName = this.uniqueName(name, loc, false, namesBelow(def));
    const connections = new Map<string, Signal>();
    for (const p of def.ports) {
      connections.set(p.name, this.newSignal(p.type, `${instName}_${p.name}`, p.direction === 'input' ? 'instIn' : 'instOut', loc));
    }
    this.instances.push({ name: instName, def, connections, loc });
    return mapShape(def.io, (s) => {
      const c = connections.get(s.name);
      if (!c) designError('unknown-port', loc, `io of module ${def.name} holds ${s.name}, which is not one of its ports`);
      return c;
    }) as IO;
  }

  /**
   * Declare values that are intentionally not read (e.g. the low bits of a product
   * below the rounding point). Silences the unused warning; emitted as Verilator's
   * documented `*unused*` sink so -Wall stays clean without waivers.
   */
  unused(...values: Expr[]): void {
    const loc = captureLoc();
    this.checkOpen(loc);
    for (const v of values) {
      this.checkReads(v, 'unused()', loc);
      this.sinks.push(v);
    }
  }

  // ---- formal properties (checked at the clock edge, out of reset; see core/formal.ts) ----
  /** `cond` holds in every cycle; proven by `sparsegrad formal`. */
  assert(cond: Expr, message: string): void {
    this.property({ kind: 'assert', cond, message, loc: captureLoc() });
  }
  /** Formal checks of this module take `cond` for granted (a promise about its inputs). */
  assume(cond: Expr, message: string): void {
    this.property({ kind: 'assume', cond, message, loc: captureLoc() });
  }
  /** Some trace reaches a cycle where `cond` holds (a sanity goal for the proofs). */
  cover(cond: Expr, message: string): void {
    this.property({ kind: 'cover', cond, message, loc: captureLoc() });
  }
  /** In the cycle after one where `trigger` holds, `cond` holds and each of `stable` keeps its value. */
  assertNext(trigger: Expr, cond: Expr, message: string, stable: readonly Expr[] = []): void {
    this.property({ kind: 'assert', cond, message, loc: captureLoc(), after: trigger, stable });
  }
  /**
   * The neighbours promise that in the cycle after one where `trigger` holds, `cond` holds and
   * each of `stable` keeps its value (e.g. a stream's producer keeps its beat until it is taken).
   * Like `assume`, it reads ports only, and the parent's proof checks it as an assertion.
   */
  assumeNext(trigger: Expr, cond: Expr, message: string, stable: readonly Expr[] = []): void {
    this.property({ kind: 'assume', cond, message, loc: captureLoc(), after: trigger, stable });
  }
  private property(p: FormalProperty): void {
    this.checkOpen(p.loc);
    recordProperty(this, p, this.stack.length > 1);
  }

  // ---- control flow ----
  /** `when(cond, body).elsewhen(cond, body).otherwise(body)`: later assignments win. */
  when(cond: Expr, body: () => void): WhenChain {
    const loc = captureLoc();
    const stmt: WhenStmt = { kind: 'when', branches: [], loc };
    this.pushStmt(stmt);
    const chain = new WhenChain(this, stmt);
    chain.addBranch(cond, body, loc);
    return chain;
  }
  /** `switch(sel).is(v, body).is([v1, v2], body).default(body)`, a Verilog case. */
  switch(sel: Expr): SwitchChain {
    const loc = captureLoc();
    if (sel.type.kind === 'sint') designError('type', loc, `switch on ${sel.type}; switch on .asUInt() and list unsigned patterns`);
    this.checkReads(sel, 'switch()', loc);
    const stmt: SwitchStmt = { kind: 'switch', sel, cases: [], loc };
    this.pushStmt(stmt);
    return new SwitchChain(this, stmt);
  }

  // ---- internals used by the rest of the core ----
  /** @internal */
  runIn(block: Stmt[], body: () => void): void {
    this.stack.push(block);
    try {
      body();
    } finally {
      this.stack.pop();
    }
  }
  /** @internal */
  pushStmt(s: Stmt): void {
    this.checkOpen(s.loc);
    this.stack[this.stack.length - 1]!.push(s);
  }
  /** @internal */
  seal(): void {
    this.sealed = true;
  }
  private checkOpen(loc: SourceLoc): void {
    if (this.sealed) designError('structure', loc, `module ${this.name} is already built; drive its signals inside its defineModule() body`);
    // A child defined inside its parent's body must not add to the parent: hardware
    // crosses module boundaries through ports only.
    const current = building[building.length - 1];
    if (current && current !== this && building.includes(this)) {
      designError('ownership', loc, `the body of module ${current.name} changes module ${this.name}; a module builds only its own hardware, so pass the value through a port of ${current.name}`);
    }
  }
  /** @internal Values read by this module must be its own signals (or constants). */
  checkReads(value: Expr, what: string, loc: SourceLoc): void {
    if (value.owner && value.owner !== this) designError('ownership', loc, `${what} reads ${foreignRead(value)}`);
  }
  /** @internal */
  uniqueName(wanted: string, loc: SourceLoc, exact = false, avoid?: ReadonlySet<string>): string {
    const why = unusableName(wanted);
    if (why) designError('name', loc, `"${wanted}" cannot name a signal: ${why}; choose another name`);
    let name = wanted;
    // A signal named like its own module is one Verilator rejects too (VARHIDDEN).
    const taken = (n: string): boolean => this.usedNames.has(n) || n === this.name || (avoid?.has(n) ?? false);
    if (taken(name)) {
      if (exact) {
        const prev = this.usedNames.get(name);
        if (prev) designError('structure', loc, `port name ${name} is already used at ${formatLoc(prev)}`);
        designError('name', loc, `port name ${name} is the name of its module (Verilator rejects a signal named like its module); choose another name`);
      }
      for (let i = 1; taken(name); i++) name = `${wanted}_${i}`;
    }
    this.usedNames.set(name, loc);
    return name;
  }
  /** @internal */
  newSignal(type: Ground, name: string, kind: SignalKind, loc: SourceLoc, opts: { exact?: boolean; resetValue?: bigint } = {}): Signal {
    this.checkOpen(loc);
    const s = new Signal(type, this.uniqueName(name, loc, opts.exact), kind, this, loc, opts.resetValue);
    this.signals.push(s);
    return s;
  }
  /** @internal Check and convert a value for a target of `type` (widening only). */
  coerce(v: Operand, type: Ground, what: string, loc: SourceLoc): Expr {
    const value = lift(v, type, loc);
    this.checkReads(value, what, loc);
    const tk = type.kind;
    const vk = value.type.kind;
    if (value.op === 'const') {
      // Constants are checked by value, not by the width they happen to be written with.
      const n = value.param.value!;
      if (tk !== 'sint' && n < 0n) designError('type', loc, `${what}: negative constant ${n} for ${type}`);
      const fits = tk === 'sint' ? signedBitsFor(n) <= type.width : unsignedBitsFor(n) <= type.width;
      if (!fits) designError('width', loc, `${what}: constant ${n} does not fit in ${type}`);
      return new Expr(type, 'const', [], loc, { value: n });
    }
    const compatible = tk === vk || (tk !== 'sint' && vk !== 'sint');
    if (!compatible) {
      designError('type', loc, `${what} is ${type} but the value is ${value.type}; convert with ${tk === 'sint' ? '.toSInt()' : '.asUInt()'} first`);
    }
    if (value.width > type.width) {
      const extra = value.width - type.width;
      designError('width', loc, `${what} is ${type} but the value is ${value.type} (${extra} bit${extra > 1 ? 's' : ''} wider); drop bits explicitly with .resize(${type.width}), or use addWrap/subWrap`);
    }
    return castTo(resizeTo(value, type.width, loc), tk, loc);
  }
  /** @internal The target of every `.set()`. */
  assign(target: Signal, v: Operand, loc: SourceLoc): void {
    this.checkOpen(loc);
    if (target.signalOwner !== this) designError('structure', loc, `${describeSignal(target)} belongs to module ${target.signalOwner.name}; drive it there or through a port`);
    const reason: Partial<Record<SignalKind, string>> = {
      input: 'it is an input port of this module, driven by the parent',
      instOut: 'it is an output of an instance, driven by that instance',
      memRead: 'it is the read data of a memory, driven by the memory',
    };
    const why = reason[target.kind];
    if (why) designError('multiple-drivers', loc, `cannot drive ${describeSignal(target)}: ${why}`);
    const value = this.coerce(v, target.type, `${target.name}`, loc);
    this.pushStmt({ kind: 'assign', target, value, loc });
  }
}

const namesBelowCache = new WeakMap<ModuleDef, ReadonlySet<string>>();
/** Every signal, memory and instance name declared in `def` and the modules below it. */
function namesBelow(def: ModuleDef): ReadonlySet<string> {
  let names = namesBelowCache.get(def);
  if (!names) {
    const out = new Set<string>(def.ports.map((p) => p.name));
    const m = def.impl;
    if (m) {
      for (const s of m.signals) out.add(s.name);
      for (const mem of m.memories) out.add(mem.name);
      for (const inst of m.instances) {
        out.add(inst.name);
        for (const n of namesBelow(inst.def)) out.add(n);
      }
    }
    names = out;
    namesBelowCache.set(def, names);
  }
  return names;
}

/** `signal x of module y` for the error of a read across modules, saying how to reach a port. */
function foreignRead(value: Expr): string {
  const owner = value.owner!.name;
  if (value instanceof Signal && (value.kind === 'input' || value.kind === 'output')) {
    return `${value.name}, a port of module ${owner}; instantiate ${owner} with m.instance() and use the instance's ${value.name}`;
  }
  return `${value instanceof Signal ? `${value.name}, a signal` : 'signals'} of module ${owner}; pass values between modules through ports`;
}

export class WhenChain {
  private closed = false;
  constructor(private readonly m: ModuleBuilder, private readonly stmt: WhenStmt) {}
  /** @internal */
  addBranch(cond: Expr, body: () => void, loc: SourceLoc): void {
    if (this.closed) designError('structure', loc, 'elsewhen() after otherwise() never runs; reorder the branches');
    if (cond.width !== 1) designError('width', loc, `when() condition must be 1 bit wide, got ${cond.type}; compare it, e.g. x.ne(0)`);
    this.m.checkReads(cond, 'when() condition', loc);
    if (cond.op === 'const') {
      designWarning('constant', loc, `this when() condition is always ${cond.param.value ? 'true' : 'false'}, so ${cond.param.value ? 'its body always runs and any branch after it never does' : 'its body never runs'}; use a TypeScript if for choices made at elaboration`);
    }
    const branch: WhenBranch = { cond, body: [], loc };
    this.stmt.branches.push(branch);
    this.m.runIn(branch.body, body);
  }
  elsewhen(cond: Expr, body: () => void): WhenChain {
    this.addBranch(cond, body, captureLoc());
    return this;
  }
  otherwise(body: () => void): void {
    const loc = captureLoc();
    if (this.closed) designError('structure', loc, 'otherwise() given twice');
    this.closed = true;
    this.stmt.otherwise = [];
    this.m.runIn(this.stmt.otherwise, body);
  }
}

export class SwitchChain {
  private readonly seen = new Map<bigint, SourceLoc>();
  constructor(private readonly m: ModuleBuilder, private readonly stmt: SwitchStmt) {}
  is(values: Operand | readonly Operand[], body: () => void): SwitchChain {
    const loc = captureLoc();
    if (this.stmt.default) designError('structure', loc, 'is() after default() never runs; reorder the cases');
    const list = Array.isArray(values) ? values : [values as Operand];
    const exprs = list.map((v) => {
      const e = lift(v, this.stmt.sel.type, loc);
      if (e.op !== 'const') designError('structure', loc, 'switch cases must be constants; use when() for computed conditions');
      const c = this.m.coerce(e, this.stmt.sel.type, `case value of switch on ${this.stmt.sel.type}`, loc);
      const prev = this.seen.get(e.param.value!);
      if (prev) designError('structure', loc, `case ${e.param.value} is already handled at ${formatLoc(prev)}`);
      this.seen.set(e.param.value!, loc);
      return c;
    });
    const c: SwitchCase = { values: exprs, body: [], loc };
    this.stmt.cases.push(c);
    this.m.runIn(c.body, body);
    return this;
  }
  default(body: () => void): void {
    const loc = captureLoc();
    if (this.stmt.default) designError('structure', loc, 'default() given twice');
    this.stmt.default = [];
    this.m.runIn(this.stmt.default, body);
  }
  /** True when the listed cases cover every value of the selector. */
  get complete(): boolean {
    return this.seen.size === 2 ** this.stmt.sel.width;
  }
}

/**
 * Define a module by running `body` once. The value it returns is the module's io:
 * the ports (any shape of them) that a parent sees through `m.instance()`.
 */
export function defineModule<IO>(
  name: string,
  body: (m: ModuleBuilder) => IO,
  params: Record<string, string | number | boolean> = {},
): ModuleDef<IO> {
  const loc = captureLoc();
  const why = unusableName(name);
  if (why) designError('name', loc, `"${name}" cannot name a module: ${why}; choose another name`);
  const m = new ModuleBuilder(name, loc);
  building.push(m);
  let elaborated: ReturnType<typeof withModule<IO>>;
  try {
    elaborated = withModule(name, () => body(m));
  } finally {
    building.pop();
  }
  const { result: io, warnings } = elaborated;
  m.constructionWarnings.push(...warnings);
  m.seal();
  for (const s of leaves(io)) {
    if (!(s instanceof Signal) || !m.ports.includes(s)) {
      designError('unknown-port', s.loc, `the io returned by module ${name} holds ${s instanceof Signal ? s.name : 'an expression'}, which is not a port of ${name}; return only m.input()/m.output() signals`, name);
    }
  }
  const ports: PortInfo[] = m.ports.map((p) => ({ name: p.name, direction: p.kind === 'input' ? 'input' : 'output', type: p.type, loc: p.loc }));
  return { kind: 'module', name, io, ports, loc, params: { ...params }, impl: m };
}
