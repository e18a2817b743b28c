/**
 * The three checks every emitted design goes through, with structured diagnostics.
 *
 * API
 *   lintVerilator(files, top, opts?)  verilator --lint-only -Wall (no waivers): any warning fails
 *   checkIverilog(files, top, opts?)  iverilog -g2005 elaboration; warnings are reported, not fatal
 *   synthYosys(files, top, opts?)     yosys read_verilog + synth / synth_ice40 / synth_xilinx,
 *                                     returns the `stat -json` figures of the top
 * Each resolves with { diagnostics, log } when the tool accepts the design and
 * otherwise throws a ToolCheckError (a UserError) whose message is the tool's
 * first error line and which carries every diagnostic. Missing tools throw the
 * one-line "not installed" UserError of requireTool.
 * opts: { includeDirs?: string[]; defines?: Record<string, string>; parameters?: Record<string, number | bigint | string> }
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { runTool, type ToolName } from './tools.ts';

export interface Diagnostic {
  tool: ToolName;
  severity: 'error' | 'warning';
  /** Verilator's warning class (WIDTH, UNUSEDSIGNAL, ...), when the tool names one. */
  code?: string;
  file?: string;
  line?: number;
  col?: number;
  message: string;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  log: string;
}

export class ToolCheckError extends UserError {
  constructor(
    message: string,
    readonly tool: ToolName,
    readonly diagnostics: Diagnostic[],
    readonly log: string,
  ) {
    super(message);
  }
}

export interface HdlOptions {
  includeDirs?: string[];
  defines?: Record<string, string>;
  parameters?: Record<string, number | bigint | string>;
}

function paramLiteral(v: number | bigint | string): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** `%Warning-WIDTH: f.v:3:12: text` / `%Error: f.v:2:14: text` / `%Error: text` */
export function parseVerilatorOutput(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of text.split('\n')) {
    const m = /^%(Warning|Error)(?:-([A-Z0-9_]+))?: (.*)$/.exec(line);
    if (!m) continue;
    const rest = m[3]!;
    // Verilator's own summary lines carry no information beyond the diagnostics above them.
    if (/^Exiting due to \d+/.test(rest)) continue;
    const loc = /^(.+?):(\d+):(\d+): (.*)$/.exec(rest);
    out.push({
      tool: 'verilator',
      severity: m[1] === 'Error' ? 'error' : 'warning',
      ...(m[2] ? { code: m[2] } : {}),
      ...(loc ? { file: loc[1], line: Number(loc[2]), col: Number(loc[3]), message: loc[4]! } : { message: rest }),
    });
  }
  return out;
}

/** `f.v:2: error: text`, `f.v:2: syntax error`, `f.v:2: warning: text`, `f.v:2: Warning: ...` */
export function parseIverilogOutput(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.+?):(\d+): (?:(error|warning|sorry)[:]? ?)?(.*)$/i.exec(line);
    if (m && !/^I give up/.test(m[4]!)) {
      const kind = (m[3] ?? '').toLowerCase();
      const isSyntax = /^syntax error/.test(m[4]!);
      if (!kind && !isSyntax) continue;
      out.push({
        tool: 'iverilog',
        severity: kind === 'warning' ? 'warning' : 'error',
        file: m[1],
        line: Number(m[2]),
        message: m[4]!.trim(),
      });
    } else {
      const bare = /^(error|warning): (.*)$/i.exec(line);
      if (bare) out.push({ tool: 'iverilog', severity: bare[1]!.toLowerCase() as 'error' | 'warning', message: bare[2]!.trim() });
    }
  }
  return out;
}

/**
 * Yosys prints `ERROR: text`, `Warning: text`, and for front-end errors
 * `f.v:2: ERROR: text`; a location may also sit inside the text (`f.v:3.5-3.9: ...`).
 */
export function parseYosysOutput(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:(.+?):(\d+): )?(ERROR|Warning): (.*)$/.exec(line);
    if (!m) continue;
    const severity = m[3] === 'ERROR' ? 'error' : 'warning';
    if (m[1]) {
      out.push({ tool: 'yosys', severity, file: m[1], line: Number(m[2]), message: m[4]! });
      continue;
    }
    const loc = /^(.+?):(\d+)(?:\.(\d+)(?:-\d+\.\d+)?)?: (.*)$/.exec(m[4]!);
    out.push({
      tool: 'yosys',
      severity,
      ...(loc ? { file: loc[1], line: Number(loc[2]), ...(loc[3] ? { col: Number(loc[3]) } : {}), message: loc[4]! } : { message: m[4]! }),
    });
  }
  return out;
}

function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}:${d.line ?? '?'}${d.col ? `:${d.col}` : ''}: ` : '';
  return `${d.tool}: ${where}${d.code ? `${d.code}: ` : ''}${d.message}`;
}

function failure(tool: ToolName, diagnostics: Diagnostic[], log: string, fatal: (d: Diagnostic) => boolean): never {
  const first = diagnostics.find(fatal);
  const headline = first
    ? formatDiagnostic(first)
    : `${tool}: ${log.split('\n').find((l) => l.trim()) ?? 'failed without a message'}`;
  const more = diagnostics.filter(fatal).length - 1;
  throw new ToolCheckError(more > 0 ? `${headline} (and ${more} more)` : headline, tool, diagnostics, log);
}

function requireFiles(files: readonly string[]): void {
  if (files.length === 0) throw new UserError('no Verilog files given to check: pass at least one .v file');
}

export async function lintVerilator(files: readonly string[], top: string, opts: HdlOptions = {}): Promise<CheckResult> {
  requireFiles(files);
  const args = ['--lint-only', '-Wall', '--top-module', top];
  for (const d of opts.includeDirs ?? []) args.push(`-I${d}`);
  for (const [k, v] of Object.entries(opts.defines ?? {})) args.push(`+define+${k}=${v}`);
  for (const [k, v] of Object.entries(opts.parameters ?? {})) args.push(`-G${k}=${paramLiteral(v)}`);
  args.push(...files);
  const r = await runTool('verilator', args);
  const log = String(r.all ?? '');
  const diagnostics = parseVerilatorOutput(log);
  // -Wall with no waivers: a warning is as fatal as an error.
  if (r.exitCode !== 0 || diagnostics.length > 0) failure('verilator', diagnostics, log, () => true);
  return { diagnostics, log };
}

export async function checkIverilog(files: readonly string[], top: string, opts: HdlOptions = {}): Promise<CheckResult> {
  requireFiles(files);
  const dir = await mkdtemp(join(tmpdir(), 'sparsegrad-iverilog-'));
  try {
    const args = ['-g2005', '-Wall', '-s', top, '-o', join(dir, 'a.vvp')];
    for (const d of opts.includeDirs ?? []) args.push(`-I${d}`);
    for (const [k, v] of Object.entries(opts.defines ?? {})) args.push(`-D${k}=${v}`);
    for (const [k, v] of Object.entries(opts.parameters ?? {})) args.push(`-P${top}.${k}=${paramLiteral(v)}`);
    args.push(...files);
    const r = await runTool('iverilog', args);
    const log = String(r.all ?? '');
    const diagnostics = parseIverilogOutput(log);
    if (r.exitCode !== 0) failure('iverilog', diagnostics, log, (d) => d.severity === 'error');
    return { diagnostics, log };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 'ice40-up5k' maps products to SB_MAC16 (`-device u -dsp`); 'ice40' is the DSP-less HX/LP families. */
export type SynthTarget = 'generic' | 'ice40' | 'ice40-up5k' | 'xilinx';

export interface SynthStat {
  cells: number;
  cellsByType: Record<string, number>;
  wires: number;
  wireBits: number;
  memories: number;
  memoryBits: number;
  /** Per-module figures as Yosys reports them (module names without Yosys's leading backslash). */
  modules: Record<string, { cells: number; cellsByType: Record<string, number> }>;
}

export interface SynthResult extends CheckResult {
  target: SynthTarget;
  stat: SynthStat;
}

const SYNTH_COMMAND: Record<SynthTarget, string> = {
  generic: 'synth',
  ice40: 'synth_ice40',
  'ice40-up5k': 'synth_ice40 -device u -dsp',
  xilinx: 'synth_xilinx',
};

interface YosysStatJson {
  modules: Record<string, YosysModuleStat>;
  design?: YosysModuleStat;
}
interface YosysModuleStat {
  num_wires: number;
  num_wire_bits: number;
  num_memories: number;
  num_memory_bits: number;
  num_cells: number;
  num_cells_by_type: Record<string, number>;
}

/** Yosys script quoting: paths with spaces must be double-quoted. */
function yosysPath(p: string): string {
  return /[\s;"]/.test(p) ? `"${p.replace(/"/g, '\\"')}"` : p;
}

export async function synthYosys(
  files: readonly string[],
  top: string,
  opts: HdlOptions & { target?: SynthTarget } = {},
): Promise<SynthResult> {
  requireFiles(files);
  const target = opts.target ?? 'generic';
  const dir = await mkdtemp(join(tmpdir(), 'sparsegrad-yosys-'));
  try {
    const statFile = join(dir, 'stat.json');
    const readFlags = [
      ...(opts.includeDirs ?? []).map((d) => `-I${yosysPath(d)}`),
      ...Object.entries(opts.defines ?? {}).map(([k, v]) => `-D${k}=${v}`),
    ].join(' ');
    const script = [
      ...files.map((f) => `read_verilog ${readFlags} ${yosysPath(f)}`.replace(/\s+/g, ' ')),
      ...Object.entries(opts.parameters ?? {}).map(([k, v]) => `chparam -set ${k} ${paramLiteral(v)} ${top}`),
      `${SYNTH_COMMAND[target]} -top ${top}`,
      `tee -q -o ${yosysPath(statFile)} stat -json`,
    ].join('; ');
    const r = await runTool('yosys', ['-q', '-p', script]);
    const log = String(r.all ?? '');
    const diagnostics = parseYosysOutput(log);
    if (r.exitCode !== 0) failure('yosys', diagnostics, log, (d) => d.severity === 'error');
    const json = JSON.parse(await readFile(statFile, 'utf8')) as YosysStatJson;
    return { target, stat: toSynthStat(json), diagnostics, log };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function toSynthStat(json: YosysStatJson): SynthStat {
  const modules: SynthStat['modules'] = {};
  for (const [name, m] of Object.entries(json.modules)) {
    modules[name.replace(/^\\/, '')] = { cells: m.num_cells, cellsByType: m.num_cells_by_type ?? {} };
  }
  // "design" (the flattened sum over the hierarchy) is absent when there is a single module.
  const d = json.design ?? Object.values(json.modules)[0]!;
  return {
    cells: d.num_cells,
    cellsByType: d.num_cells_by_type ?? {},
    wires: d.num_wires,
    wireBits: d.num_wire_bits,
    memories: d.num_memories,
    memoryBits: d.num_memory_bits,
    modules,
  };
}

export { formatDiagnostic };
