/**
 * The files of one design's FPGA bundle: sources, file list, FuseSoC core,
 * EDAM descriptions, constraints, Vivado/Yosys/nextpnr scripts, C header and
 * driver, instantiation template. Every path inside
 * a bundle is relative to the design folder, so the folder can be moved or
 * handed over as it is. Pure functions returning text: writing and running
 * happen in flow.ts.
 */
import { basename } from 'node:path';
import { UserError } from '../util/errors.ts';
import { emitHarness, harnessModuleName, type TopPort } from './io-harness.ts';
import { harnessXdc, pcf, sdc, xdc } from './constraints.ts';
import { edam, edamPath, edalizeRunner, harnessXdcPath, type EdamInput } from './edam.ts';
import { coreFile, corePath } from './fusesoc.ts';
import { cDriverHeader, cDriverPaths, cDriverSource, cHeaderPath, cRegisterHeader } from './c-driver.ts';
import { instantiationPath, instantiationTemplate } from './instantiation.ts';
import { engineScript, harnessScript, modulesScript } from './synth.ts';
import { nextpnrArgs, nextpnrScript } from './pnr.ts';
import { devicesFor, type Board, type Device, type TargetName } from './targets.ts';

export interface DesignSpec {
  /** 'sparse' and 'dense' are compared side by side in the report. */
  role: 'sparse' | 'dense' | 'design';
  top: string;
  /** Absolute paths of the Verilog sources. */
  files: string[];
  ports: TopPort[];
  /** Verilog parameters of the top to override (usually none: presets are emitted as constants). */
  parameters: Record<string, number | string>;
  /** Where the sources came from, for the README and manifest. */
  origin: string;
}

export interface BundleSettings {
  target: TargetName;
  devices: Device[];
  clockMHz: number;
  board?: Board;
  /** nextpnr's placement seed (default PNR_SEED): Fmax at ~96 % fill moves by MHz from seed to seed. */
  seed?: number;
}

export interface BundleFile {
  path: string;
  text: string;
  executable?: boolean;
}

export function rtlPath(file: string): string {
  return `rtl/${basename(file)}`;
}

export function checkUniqueBasenames(files: string[]): void {
  const seen = new Map<string, string>();
  for (const f of files) {
    const b = basename(f);
    const prev = seen.get(b);
    if (prev) throw new UserError(`two sources share the file name '${b}' (${prev} and ${f}); the bundle keeps sources in one rtl/ folder, so rename one`);
    seen.set(b, f);
  }
}

/** The iCE40 and Artix-7 devices every bundle has EDAMs, FuseSoC targets and (Artix-7) Vivado scripts for, whatever was measured here. */
export function handoffDevices(): Device[] {
  return [...devicesFor('ice40'), ...devicesFor('xilinx7')];
}

export function vivadoTclPath(device: Device): string {
  return `vivado/${device.name}.tcl`;
}

export function vivadoTcl(d: DesignSpec, rtl: string[], device: Device): string {
  const generics = Object.entries(d.parameters).map(([k, v]) => ` -generic ${k}=${v}`).join('');
  return [
    `# Vivado non-project flow for ${d.top} on ${device.label}: read, synthesise, place, route, report.`,
    '# Out of context: the engine is an IP block whose AXI ports connect to the rest of a design,',
    '# so no I/O buffers are inserted and the port count is not limited by the package.',
    `# Run: vivado -mode batch -source ${vivadoTclPath(device)}   (from the design folder or anywhere else)`,
    'set root [file dirname [file dirname [file normalize [info script]]]]',
    `set part ${device.part}`,
    `set out $root/build/${device.name}/vivado`,
    'file mkdir $out',
    ...rtl.map((f) => `read_verilog $root/${f}`),
    `read_xdc -mode out_of_context $root/constraints/${d.top}.xdc`,
    `synth_design -top ${d.top} -part $part -mode out_of_context${generics}`,
    'write_checkpoint -force $out/post_synth.dcp',
    'report_utilization -file $out/post_synth_utilization.rpt',
    'opt_design',
    'place_design',
    'phys_opt_design',
    'route_design',
    'write_checkpoint -force $out/post_route.dcp',
    'report_utilization -file $out/post_route_utilization.rpt',
    'report_utilization -hierarchical -file $out/post_route_utilization_hier.rpt',
    'report_timing_summary -max_paths 10 -report_unconstrained -file $out/post_route_timing_summary.rpt',
    'report_timing -sort_by group -max_paths 1 -input_pins -file $out/critical_path.rpt',
    '',
  ].join('\n');
}

export function fileList(rtl: string[]): string {
  return rtl.join('\n') + '\n';
}

/** Every file of one design's bundle, relative to its folder. */
export function designBundle(d: DesignSpec, s: BundleSettings): BundleFile[] {
  checkUniqueBasenames(d.files);
  const rtl = d.files.map(rtlPath);
  const harness = `harness/${harnessModuleName(d.top)}.v`;
  const handoff = handoffDevices();
  const edamInput: EdamInput = { top: d.top, rtl, harness, parameters: d.parameters, clockMHz: s.clockMHz, ...(s.board ? { board: s.board } : {}), ...(s.seed !== undefined ? { seed: s.seed } : {}) };
  const driver = cDriverPaths(d.top);
  const out: BundleFile[] = [
    { path: `${d.top}.f`, text: fileList(rtl) },
    { path: corePath(d.top), text: coreFile(edamInput, handoff) },
    { path: `constraints/${d.top}.sdc`, text: sdc(d, s.clockMHz) },
    { path: `constraints/${d.top}.xdc`, text: xdc(d, s.clockMHz) },
    { path: harnessXdcPath(d.top), text: harnessXdc(d, s.clockMHz) },
    { path: harness, text: emitHarness(d.top, d.ports) },
    { path: instantiationPath(d.top), text: instantiationTemplate(d.top, d.ports) },
    { path: cHeaderPath(d.top), text: cRegisterHeader(d.top) },
    { path: driver.header, text: cDriverHeader(d.top) },
    { path: driver.source, text: cDriverSource(d.top) },
    { path: 'edalize/run.py', text: edalizeRunner(handoff), executable: true },
  ];
  for (const dev of handoff) {
    out.push({ path: edamPath(dev), text: JSON.stringify(edam(dev, edamInput), null, 2) + '\n' });
    if (dev.target === 'xilinx7') out.push({ path: vivadoTclPath(dev), text: vivadoTcl(d, rtl, dev) });
  }
  if (s.board) out.push({ path: `constraints/${s.board.name}.pcf`, text: pcf(d, s.board) });
  for (const dev of s.devices) {
    out.push({ path: `yosys/${dev.name}.ys`, text: engineScript(dev, d.top, rtl, d.parameters) });
    out.push({ path: `yosys/${dev.name}-modules.ys`, text: modulesScript(dev, d.top, rtl, d.parameters) });
    if (dev.nextpnrArgs) {
      out.push({ path: `yosys/${dev.name}-harness.ys`, text: harnessScript(dev, d.top, harness, harnessModuleName(d.top)) });
      out.push({ path: `nextpnr/${dev.name}.sh`, text: nextpnrScript(dev, s.clockMHz, s.board, harnessModuleName(d.top), s.seed), executable: true });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The nextpnr command line of a device, as printed in the README. */
export function nextpnrCommandLine(d: DesignSpec, dev: Device, s: BundleSettings): string {
  return `nextpnr-ice40 ${nextpnrArgs(dev, s.clockMHz, s.board, harnessModuleName(d.top), s.seed).join(' ')}`;
}
