/**
 * Yosys synthesis as the bundle ships it: the scripts are files in the bundle
 * (relative paths, run from the design folder), and what runs here is exactly
 * those files, so an engineer can re-run them by hand and get the same netlist.
 *
 * toolchain/'s synthYosys covers lint-style checks; the FPGA flow also needs
 * device flags (-device u -dsp), the netlist JSON for place and route and the
 * src attributes, so it drives Yosys through its own scripts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseYosysOutput, runTool } from '../toolchain/index.ts';
import { UserError } from '../util/errors.ts';
import { classifyCells, type Resources } from './resources.ts';
import type { Device } from './targets.ts';
import { sanitizeLog } from './logs.ts';

export interface SynthPaths {
  /** Script paths relative to the design folder. */
  script: string;
  netlist?: string;
  stat: string;
  log: string;
}

export type SynthRun = 'engine' | 'harness' | 'modules';

export function synthPaths(device: Device, what: SynthRun): SynthPaths {
  const b = `build/${device.name}`;
  return {
    script: what === 'engine' ? `yosys/${device.name}.ys` : `yosys/${device.name}-${what}.ys`,
    netlist: device.target === 'ice40' && what !== 'modules' ? `${b}/${what}.json` : undefined,
    stat: `${b}/${what}.stat.json`,
    log: `${b}/${what}.yosys.log`,
  };
}

/** The script's title, and the shell line that makes its output folder (a copied bundle may not have it). */
function header(title: string, device: Device): string[] {
  return [`# ${title}`, '# Written by `sparsegrad fpga`; run from this design folder with: yosys -s <this file>', '', `!mkdir -p build/${device.name}`];
}

/** Synthesis of the design alone: its LUT/FF/BRAM/DSP figures come from here. */
export function engineScript(device: Device, top: string, rtlFiles: string[], parameters: Record<string, number | string>): string {
  const p = synthPaths(device, 'engine');
  const L = header(`Synthesis of ${top} for ${device.label}`, device);
  for (const f of rtlFiles) L.push(`read_verilog -defer ${f}`);
  const chparams = Object.entries(parameters).map(([k, v]) => ` -chparam ${k} ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  L.push(`hierarchy -check -top ${top}${chparams.join('')}`);
  L.push(`${device.yosysSynth} -top ${top}${p.netlist ? ` -json ${p.netlist}` : ''}`);
  L.push(...(device.yosysAfter ?? []));
  L.push(`tee -q -o ${p.stat} stat -json`);
  return L.join('\n') + '\n';
}

/**
 * The same synthesis with the hierarchy kept, for area by module: what to
 * shrink when a design does not fit. Cross-module optimisation is lost, so
 * the sum can exceed the flattened figure slightly.
 */
export function modulesScript(device: Device, top: string, rtlFiles: string[], parameters: Record<string, number | string>): string {
  const p = synthPaths(device, 'modules');
  const synth = device.yosysSynth.replace(/ -flatten\b/, '') + (device.target === 'ice40' ? ' -noflatten' : '');
  const L = header(`Synthesis of ${top} for ${device.label}, hierarchy kept (area by module)`, device);
  for (const f of rtlFiles) L.push(`read_verilog -defer ${f}`);
  const chparams = Object.entries(parameters).map(([k, v]) => ` -chparam ${k} ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  L.push(`hierarchy -check -top ${top}${chparams.join('')}`);
  L.push(`${synth} -top ${top}`);
  L.push(...(device.yosysAfter ?? []));
  L.push(`tee -q -o ${p.stat} stat -json`);
  return L.join('\n') + '\n';
}

/**
 * Synthesis of the place-and-route harness around the already-mapped design
 * netlist; reading the netlist back keeps the design's cells exactly as counted
 * and costs only the harness's own synthesis.
 */
export function harnessScript(device: Device, top: string, harnessFile: string, harnessTop: string): string {
  const e = synthPaths(device, 'engine');
  const p = synthPaths(device, 'harness');
  if (!e.netlist || !p.netlist) throw new Error(`no harness synthesis for ${device.name}`);
  const L = header(`Place-and-route harness around ${top} for ${device.label}`, device);
  L.push(`read_json ${e.netlist}`);
  L.push(`read_verilog ${harnessFile}`);
  L.push(`${device.yosysSynth} -top ${harnessTop} -json ${p.netlist}`);
  L.push(`tee -q -o ${p.stat} stat -json`);
  return L.join('\n') + '\n';
}

interface YosysStatJson {
  modules: Record<string, { num_cells_by_type?: Record<string, number> }>;
  design?: { num_cells_by_type?: Record<string, number> };
}

export interface SynthOutcome {
  resources: Resources;
  cellsByType: Record<string, number>;
  /** Per module definition (not including its submodules), when the hierarchy was kept. */
  modules: Record<string, Resources>;
  warnings: number;
}

/** Runs a bundle script from the design folder; a Yosys error becomes a one-line UserError. */
export async function runYosysScript(designDir: string, device: Device, what: SynthRun): Promise<SynthOutcome> {
  const p = synthPaths(device, what);
  const r = await runTool('yosys', ['-q', '-s', p.script], { cwd: designDir });
  const log = String(r.all ?? '');
  await writeFile(join(designDir, p.log), sanitizeLog(log));
  const diagnostics = parseYosysOutput(log);
  if (r.exitCode !== 0) {
    const first = diagnostics.find((d) => d.severity === 'error');
    const where = first?.file ? `${first.file}:${first.line}: ` : '';
    throw new UserError(`yosys failed on ${p.script} (${device.label}): ${where}${first?.message ?? log.trim().split('\n').pop()}; see ${basename(designDir)}/${p.log} in the bundle`);
  }
  const stat = JSON.parse(await readFile(join(designDir, p.stat), 'utf8')) as YosysStatJson;
  const cells = stat.design?.num_cells_by_type ?? Object.values(stat.modules)[0]?.num_cells_by_type ?? {};
  const modules: Record<string, Resources> = {};
  for (const name of Object.keys(stat.modules).sort()) modules[name.replace(/^\\/, '')] = classifyCells(device.target, stat.modules[name]!.num_cells_by_type ?? {});
  return {
    resources: classifyCells(device.target, cells),
    cellsByType: Object.fromEntries(Object.entries(cells).sort(([a], [b]) => (a < b ? -1 : 1))),
    modules,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}
