/**
 * EDAM descriptions for Edalize, one per device (edalize/<device>.edam.json),
 * and the script that hands one to Edalize (edalize/run.py).
 *
 * Structure and option names follow Edalize's EDAM documentation
 * (doc/edam/api.rst) and the TOOL_OPTIONS / FLOW_OPTIONS of its back ends
 * (edalize/tools/{yosys,nextpnr,icetime,vivado}.py, edalize/flows/{icestorm,vivado}.py):
 *   - file names are relative to the working directory Edalize runs in, which
 *     run.py sets to build/edalize/<device>[-<back end>] (three levels below
 *     the design folder);
 *   - `flow_options` serve the flow API, `tool_options.<back end>` the legacy
 *     tool API (icestorm, yosys, vivado), with the same values;
 *   - the toplevel is a top that fits a package: the place-and-route harness,
 *     not the engine with its thousand-odd port bits.
 * The generic target gets none: Edalize has no technology-independent
 * synthesis flow (its Yosys back end runs synth_<arch>, and Yosys has no
 * synth_generic).
 */
import { harnessModuleName } from './io-harness.ts';
import { PNR_SEED } from './pnr.ts';
import type { Board, Device, TargetName } from './targets.ts';

/** From a work root build/edalize/<device>[-<back end>] back to the design folder. */
export const EDALIZE_WORK_ROOT_UP = '../../../';

export interface EdamFile {
  name: string;
  file_type: string;
}

export interface Edam {
  name: string;
  toplevel: string;
  files: EdamFile[];
  parameters: Record<string, { datatype: 'int' | 'str'; paramtype: 'vlogparam'; default: number | string }>;
  flow_options: Record<string, unknown>;
  tool_options: Record<string, Record<string, unknown>>;
}

/** The Edalize flow that builds a device's EDAM with the flow API. */
export const EDALIZE_FLOW: Partial<Record<TargetName, string>> = { ice40: 'icestorm', xilinx7: 'vivado' };
/** The legacy tool API back ends a device's EDAM has tool_options for. */
export const EDALIZE_BACKENDS: Partial<Record<TargetName, string[]>> = { ice40: ['icestorm', 'yosys'], xilinx7: ['vivado', 'yosys'] };

export interface EdamInput {
  top: string;
  /** Bundle paths of the Verilog sources (rtl/…). */
  rtl: string[];
  /** Bundle path of the place-and-route harness. */
  harness: string;
  parameters: Record<string, number | string>;
  clockMHz: number;
  board?: Board;
  seed?: number;
}

export function edamPath(device: Device): string {
  return `edalize/${device.name}.edam.json`;
}

export function harnessXdcPath(top: string): string {
  return `constraints/${harnessModuleName(top)}.xdc`;
}

export function hasEdam(device: Device): boolean {
  return EDALIZE_FLOW[device.target] !== undefined;
}

function fromWorkRoot(path: string): string {
  return EDALIZE_WORK_ROOT_UP + path;
}

/** The options Yosys's synth_<arch> gets in the bundle's own scripts, without the command and -flatten's defaults. */
function synthOptions(device: Device): string[] {
  return device.yosysSynth.split(' ').slice(1);
}

export function nextpnrOptions(device: Device, clockMHz: number, seed = PNR_SEED): string[] {
  return [...device.nextpnrArgs!, '--freq', String(clockMHz), '--seed', String(seed), '--timing-allow-fail'];
}

export function edam(device: Device, d: EdamInput): Edam {
  const flow = EDALIZE_FLOW[device.target];
  if (!flow) throw new Error(`no Edalize flow for ${device.name}`);
  const files: EdamFile[] = [...d.rtl, d.harness].map((f) => ({ name: fromWorkRoot(f), file_type: 'verilogSource-2005' }));
  let options: Record<string, unknown>;
  let tools: Record<string, Record<string, unknown>>;
  if (device.target === 'ice40') {
    if (d.board?.device === device.name) files.push({ name: fromWorkRoot(`constraints/${d.board.name}.pcf`), file_type: 'PCF' });
    options = {
      pnr: 'next',
      yosys_synth_options: synthOptions(device),
      nextpnr_options: nextpnrOptions(device, d.clockMHz, d.seed),
      icetime_options: ['-d', device.name, '-P', device.packageName, '-t'],
    };
    tools = {
      icestorm: options,
      yosys: { arch: 'ice40', output_format: 'json', yosys_synth_options: synthOptions(device) },
    };
  } else {
    files.push({ name: fromWorkRoot(harnessXdcPath(d.top)), file_type: 'xdc' });
    options = { part: device.part! };
    tools = {
      vivado: options,
      // -flatten and -noiopad belong to the out-of-context area run; a chip needs its I/O buffers.
      yosys: { arch: 'xilinx', output_format: 'edif', yosys_synth_options: ['-family', 'xc7'] },
    };
  }
  const parameters = Object.fromEntries(
    Object.entries(d.parameters).map(([k, v]) => [k, { datatype: typeof v === 'number' ? ('int' as const) : ('str' as const), paramtype: 'vlogparam' as const, default: v }]),
  );
  return { name: `${d.top}_${device.name}`, toplevel: harnessModuleName(d.top), files, parameters, flow_options: options, tool_options: tools };
}

/**
 * edalize/run.py: configure and build one device's EDAM, with the flow API or
 * with a named legacy back end. Python because Edalize is a Python library.
 */
export function edalizeRunner(devices: Device[]): string {
  const flows = devices.filter(hasEdam).map((d) => `    "${d.name}": ("${EDALIZE_FLOW[d.target]}", [${EDALIZE_BACKENDS[d.target]!.map((b) => `"${b}"`).join(', ')}]),`);
  return [
    '#!/usr/bin/env python3',
    '"""Configure and build a device\'s EDAM with Edalize (pip install edalize).',
    '',
    'Written by `sparsegrad fpga`. Run from anywhere:',
    '  python3 edalize/run.py DEVICE            the flow API (icestorm for iCE40, vivado for Xilinx 7-series)',
    '  python3 edalize/run.py DEVICE BACKEND    a legacy tool API back end: icestorm or yosys (iCE40), vivado or yosys (Xilinx)',
    'Outputs go to build/edalize/DEVICE[-BACKEND]/; the EDAM\'s file names are relative to it.',
    'Add --configure-only to write the Makefile and scripts without running the tools.',
    '"""',
    'import json',
    'import os',
    'import sys',
    '',
    '# device: (flow of the flow API, back ends of the legacy tool API)',
    'FLOWS = {',
    ...flows,
    '}',
    '',
    'args = [a for a in sys.argv[1:] if a != "--configure-only"]',
    'build = "--configure-only" not in sys.argv[1:]',
    'if len(args) not in (1, 2) or args[0] not in FLOWS or (len(args) == 2 and args[1] not in FLOWS[args[0]][1]):',
    '    sys.exit("usage: run.py DEVICE [BACKEND] [--configure-only]; DEVICE BACKEND is one of: "',
    '             + ", ".join(d + " [" + "|".join(b) + "]" for d, (_, b) in FLOWS.items()))',
    'device, backend = args[0], (args[1] if len(args) == 2 else None)',
    'flow_name = FLOWS[device][0]',
    'design = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))',
    'with open(os.path.join(design, "edalize", device + ".edam.json")) as f:',
    '    edam = json.load(f)',
    'work = os.path.join(design, "build", "edalize", device + ("-" + backend if backend else ""))',
    'os.makedirs(work, exist_ok=True)',
    'if backend:',
    '    from edalize.edatool import get_edatool',
    '',
    '    tool = get_edatool(backend)(edam=edam, work_root=work)',
    '    tool.configure()',
    '    if build:',
    '        tool.build()',
    'else:',
    '    from importlib import import_module',
    '',
    '    flow = getattr(import_module("edalize.flows." + flow_name), flow_name.capitalize())(edam, work)',
    '    flow.configure()',
    '    if build:',
    '        flow.build()',
    '',
  ].join('\n');
}
