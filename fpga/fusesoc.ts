/**
 * The FuseSoC CAPI2 core file of a design (<top>.core): filesets for the
 * sources, the place-and-route harness and the constraints, and targets for
 * lint (Verilator), each iCE40 device (icestorm flow) and each Artix-7 device
 * (vivado flow). Keys and nesting follow FuseSoC's CAPI2 JSON schema
 * (fusesoc/capi2/json_schema.py); flow options are the same as the EDAM's
 * (edam.ts), so `fusesoc run` and `edalize/run.py` build the same thing.
 * Paths are relative to the core file, which FuseSoC resolves itself.
 */
import { edam, type EdamInput } from './edam.ts';
import { harnessModuleName } from './io-harness.ts';
import type { Device } from './targets.ts';

export interface CapiFileset {
  files: string[];
  file_type: string;
}

export interface CapiTarget {
  description?: string;
  filesets: string[];
  flow?: string;
  flow_options?: Record<string, unknown>;
  toplevel: string;
  parameters?: string[];
}

export interface CapiCore {
  name: string;
  description: string;
  filesets: Record<string, CapiFileset>;
  targets: Record<string, CapiTarget>;
  parameters?: Record<string, { datatype: 'int' | 'str'; paramtype: 'vlogparam'; default: number | string }>;
}

/** VLNV of a design: vendor:library:name:version. */
export function coreName(top: string): string {
  return `sparsegrad:engine:${top}:0`;
}

export function corePath(top: string): string {
  return `${top}.core`;
}

export function capiCore(d: EdamInput, devices: Device[]): CapiCore {
  const filesets: Record<string, CapiFileset> = {
    rtl: { files: d.rtl, file_type: 'verilogSource-2005' },
    harness: { files: [d.harness], file_type: 'verilogSource-2005' },
  };
  const params = Object.keys(d.parameters);
  const withParams = params.length ? { parameters: params } : {};
  const targets: Record<string, CapiTarget> = {
    default: { filesets: ['rtl'], toplevel: d.top, ...withParams },
    lint: { description: 'Verilator lint of the design alone', filesets: ['rtl'], flow: 'lint', flow_options: { tool: 'verilator' }, toplevel: d.top, ...withParams },
  };
  for (const dev of devices) {
    const e = edam(dev, d);
    const sets = ['rtl', 'harness'];
    if (dev.target === 'ice40' && d.board?.device === dev.name) {
      filesets.board = { files: [`constraints/${d.board.name}.pcf`], file_type: 'PCF' };
      sets.push('board');
    }
    if (dev.target === 'xilinx7') {
      filesets.harness_xdc = { files: [`constraints/${harnessModuleName(d.top)}.xdc`], file_type: 'xdc' };
      sets.push('harness_xdc');
    }
    targets[`${dev.target === 'ice40' ? 'ice40' : 'vivado'}_${dev.name}`] = {
      description: `${dev.label}: bitstream of the place-and-route harness around ${d.top}`,
      filesets: sets,
      flow: dev.target === 'ice40' ? 'icestorm' : 'vivado',
      flow_options: e.flow_options,
      toplevel: e.toplevel,
      ...withParams,
    };
  }
  const core: CapiCore = {
    name: coreName(d.top),
    description: `${d.top}, written by sparsegrad fpga`,
    filesets,
    targets,
  };
  if (params.length) {
    core.parameters = Object.fromEntries(
      Object.entries(d.parameters).map(([k, v]) => [k, { datatype: typeof v === 'number' ? ('int' as const) : ('str' as const), paramtype: 'vlogparam' as const, default: v }]),
    );
  }
  return core;
}

/**
 * Block-style YAML of plain data (objects, arrays, strings, numbers,
 * booleans). Strings are always double-quoted JSON strings, which YAML reads
 * back unchanged, so no value can be mistaken for a number, a boolean or a key.
 */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  const scalar = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const isScalar = (v: unknown) => v === null || typeof v !== 'object';
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`;
    return value.map((v) => (isScalar(v) ? `${pad}- ${scalar(v)}\n` : `${pad}-\n${toYaml(v, indent + 2)}`)).join('');
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        if (isScalar(v)) return `${pad}${k}: ${scalar(v)}\n`;
        if (Array.isArray(v) && v.length === 0) return `${pad}${k}: []\n`;
        return `${pad}${k}:\n${toYaml(v, indent + 2)}`;
      })
      .join('');
  }
  return `${pad}${scalar(value)}\n`;
}

export function coreFile(d: EdamInput, devices: Device[]): string {
  const head = ['CAPI=2:', `# FuseSoC core of ${d.top}, written by sparsegrad fpga. Use from this folder: fusesoc --cores-root . run --target=<target> ${coreName(d.top)}`];
  return head.join('\n') + '\n' + toYaml(capiCore(d, devices));
}
