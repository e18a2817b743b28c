/**
 * What Edalize and FuseSoC require of the bundle's handoff files, written down
 * from their sources so the tests can check the files without the Python
 * packages (PyPI is out of reach here):
 *   - Edalize at commit 7014995: doc/edam/api.rst (EDAM), the TOOL_OPTIONS of
 *     edalize/tools/{yosys,nextpnr,icepack,icetime,vivado}.py, the FLOW_OPTIONS
 *     of edalize/flows/{edaflow,icestorm,vivado}.py, and get_doc of the legacy
 *     back ends edalize/{yosys,icestorm,vivado}.py;
 *   - FuseSoC at commit f0ed781: fusesoc/capi2/json_schema.py (the CAPI2 schema).
 * With those packages installed, handoff.test.ts also runs them on the files.
 */
import { existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { z } from 'zod';
import { execa } from 'execa';

const FLOW_COMMON = ['build_runner', 'frontends', 'flow_make_options'];
const TOOL_OPTIONS = {
  yosys: ['arch', 'output_format', 'yosys_template', 'f4pga_synth_part_file', 'yosys_synth_options'],
  nextpnr: ['arch', 'nextpnr_options', 'device', 'device_family'],
  icepack: ['icepack_options'],
  icetime: ['icetime_options'],
  vivado: ['part', 'synth', 'board_part', 'board_repo_paths', 'pnr', 'jobs', 'jtag_freq', 'source_mgmt_mode', 'hw_target'],
};
/** Options a flow takes in flow_options: its own, and its tools' minus those the flow fixes itself (fdto). */
export const FLOW_OPTION_NAMES: Record<string, string[]> = {
  icestorm: [...FLOW_COMMON, 'pnr', ...TOOL_OPTIONS.yosys.filter((o) => o !== 'arch' && o !== 'output_format'), ...TOOL_OPTIONS.nextpnr.filter((o) => o !== 'arch'), ...TOOL_OPTIONS.icepack, ...TOOL_OPTIONS.icetime],
  vivado: [...FLOW_COMMON, 'pgm', 'pnr', 'synth', 'gui', ...TOOL_OPTIONS.vivado],
};
/** tool_options.<back end> of the legacy tool API; icestorm and vivado hand theirs to their flow as flow_options. */
export const BACKEND_OPTION_NAMES: Record<string, string[]> = {
  icestorm: FLOW_OPTION_NAMES.icestorm!,
  vivado: FLOW_OPTION_NAMES.vivado!,
  yosys: ['arch', 'output_format', 'output_name', 'yosys_as_subtool', 'makefile_name', 'yosys_template', 'yosys_synth_options'],
};
/** File types the flows' tools act on (the rest they pass over). */
const FILE_TYPES = ['verilogSource-2005', 'PCF', 'xdc', 'SDC'];

const edamSchema = z.object({
  name: z.string().min(1),
  toplevel: z.string().min(1),
  files: z.array(z.object({ name: z.string().min(1), file_type: z.string().min(1) }).strict()).min(1),
  parameters: z.record(z.string(), z.object({ datatype: z.enum(['bool', 'file', 'int', 'real', 'str']), paramtype: z.enum(['vlogparam', 'vlogdefine', 'generic', 'plusarg', 'cmdlinearg']), default: z.union([z.string(), z.number(), z.boolean()]) })),
  flow_options: z.record(z.string(), z.unknown()),
  tool_options: z.record(z.string(), z.record(z.string(), z.unknown())),
}).strict();

export interface EdamExpectation {
  flow: 'icestorm' | 'vivado';
  /** Pins the toplevel may have: the package's I/O count. */
  packagePins: number;
  /** Bits of each port of the modules the toplevel may name. */
  topPortBits: Record<string, number>;
  part?: string;
  /** The design folder, and the work root Edalize runs in, relative to it. */
  designDir: string;
  workRoot: string;
}

/** Yosys commands that exist in the installed Yosys (synth_<arch> for the arch an EDAM names). */
export async function yosysHasCommand(command: string): Promise<boolean> {
  const r = await execa('yosys', ['-Q', '-p', `help ${command}`], { reject: false });
  return new RegExp(`^\\s+${command} \\[options\\]`, 'm').test(r.stdout);
}

/** Everything Edalize's back ends would reject or mis-build in one EDAM; empty when it is fine. */
export async function edamProblems(raw: unknown, x: EdamExpectation): Promise<string[]> {
  const parsed = edamSchema.safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => `EDAM structure: ${i.path.join('.')}: ${i.message}`);
  const e = parsed.data;
  const out: string[] = [];
  const bits = x.topPortBits[e.toplevel];
  if (bits === undefined) out.push(`toplevel ${e.toplevel} is not a known module`);
  else if (bits > x.packagePins) out.push(`toplevel ${e.toplevel} has ${bits} port bits, the package ${x.packagePins} pins`);
  for (const f of e.files) {
    if (!FILE_TYPES.includes(f.file_type)) out.push(`${f.name}: file_type ${f.file_type} is not one the flow reads`);
    if (!existsSync(normalize(join(x.designDir, x.workRoot, f.name)))) out.push(`${f.name} does not exist relative to the work root ${x.workRoot}`);
  }
  const types = e.files.map((f) => f.file_type);
  if (x.flow === 'vivado') {
    // Edalize's Vivado back end reads an SDC as unmanaged XDC: a second create_clock and SDC-only commands.
    if (types.includes('SDC')) out.push('an SDC file in a Vivado EDAM is read as XDC');
    if (types.filter((t) => t === 'xdc').length !== 1) out.push('a Vivado EDAM needs exactly one XDC');
  } else if (types.includes('xdc') || types.includes('SDC')) out.push('nextpnr-ice40 reads neither SDC nor XDC');
  for (const k of Object.keys(e.flow_options)) if (!FLOW_OPTION_NAMES[x.flow]!.includes(k)) out.push(`flow option ${k} is not an option of the ${x.flow} flow`);
  for (const [backend, opts] of Object.entries(e.tool_options)) {
    const known = BACKEND_OPTION_NAMES[backend];
    if (!known) {
      out.push(`tool_options.${backend}: no such back end`);
      continue;
    }
    for (const k of Object.keys(opts)) if (!known.includes(k)) out.push(`tool_options.${backend}.${k} is not an option of that back end`);
  }
  if (!e.tool_options[x.flow]) out.push(`tool_options.${x.flow} is missing: the legacy ${x.flow} back end reads it`);
  const arch = e.tool_options.yosys?.arch;
  if (typeof arch !== 'string') out.push('tool_options.yosys.arch is missing');
  else if (!e.tool_options.yosys!.yosys_template && !(await yosysHasCommand(`synth_${arch}`))) out.push(`Yosys has no synth_${arch}, which the yosys back end runs for arch ${arch}`);
  if (x.part !== undefined && e.flow_options.part !== x.part) out.push(`part ${String(e.flow_options.part)}, the device is ${x.part}`);
  return out;
}

/** XDC as Vivado reads it: only XDC commands, one create_clock per clock. */
export function xdcProblems(text: string): string[] {
  const XDC_COMMANDS = ['create_clock', 'set_input_delay', 'set_output_delay', 'set_false_path', 'set_property', 'set_multicycle_path', 'set_max_delay'];
  const out: string[] = [];
  const clocks = new Map<string, number>();
  for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const cmd = line.split(/\s+/)[0]!;
    if (!XDC_COMMANDS.includes(cmd)) out.push(`${cmd} is not an XDC command`);
    if (/remove_from_collection/.test(line)) out.push('remove_from_collection is SDC, not XDC');
    const name = /^create_clock\b.*-name (\S+)/.exec(line)?.[1];
    if (name) clocks.set(name, (clocks.get(name) ?? 0) + 1);
  }
  for (const [n, k] of clocks) if (k > 1) out.push(`clock ${n} is created ${k} times`);
  if (clocks.size === 0) out.push('no create_clock');
  return out;
}

// ---- FuseSoC CAPI2 (fusesoc/capi2/json_schema.py, the parts a core of this bundle can use) ----
const stringArray = z.array(z.string());
const anyType = z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);
export const capi2Schema = z.object({
  name: z.string().regex(/^[^:\s]*:[^:\s]*:[^:\s]+(:[^:\s]*)?$/, 'a VLNV: vendor:library:name:version'),
  description: z.string().optional(),
  filesets: z.record(z.string(), z.object({
    files: z.array(z.string()).min(1),
    file_type: z.string().optional(),
    logical_name: z.string().optional(),
    tags: stringArray.optional(),
    depend: stringArray.optional(),
  }).strict()).optional(),
  targets: z.record(z.string(), z.object({
    default_tool: z.string().optional(),
    description: z.string().optional(),
    flow: z.string().optional(),
    flow_options: z.record(z.string(), anyType).optional(),
    tools: z.record(z.string(), z.record(z.string(), anyType)).optional(),
    toplevel: z.union([z.string(), stringArray]).optional(),
    filesets: stringArray.optional(),
    parameters: stringArray.optional(),
  }).strict()).optional(),
  parameters: z.record(z.string(), z.object({ datatype: z.enum(['bool', 'file', 'int', 'real', 'str']), default: z.union([z.boolean(), z.string(), z.number()]).optional(), description: z.string().optional(), paramtype: z.string(), scope: z.string().optional() }).strict()).optional(),
}).strict();

/** Schema errors, and what the schema cannot say: filesets a target names must exist, files must be in the bundle. */
export function coreProblems(raw: unknown, designDir: string): string[] {
  const parsed = capi2Schema.safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => `CAPI2: ${i.path.join('.')}: ${i.message}`);
  const c = parsed.data;
  const out: string[] = [];
  for (const [name, t] of Object.entries(c.targets ?? {})) {
    for (const fs of t.filesets ?? []) if (!c.filesets?.[fs]) out.push(`target ${name} names fileset ${fs}, which is not defined`);
  }
  for (const [name, fs] of Object.entries(c.filesets ?? {})) for (const f of fs.files) if (!existsSync(join(designDir, f))) out.push(`fileset ${name}: ${f} is not in the bundle`);
  return out;
}
