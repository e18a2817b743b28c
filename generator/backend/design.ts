/**
 * Whole-design emission: checks, one Verilog file per module (children first),
 * and a manifest JSON describing modules, ports, parameters and a hash of the
 * TypeScript sources. Same design => byte-identical files.
 */
import { createHash } from 'node:crypto';
import { writeFolderAtomicSync } from '../../cli/atomic.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDesign, type CheckResult } from '../checks/index.ts';
import { DesignError } from '../core/errors.ts';
import type { ModuleDef } from '../core/module.ts';
import { srcAttr } from '../core/loc.ts';
import { blackBoxOf } from '../core/blackbox.ts';
import { clockNeeds, emitModule, type ClockNeeds } from './verilog.ts';

export interface ManifestPort {
  name: string;
  direction: 'input' | 'output';
  width: number;
  signed: boolean;
}
export interface ManifestModule {
  name: string;
  file: string;
  src: string;
  ports: ManifestPort[];
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

  for (const def of order) {
    if (!def.impl) {
      finalName.set(def, def.name);
      blackBoxes.set(def.name, blackBoxOf(def)?.file ?? '');
      continue;
    }
    const ctx = { isTop: def === top, nameOf: (d: ModuleDef) => finalName.get(d)!, needs };
    // Generators called twice with the same arguments give one module; different
    // modules that chose the same name get _1, _2 suffixes in elaboration order.
    let name = def.name;
    let text = emitModule(def, name, ctx);
    for (let i = 1; textByName.has(name) && textByName.get(name) !== text; i++) {
      name = `${def.name}_${i}`;
      text = emitModule(def, name, ctx);
    }
    finalName.set(def, name);
    collectSources(def, sources);
    if (textByName.has(name)) continue;
    textByName.set(name, text);
    files.set(`${name}.v`, text);
    const n = needs(def);
    const clockPorts: ManifestPort[] = [];
    if (n.clock) clockPorts.push({ name: def === top ? 'aclk' : 'clk', direction: 'input', width: 1, signed: false });
    if (n.reset) clockPorts.push({ name: def === top ? 'aresetn' : 'rst', direction: 'input', width: 1, signed: false });
    modules.push({
      name,
      file: `${name}.v`,
      src: srcAttr(def.loc),
      ports: [...clockPorts, ...def.ports.map((p) => ({ name: p.name, direction: p.direction, width: p.type.width, signed: p.type.signed }))],
      params: sortKeys(def.params),
      instances: def.impl.instances.map((i) => ({ name: i.name, module: finalName.get(i.def)! })),
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
  return { files, manifest, warnings: checks.warnings };
}

/** Check, emit and write `<module>.v` files plus `manifest.json` into outDir. */
export function emitDesign(top: ModuleDef, outDir: string): EmittedDesign {
  const design = emitVerilog(top);
  // Staged and published together (cli/atomic.ts): a failed write leaves the folder as it was.
  writeFolderAtomicSync(outDir, [...design.files, ['manifest.json', `${JSON.stringify(design.manifest, null, 2)}\n`]]);
  return design;
}

function collectSources(def: ModuleDef, out: Set<string>): void {
  const m = def.impl;
  if (!m) return;
  out.add(def.loc.file);
  for (const s of m.signals) out.add(s.loc.file);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
