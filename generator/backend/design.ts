/**
 * Whole-design emission: checks, one Verilog file per module (children first),
 * and a manifest JSON describing modules, ports, parameters and a hash of the
 * TypeScript sources. Same design => byte-identical files.
 */
import { createHash } from 'node:crypto';
import { writeFolderAtomicSync } from '../../util/atomic.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDesign, type CheckResult } from '../checks/index.ts';
import { DesignError, formatDiagnostic, type Diagnostic } from '../core/errors.ts';
import { describeInterfaces, type ModuleDef } from '../core/module.ts';
import { srcAttr } from '../core/loc.ts';
import { blackBoxOf } from '../core/blackbox.ts';
import { clockNeeds, emitModule, type ClockNeeds } from './verilog.ts';
import { emitFormalWrapper, type FormalWrapper } from './formal.ts';

export interface ManifestPort {
  name: string;
  direction: 'input' | 'output';
  width: number;
  signed: boolean;
}
/** A port group of a module (a stream, an AXI bus): kind, role, port names, widths, payload layout, register map. */
export type ManifestInterface = Record<string, unknown> & { kind: string; name: string; role: string; ports: Record<string, string> };
export interface ManifestReset {
  port: string;
  activeLow: boolean;
}
export interface ManifestModule {
  name: string;
  file: string;
  src: string;
  ports: ManifestPort[];
  /** Present when the module's io holds typed interfaces (streams, AXI buses). */
  interfaces?: ManifestInterface[];
  /** Its clock input, when it has one: every flip-flop samples its rising edge. */
  clock?: string;
  /** Its reset input, when it has one: synchronous, active low on a top (AXI's aresetn), active high inside. */
  reset?: ManifestReset;
  params: Record<string, string | number | boolean>;
  instances: { name: string; module: string }[];
}
export interface Manifest {
  top: string;
  modules: ManifestModule[];
  /** Black boxes the design instantiates, with the Verilog file that must be supplied alongside. */
  blackBoxes: { module: string; file: string }[];
  /** sha256 over the TypeScript files that built the design (paths and contents). */
  sourceHash: string;
  sources: string[];
}

export interface EmittedDesign {
  /** File name -> Verilog text, in dependency order (children first). */
  files: Map<string, string>;
  manifest: Manifest;
  warnings: CheckResult['warnings'];
  /** Module name (as emitted) -> its definition, for the formal wrappers. */
  defs: ReadonlyMap<string, ModuleDef>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Check the design and produce its Verilog in memory. Throws DesignError on check errors. */
export function emitVerilog(top: ModuleDef): EmittedDesign {
  if (!top.impl) throw new DesignError([{ severity: 'error', kind: 'structure', loc: top.loc, message: `top ${top.name} is a black box; wrap it in a module` }]);
  const checks = checkDesign(top);
  if (checks.errors.length) throw new DesignError(checks.errors);

  const order: ModuleDef[] = [];
  const visit = (d: ModuleDef, seen: Set<ModuleDef>): void => {
    if (seen.has(d)) return;
    seen.add(d);
    for (const inst of d.impl?.instances ?? []) visit(inst.def, seen);
    order.push(d);
  };
  visit(top, new Set());

  const needsCache = new Map<ModuleDef, ClockNeeds>();
  const needs = (d: ModuleDef): ClockNeeds => clockNeeds(d, needsCache);
  const finalName = new Map<ModuleDef, string>();
  const textByName = new Map<string, string>();
  const files = new Map<string, string>();
  const modules: ManifestModule[] = [];
  const blackBoxes = new Map<string, string>();
  const sources = new Set<string>();
  const blackBoxNames = new Set(order.filter((d) => !d.impl).map((d) => d.name));
  const defs = new Map<string, ModuleDef>();

  for (const def of order) {
    if (!def.impl) {
      finalName.set(def, def.name);
      blackBoxes.set(def.name, blackBoxOf(def)?.file ?? '');
      continue;
    }
    const ctx = { isTop: def === top, nameOf: (d: ModuleDef) => finalName.get(d)!, needs };
    // Generators called twice with the same arguments give one module, even from two
    // lines (a library module's locations are its caller's); different modules that
    // chose the same name get _1, _2 suffixes in elaboration order.
    let name = def.name;
    let text = emitModule(def, name, ctx);
    const sameHardware = (n: string): boolean => withoutLocations(textByName.get(n)!) === withoutLocations(text);
    // A black box's name belongs to the Verilog file supplied with it.
    // Nor may a module share its name with a signal inside it (Verilator VARHIDDEN).
    const inside = new Set([...def.impl.signals.map((x) => x.name), ...def.impl.memories.map((x) => x.name), ...def.impl.instances.map((x) => x.name)]);
    const taken = (n: string): boolean => blackBoxNames.has(n) || (n !== def.name && inside.has(n)) || (textByName.has(n) && !sameHardware(n));
    for (let i = 1; taken(name); i++) {
      name = `${def.name}_${i}`;
      text = emitModule(def, name, ctx);
    }
    finalName.set(def, name);
    collectSources(def, sources);
    if (textByName.has(name)) continue;
    textByName.set(name, text);
    defs.set(name, def);
    files.set(`${name}.v`, text);
    const n = needs(def);
    const clockPorts: ManifestPort[] = [];
    const clock = n.clock ? (def === top ? 'aclk' : 'clk') : undefined;
    const reset: ManifestReset | undefined = n.reset ? (def === top ? { port: 'aresetn', activeLow: true } : { port: 'rst', activeLow: false }) : undefined;
    if (clock) clockPorts.push({ name: clock, direction: 'input', width: 1, signed: false });
    if (reset) clockPorts.push({ name: reset.port, direction: 'input', width: 1, signed: false });
    modules.push({
      name,
      file: `${name}.v`,
      src: srcAttr(def.loc),
      ports: [...clockPorts, ...def.ports.map((p) => ({ name: p.name, direction: p.direction, width: p.type.width, signed: p.type.signed }))],
      params: sortKeys(def.params),
      instances: def.impl.instances.map((i) => ({ name: i.name, module: finalName.get(i.def)! })),
      ...interfacesOf(def.io),
      ...(clock ? { clock } : {}),
      ...(reset ? { reset } : {}),
    });
  }
  const sortedSources = [...sources].sort();
  const hash = createHash('sha256');
  for (const f of sortedSources) {
    const abs = path.isAbsolute(f) ? f : path.join(repoRoot, f);
    hash.update(f).update('\0').update(existsSync(abs) ? readFileSync(abs) : '').update('\0');
  }
  const manifest: Manifest = {
    top: finalName.get(top)!,
    modules,
    blackBoxes: [...blackBoxes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([module, file]) => ({ module, file })),
    sourceHash: hash.digest('hex'),
    sources: sortedSources,
  };
  for (const sink of warningSinks) sink.push(...checks.warnings);
  return { files, manifest, warnings: checks.warnings, defs };
}

/** The formal wrapper of every module of an emitted design (see formal.ts), in emission order. */
export function emitFormalWrappers(design: EmittedDesign, only?: string): FormalWrapper[] {
  const cache = new Map<ModuleDef, ClockNeeds>();
  return design.manifest.modules.map((mod) => {
    const def = design.defs.get(mod.name)!;
    return emitFormalWrapper(def, mod.name, mod.name === design.manifest.top, clockNeeds(def, cache), only);
  });
}

export interface EmitOptions {
  /** Print each warning as `sparsegrad: warning: …` on stderr (default true). */
  printWarnings?: boolean;
}

/** Check, emit and write `<module>.v` files plus `manifest.json` into outDir; warnings go to stderr. */
export function emitDesign(top: ModuleDef, outDir: string, options: EmitOptions = {}): EmittedDesign {
  const design = emitVerilog(top);
  if (options.printWarnings ?? true) printWarnings(design.warnings);
  // Staged and published together (util/atomic.ts): a failed write leaves the folder as it was.
  writeFolderAtomicSync(outDir, [...design.files, ['manifest.json', `${JSON.stringify(design.manifest, null, 2)}\n`]]);
  return design;
}

/** One stderr line per warning, in the CLI's `sparsegrad: …` form. */
export function printWarnings(warnings: readonly Diagnostic[]): void {
  for (const w of warnings) process.stderr.write(`sparsegrad: warning: ${formatDiagnostic(w)}\n`);
}

/**
 * Run `body` and collect the warnings of every design it emits with emitVerilog, for
 * callers (the CLI) that reach emission through code that keeps only the files.
 */
export function collectWarnings<T>(body: () => T): { result: T; warnings: Diagnostic[] } {
  const sink: Diagnostic[] = [];
  warningSinks.push(sink);
  try {
    return { result: body(), warnings: sink };
  } finally {
    warningSinks.pop();
  }
}
const warningSinks: Diagnostic[][] = [];

/**
 * The manifest of hand-written Verilog declared with blackBox(): the entry the generator
 * writes for a module it emits (ports, typed interfaces, clock and reset), so the harness
 * and the FPGA flow drive a black box as they drive a generated top.
 */
export function blackBoxManifest(def: ModuleDef): Manifest {
  const bb = blackBoxOf(def);
  if (!bb) throw new DesignError([{ severity: 'error', kind: 'structure', loc: def.loc, message: `${def.name} is not a black box; emit it with emitDesign() to get its manifest` }]);
  const reset: ManifestReset | undefined = bb.reset;
  const own = (name: string): ManifestPort => ({ name, direction: 'input', width: 1, signed: false });
  const abs = path.isAbsolute(bb.file) ? bb.file : path.join(repoRoot, bb.file);
  const hash = createHash('sha256').update(bb.file).update('\0').update(existsSync(abs) ? readFileSync(abs) : '');
  return {
    top: def.name,
    modules: [{
      name: def.name,
      file: path.basename(bb.file),
      src: srcAttr(def.loc),
      ports: [...(bb.clock ? [own(bb.clock)] : []), ...(reset ? [own(reset.port)] : []), ...def.ports.map((p) => ({ name: p.name, direction: p.direction, width: p.type.width, signed: p.type.signed }))],
      params: {},
      instances: [],
      ...interfacesOf(def.io),
      ...(bb.clock ? { clock: bb.clock } : {}),
      ...(reset ? { reset } : {}),
    }],
    blackBoxes: [],
    sourceHash: hash.digest('hex'),
    sources: [bb.file],
  };
}

/** The typed interfaces in a module's io, in io order (only when there are any, so hand-made ports keep their manifest as it was). */
function interfacesOf(io: unknown): { interfaces?: ManifestInterface[] } {
  const found = describeInterfaces(io) as ManifestInterface[];
  return found.length ? { interfaces: found } : {};
}

/** Module text without its source locations (src attributes, assign comments, header line). */
function withoutLocations(text: string): string {
  return text
    .replace(/\(\* src = "[^"]*" \*\)/g, '')
    .replace(/;  \/\/ \S+:\d+\.\d+$/gm, ';')
    .replace(/^(\/\/ Module \S+: generated by sparsegrad generator) from \S+\.$/m, '$1');
}

function collectSources(def: ModuleDef, out: Set<string>): void {
  const m = def.impl;
  if (!m) return;
  for (const loc of [def.loc, ...m.signals.map((s) => s.loc)]) {
    out.add(loc.file);
    if (loc.library) out.add(loc.library.file);
  }
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
