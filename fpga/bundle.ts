/**
 * The files of one design's FPGA bundle: sources, file list, EDAM
 * description, constraints, Vivado/Yosys/nextpnr scripts. Every path inside
 * a bundle is relative to the design folder, so the folder can be moved or
 * handed over as it is. Pure functions returning text: writing and running
 * happen in flow.ts.
 */
import { basename } from 'node:path';
import { UserError } from '../util/errors.ts';
import { emitHarness, harnessModuleName, planHarness, type TopPort } from './io-harness.ts';
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

function period(clockMHz: number): string {
  return (1000 / clockMHz).toFixed(3);
}

function clockPort(d: DesignSpec): string {
  return planHarness(d.top, d.ports).clock;
}

export function sdc(d: DesignSpec, clockMHz: number): string {
  const clk = clockPort(d);
  return [
    `# Clock constraint for ${d.top} (SDC: Radiant, iCEcube2, OpenSTA, Quartus-style flows)`,
    `create_clock -name ${clk} -period ${period(clockMHz)} [get_ports ${clk}]`,
    // All I/O is AXI, synchronous to the same clock; budget half the period on each side of the boundary.
    `set_input_delay -clock ${clk} ${(500 / clockMHz).toFixed(3)} [remove_from_collection [all_inputs] [get_ports ${clk}]]`,
    `set_output_delay -clock ${clk} ${(500 / clockMHz).toFixed(3)} [all_outputs]`,
    '',
  ].join('\n');
}

export function xdc(d: DesignSpec, clockMHz: number): string {
  const clk = clockPort(d);
  return [
    `# Clock constraint for ${d.top} (Vivado, out-of-context: the AXI ports stay ports, no I/O buffers)`,
    `create_clock -period ${period(clockMHz)} -name ${clk} [get_ports ${clk}]`,
    // Out of context, Vivado needs to be told the clock arrives on a global buffer, or it times the clock tree as I/O.
    `set_property HD.CLK_SRC BUFGCTRL_X0Y0 [get_ports ${clk}]`,
    `set_input_delay -clock ${clk} ${(500 / clockMHz).toFixed(3)} [get_ports -filter {DIRECTION == IN && NAME != ${clk}}]`,
    `set_output_delay -clock ${clk} ${(500 / clockMHz).toFixed(3)} [get_ports -filter {DIRECTION == OUT}]`,
    '',
  ].join('\n');
}

/** PCF for the place-and-route harness top on a named board. */
export function pcf(d: DesignSpec, board: Board): string {
  const plan = planHarness(d.top, d.ports);
  const L = [`# ${board.name}: pins of ${plan.module} (the place-and-route harness around ${d.top})`];
  L.push(`set_io ${plan.clock} ${board.pins.clk}`);
  if (plan.reset) L.push(`set_io ${plan.reset} ${board.pins.rst}`);
  L.push(`set_io scan_in ${board.pins.scanIn}`, `set_io scan_en ${board.pins.scanEn}`, `set_io scan_out ${board.pins.scanOut}`, '');
  return L.join('\n');
}

export function xilinxPart(devices: Device[]): string {
  return (devices.find((d) => d.part) ?? devicesFor('xilinx7')[0]!).part!;
}

export function vivadoTcl(d: DesignSpec, rtl: string[], part: string): string {
  const generics = Object.entries(d.parameters).map(([k, v]) => ` -generic ${k}=${v}`).join('');
  return [
    `# Vivado non-project flow for ${d.top}: read, synthesise, place, route, report.`,
    '# Out of context: the engine is an IP block whose AXI ports connect to the rest of a design,',
    '# so no I/O buffers are inserted and the port count is not limited by the package.',
    '# Run: vivado -mode batch -source vivado/build.tcl   (from the design folder or anywhere else)',
    'set root [file dirname [file dirname [file normalize [info script]]]]',
    `set part ${part}`,
    'set out $root/build/vivado',
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

/** EDAM as edalize reads it: files with file_type, toplevel, parameters, tool_options. */
export function edam(d: DesignSpec, rtl: string[], s: BundleSettings): unknown {
  const ice40 = s.devices.filter((x) => x.target === 'ice40');
  const files: Array<{ name: string; file_type: string }> = rtl.map((f) => ({ name: f, file_type: 'verilogSource-2005' }));
  files.push({ name: `constraints/${d.top}.sdc`, file_type: 'SDC' }, { name: `constraints/${d.top}.xdc`, file_type: 'xdc' });
  if (s.board) files.push({ name: `constraints/${s.board.name}.pcf`, file_type: 'PCF' });
  const parameters = Object.fromEntries(
    Object.entries(d.parameters).map(([k, v]) => [k, { datatype: typeof v === 'number' ? 'int' : 'str', paramtype: 'vlogparam', default: v }]),
  );
  const tool_options: Record<string, unknown> = {
    vivado: { part: xilinxPart(s.devices) },
    yosys: { arch: s.target === 'xilinx7' ? 'xilinx' : s.target === 'ice40' ? 'ice40' : 'generic' },
  };
  const first = ice40[0];
  if (first) {
    tool_options.icestorm = {
      pnr: 'next',
      yosys_synth_options: first.yosysSynth.split(' ').slice(1),
      nextpnr_options: [...first.nextpnrArgs!, '--freq', String(s.clockMHz)],
    };
  }
  return { name: d.top, toplevel: d.top, files, parameters, tool_options };
}

export function fileList(rtl: string[]): string {
  return rtl.join('\n') + '\n';
}

/** Every file of one design's bundle, relative to its folder. */
export function designBundle(d: DesignSpec, s: BundleSettings): BundleFile[] {
  checkUniqueBasenames(d.files);
  const rtl = d.files.map(rtlPath);
  const harness = `harness/${harnessModuleName(d.top)}.v`;
  const out: BundleFile[] = [
    { path: `${d.top}.f`, text: fileList(rtl) },
    { path: `${d.top}.edam.json`, text: JSON.stringify(edam(d, rtl, s), null, 2) + '\n' },
    { path: `constraints/${d.top}.sdc`, text: sdc(d, s.clockMHz) },
    { path: `constraints/${d.top}.xdc`, text: xdc(d, s.clockMHz) },
    { path: 'vivado/build.tcl', text: vivadoTcl(d, rtl, xilinxPart(s.devices)) },
    { path: harness, text: emitHarness(d.top, d.ports) },
  ];
  if (s.board) out.push({ path: `constraints/${s.board.name}.pcf`, text: pcf(d, s.board) });
  for (const dev of s.devices) {
    out.push({ path: `yosys/${dev.name}.ys`, text: engineScript(dev, d.top, rtl, d.parameters) });
    out.push({ path: `yosys/${dev.name}-modules.ys`, text: modulesScript(dev, d.top, rtl, d.parameters) });
    if (dev.nextpnrArgs) {
      out.push({ path: `yosys/${dev.name}-harness.ys`, text: harnessScript(dev, d.top, harness, harnessModuleName(d.top)) });
      out.push({ path: `nextpnr/${dev.name}.sh`, text: nextpnrScript(dev, s.clockMHz, s.board, harnessModuleName(d.top)), executable: true });
    }
  }
  return out;
}

/** The nextpnr command line of a device, as printed in the README. */
export function nextpnrCommandLine(d: DesignSpec, dev: Device, s: BundleSettings): string {
  return `nextpnr-ice40 ${nextpnrArgs(dev, s.clockMHz, s.board, harnessModuleName(d.top)).join(' ')}`;
}
