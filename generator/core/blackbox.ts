/**
 * Black boxes: existing Verilog modules (vendor primitive wrappers, hand-written IP)
 * instantiated from the DSL. The TypeScript side declares the ports it expects; they
 * are checked against the module's header as parsed from the Verilog file (names,
 * directions, widths after parameter overrides), so a mismatch is found at the
 * TypeScript line, not by the synthesis tool.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../util/errors.ts';
import { parseVerilogHeaders, type ModuleHeader } from '../verilog-header/index.ts';
import { DesignError, type Diagnostic } from './errors.ts';
import { captureLoc, type SourceLoc } from './loc.ts';
import { ModuleBuilder, type Hw, type ModuleDef, type PortInfo } from './module.ts';
import { Ground } from './types.ts';

interface BlackBoxCommon {
  /** Verilog file holding the module (relative paths: from the repository root). */
  file: string;
  /** Module name inside the file (defaults to the black box name). */
  module?: string;
  /** Parameter overrides, emitted as `#(.NAME(value))` and used to evaluate port widths. */
  params?: Record<string, number | bigint | string>;
  /** Input port that receives the parent's clock. */
  clock?: string;
  /** Input port that receives the parent's reset; activeLow inverts it. */
  reset?: { port: string; activeLow?: boolean };
}

/**
 * A black box whose ports are declared with the library's typed interfaces (streamIn,
 * streamOut, axiPort) and plain m.input()/m.output(): the manifest then describes its
 * port groups, as it does for a generated module (see blackBoxManifest).
 */
export interface BlackBoxInterfacesSpec<IO> extends BlackBoxCommon {
  ports: (m: ModuleBuilder) => IO;
}

export interface BlackBoxSpec<I extends Record<string, Ground>, O extends Record<string, Ground>> extends BlackBoxCommon {
  inputs: I;
  outputs: O;
}

/** What the back end needs beyond ModuleDef for a black box instance. */
export interface BlackBoxInfo {
  readonly file: string;
  readonly clock?: string;
  readonly reset?: { port: string; activeLow: boolean };
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const blackBoxInfo = new WeakMap<ModuleDef, BlackBoxInfo>();

export function blackBoxOf(def: ModuleDef): BlackBoxInfo | undefined {
  return blackBoxInfo.get(def);
}

/**
 * Declare a black box. Returns a ModuleDef whose io holds the declared inputs and
 * outputs; instantiate it with `m.instance(name, def)` like any module.
 */
export function blackBox<IO>(name: string, spec: BlackBoxInterfacesSpec<IO>): ModuleDef<IO>;
export function blackBox<I extends Record<string, Ground>, O extends Record<string, Ground>>(
  name: string,
  spec: BlackBoxSpec<I, O>,
): ModuleDef<{ [K in keyof I]: Hw<I[K]> } & { [K in keyof O]: Hw<O[K]> }>;
export function blackBox(name: string, spec: BlackBoxSpec<Record<string, Ground>, Record<string, Ground>> | BlackBoxInterfacesSpec<unknown>): ModuleDef<any> {
  const loc = captureLoc();
  const abs = path.isAbsolute(spec.file) ? spec.file : path.join(repoRoot, spec.file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw new UserError(`black box ${name}: cannot read ${spec.file}; give a path from the repository root`);
  }
  const moduleName = spec.module ?? name;
  const headers = parseVerilogHeaders(text, spec.file, spec.params ?? {});
  const header = headers.find((h) => h.name === moduleName);
  if (!header) {
    fail(loc, 'unknown-port', `black box ${name}: module ${moduleName} is not in ${spec.file} (found: ${headers.map((h) => h.name).join(', ') || 'none'})`);
  }

  // The ports live in a builder that is never emitted: they only give the io its signals.
  const m = new ModuleBuilder(name, loc);
  let io: unknown;
  if ('ports' in spec) {
    io = spec.ports(m);
  } else {
    const plain: Record<string, unknown> = {};
    for (const [port, type] of Object.entries(spec.inputs)) plain[port] = m.input(port, type);
    for (const [port, type] of Object.entries(spec.outputs)) plain[port] = m.output(port, type);
    io = plain;
  }
  m.seal();
  const ports: PortInfo[] = m.ports.map((p) => ({ name: p.name, direction: p.kind === 'input' ? 'input' : 'output', type: p.type, loc }));
  const diagnostics = matchHeader(name, ports, spec, header, loc);
  if (diagnostics.length) throw new DesignError(diagnostics);
  const def: ModuleDef<any> = {
    kind: 'blackbox',
    name: moduleName,
    io,
    ports,
    loc,
    params: {},
    verilogParams: spec.params ?? {},
  };
  blackBoxInfo.set(def, {
    file: spec.file,
    clock: spec.clock,
    reset: spec.reset ? { port: spec.reset.port, activeLow: spec.reset.activeLow ?? false } : undefined,
  });
  return def;
}

function fail(loc: SourceLoc, kind: Diagnostic['kind'], message: string): never {
  throw new DesignError([{ severity: 'error', kind, loc, message }]);
}

/** Every disagreement between the declared ports and the parsed header, one diagnostic each. */
function matchHeader(name: string, ports: readonly PortInfo[], spec: BlackBoxCommon, header: ModuleHeader, loc: SourceLoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (kind: Diagnostic['kind'], message: string): void => {
    out.push({ severity: 'error', kind, loc, message: `black box ${name}: ${message}` });
  };
  const where = (line: number): string => `${header.file}:${line}`;
  const byName = new Map(header.ports.map((p) => [p.name, p]));
  const declared = new Map<string, { dir: 'input' | 'output'; type?: Ground }>();
  for (const p of ports) declared.set(p.name, { dir: p.direction, type: p.type });
  if (spec.clock) declared.set(spec.clock, { dir: 'input' });
  if (spec.reset) declared.set(spec.reset.port, { dir: 'input' });

  for (const [port, want] of declared) {
    const have = byName.get(port);
    if (!have) {
      err('unknown-port', `port ${port} is not a port of ${header.name} (${where(header.line)}); its ports are ${header.ports.map((p) => p.name).join(', ')}`);
      continue;
    }
    if (have.direction !== want.dir) {
      err('unknown-port', `port ${port} is declared as an ${want.dir} but is an ${have.direction} in ${where(have.line)}`);
      continue;
    }
    const width = want.type?.width ?? 1;
    if (have.width !== width) {
      err('width', `port ${port} is declared ${want.type ?? 'as a 1-bit clock/reset'} but is ${have.width} bits wide in ${where(have.line)} (after parameter overrides)`);
    }
  }
  for (const p of header.ports) {
    if (!declared.has(p.name)) {
      err('unconnected-port', `${p.direction} ${p.name} of ${header.name} (${where(p.line)}) is not declared; list it in inputs/outputs${p.direction === 'inout' ? ' (inout ports cannot be driven from the DSL)' : ''}`);
    }
  }
  return out;
}
