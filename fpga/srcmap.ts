/**
 * Mapping a nextpnr critical path back to the TypeScript that built it.
 *
 * The DSL writes `(* src = "generator/…ts:line.col" *)` on the statements it
 * emits. Yosys keeps a user src attribute on the cells it makes from that
 * statement (joined with its own techmap locations by '|'); where it does not
 * (LUTs made by abc carry only library locations) the cell or net still names
 * the Verilog signal it came from, and the Verilog file names the TypeScript
 * line in the attribute that precedes the declaration. So each path segment is
 * resolved in this order: a .ts location in the cell's or net's src; a .v
 * location, looked up in the emitted Verilog; the longest prefix of the
 * cell/net name that is a signal of the netlist with a src attribute.
 */
import { basename } from 'node:path';
import type { NextpnrCriticalPath } from './pnr.ts';

export interface SrcLocation {
  file: string;
  line: number;
}

export interface MappedSegment {
  type: string;
  cell: string;
  net?: string;
  delayNs: number;
  /** TypeScript locations this segment's logic came from, most specific first. */
  src: string[];
}

export interface MappedPath {
  from: string;
  to: string;
  delayNs: number;
  segments: MappedSegment[];
  /** Distinct TypeScript lines along the path, in path order, with the delay spent in each. */
  sources: Array<{ src: string; delayNs: number }>;
}

const SRC_ATTR = /\(\*[^*]*\bsrc\s*=\s*"([^"]+)"[^*]*\*\)/;

/**
 * What the emitted Verilog says about TypeScript origins: per file and line,
 * the nearest preceding src attribute in the same module; per module, the src
 * of each declared signal and the module type of each instance, so a
 * hierarchical Yosys name (u_dut.u_lanes.a_ram.0.1_RDATA_8…) can be walked
 * down to the declaration it came from.
 */
export class VerilogSrcIndex {
  private readonly byFile = new Map<string, Array<string | undefined>>();
  private readonly signals = new Map<string, Map<string, string>>();
  private readonly instances = new Map<string, Map<string, string>>();

  add(fileName: string, text: string): void {
    const lines = text.split('\n');
    const table: Array<string | undefined> = [undefined];
    let current: string | undefined;
    let module: string | undefined;
    const pendingInstances: Array<[string, string, string]> = [];
    for (const line of lines) {
      const mod = /^\s*(?:\(\*.*?\*\)\s*)?module\s+(\w+)/.exec(line);
      if (mod) {
        module = mod[1]!;
        current = undefined;
        if (!this.signals.has(module)) this.signals.set(module, new Map());
      }
      if (/^\s*endmodule\b/.test(line)) current = undefined;
      const m = SRC_ATTR.exec(line);
      if (m && /\.ts:\d+/.test(m[1]!)) current = m[1];
      table.push(current);
      if (!module) continue;
      const body = line.replace(/\(\*.*?\*\)/g, '');
      const decl = /^\s*(?:reg|wire|input|output|inout)\b(?:\s+(?:wire|reg|signed))*\s*(?:\[[^\]]*\]\s*)?(\w+)/.exec(body);
      if (decl && current) this.signals.get(module)!.set(decl[1]!, current);
      const inst = /^\s*(\w+)\s+(?:#\s*\(.*\)\s*)?(\w+)\s*\($/.exec(body.trimEnd());
      if (inst && !/^(module|always|assign|if|case|for|function|task)$/.test(inst[1]!)) pendingInstances.push([module, inst[2]!, inst[1]!]);
    }
    for (const [parent, name, type] of pendingInstances) {
      if (!this.instances.has(parent)) this.instances.set(parent, new Map());
      this.instances.get(parent)!.set(name, type);
    }
    this.byFile.set(basename(fileName), table);
  }

  lookup(fileName: string, line: number): string | undefined {
    return this.byFile.get(basename(fileName))?.[line];
  }

  /** The src of the declaration a flattened Yosys name derives from, walking instances from `top`. */
  signalSrc(top: string, hierName: string): string | undefined {
    let module = top;
    const parts = hierName.split('.');
    let i = 0;
    for (; i < parts.length - 1; i++) {
      const next = this.instances.get(module)?.get(parts[i]!);
      if (!next) break;
      module = next;
    }
    const signals = this.signals.get(module);
    if (!signals) return undefined;
    // Yosys appends _SB_LUT4_O…, memory banks append .0.1; the longest declared prefix is the origin.
    const tail = parts.slice(i).join('.');
    const cuts = [...tail.matchAll(/[_.]/g)].map((x) => x.index!).reverse();
    for (const c of [tail.length, ...cuts]) {
      const s = signals.get(tail.slice(0, c));
      if (s) return s;
    }
    return undefined;
  }
}

interface NetlistModule {
  cells?: Record<string, { attributes?: Record<string, string> }>;
  netnames?: Record<string, { attributes?: Record<string, string> }>;
}

/** The src attributes of one Yosys JSON netlist's top module. */
export class NetlistSrc {
  private readonly cells = new Map<string, string>();
  private readonly nets = new Map<string, string>();

  constructor(netlistJson: string, top: string) {
    const mods = (JSON.parse(netlistJson) as { modules: Record<string, NetlistModule> }).modules;
    const m = mods[top] ?? Object.values(mods)[0] ?? {};
    for (const [n, c] of Object.entries(m.cells ?? {})) if (c.attributes?.src) this.cells.set(n, c.attributes.src);
    for (const [n, c] of Object.entries(m.netnames ?? {})) if (c.attributes?.src) this.nets.set(n, c.attributes.src);
  }

  cellSrc(packedName: string): string | undefined {
    // nextpnr names a packed logic cell after the LUT or flip-flop it absorbed.
    for (const n of [packedName, packedName.replace(/_(DFF|CARRY)?LC$/, ''), packedName.replace(/_LC$/, '')]) {
      const s = this.cells.get(n);
      if (s) return s;
    }
    return undefined;
  }

  netSrc(net: string): string | undefined {
    return this.nets.get(net) ?? this.nets.get(net.replace(/\[\d+\]$/, ''));
  }

  /**
   * Yosys derives names by appending `_SB_LUT4_O_I2…` to the signal a cell came
   * from; the src of every named prefix, longest first (the caller takes the
   * first that resolves to TypeScript).
   */
  prefixSrcs(name: string): string[] {
    const parts = name.replace(/\[\d+\]$/, '').split('_');
    const out: string[] = [];
    for (let k = parts.length - 1; k >= 1; k--) {
      const s = this.nets.get(parts.slice(0, k).join('_'));
      if (s) out.push(s);
    }
    return out;
  }
}

function parseSrcEntry(entry: string): SrcLocation | undefined {
  const m = /^(.*?):(\d+)(?:\.\d+)?(?:-\d+\.\d+)?$/.exec(entry.trim());
  return m ? { file: m[1]!, line: Number(m[2]) } : undefined;
}

/**
 * TS locations named by a Yosys src attribute value, directly or through the emitted Verilog,
 * in the order Yosys lists them: the cell's own location first, then the instance sites that
 * `flatten` appended (outermost last), so the first entry is the most specific.
 */
export function tsLocations(src: string | undefined, index: VerilogSrcIndex, designFiles: Set<string>): string[] {
  if (!src) return [];
  const out: string[] = [];
  for (const entry of src.split('|')) {
    const loc = parseSrcEntry(entry);
    if (!loc) continue;
    if (loc.file.endsWith('.ts')) out.push(`${loc.file}:${loc.line}`);
    else if (designFiles.has(basename(loc.file))) {
      const ts = index.lookup(loc.file, loc.line);
      const tl = ts && parseSrcEntry(ts);
      if (tl) out.push(`${tl.file}:${tl.line}`);
    }
  }
  return [...new Set(out)];
}

/** Path segments in the place-and-route harness rather than the design. */
export const HARNESS = '(place-and-route harness)';
/** Cells nextpnr made itself (carry-chain feed-ins, constant drivers). */
export const NEXTPNR_CELL = '(cell inserted by nextpnr)';

/** `instance`: the design's instance name in a harness netlist (cells outside it are the harness's). */
export function mapCriticalPath(cp: NextpnrCriticalPath, netlist: NetlistSrc, index: VerilogSrcIndex, designFiles: string[], instance?: string, top?: string): MappedPath {
  const declared = (name: string | undefined): string | undefined =>
    name && top ? index.signalSrc(top, instance && name.startsWith(`${instance}.`) ? name.slice(instance.length + 1) : name) : undefined;
  const files = new Set(designFiles.map((f) => basename(f)));
  const resolve = (...srcs: Array<string | undefined>): string[] => {
    for (const s of srcs) {
      const locs = tsLocations(s, index, files);
      if (locs.length) return locs;
    }
    return [];
  };
  const segments: MappedSegment[] = cp.segments.map((s) => {
    // Routing delay belongs to the net; logic and clock-to-q delay to the cell that drives it.
    const raw = s.type === 'routing' ? s.fromCell : s.toCell;
    // nextpnr inserts global buffers ($gbuf_<net>_$glb_*) and carry feed cells; a buffer belongs to the net it drives.
    const cell = raw.replace(/^\$gbuf_(.*)_\$glb_\w+$/, '$1');
    if (/^\$nextpnr_/.test(cell)) return { type: s.type, cell: raw, ...(s.net ? { net: s.net } : {}), delayNs: s.delayNs, src: [NEXTPNR_CELL] };
    const inDesign = !instance || cell.startsWith(`${instance}.`) || (s.net?.startsWith(`${instance}.`) ?? false);
    const src = !inDesign
      ? [HARNESS]
      : s.type === 'routing' && s.net
        ? resolve(netlist.netSrc(s.net), netlist.cellSrc(cell), ...netlist.prefixSrcs(s.net), ...netlist.prefixSrcs(cell), declared(s.net), declared(cell))
        : resolve(netlist.cellSrc(cell), s.net ? netlist.netSrc(s.net) : undefined, ...netlist.prefixSrcs(cell), declared(cell));
    return { type: s.type, cell, ...(s.net ? { net: s.net } : {}), delayNs: s.delayNs, src };
  });
  const sources: MappedPath['sources'] = [];
  for (const s of segments) {
    const key = s.src[0] ?? '(no source location)';
    const last = sources[sources.length - 1];
    if (last && last.src === key) last.delayNs += s.delayNs;
    else sources.push({ src: key, delayNs: s.delayNs });
  }
  return { from: cp.from, to: cp.to, delayNs: cp.delayNs, segments, sources };
}
