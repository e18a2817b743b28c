/**
 * Per-cycle port vectors through a Verilated model, for unit tests of any module.
 *
 * API
 *   runVectors({ files, top, clock?, reset?, inputs, params?, cacheDir?, vcd? }) => Promise<Array<Record<string, bigint>>>
 *   prepareVectors({ files, top, clock?, reset?, params?, cacheDir?, trace? }) => Promise<VectorRunner>
 *     builds once (through the sim/build cache); runner.run(inputs, { vcd? }) runs many vector sets.
 *
 * Timing of cycle i (the clock starts low; time advances 10 units a cycle):
 *   1. falling edge: clock 1 -> 0 with the inputs of cycle i-1 still applied (skipped for i = 0);
 *   2. the inputs of cycle i are applied and the model settles;
 *   3. every output is sampled: that is outputs[i];
 *   4. rising edge: clock 0 -> 1.
 * So outputs[i] shows the registers after i rising edges, and whatever combinational
 * logic makes of them and of inputs[i]. A port missing from inputs[i] keeps its value
 * from cycle i-1 (0 at the start; the inactive level for the reset port).
 *
 * Reset (optional): `reset: 'rst'` or { name, activeLow?, cycles? }. Before cycle 0 the
 * reset is held active for `cycles` (default 2) rising edges with every other input 0;
 * those cycles are not in the result. activeLow is the caller's, or the manifest's when
 * the top was emitted by the generator (manifest.json beside its Verilog names its reset
 * and polarity); nothing is guessed from a port's name.
 *
 * Values: bigint. An input may be given as its unsigned bits or, for a signed port, as a
 * negative number; anything that does not fit the port is an error. Outputs come back
 * sign-interpreted for ports declared signed, unsigned otherwise. Any width works
 * (ports wider than 64 bits are VlWide words in the model).
 *
 * The clock is `clock` or, when not given, the one the top's manifest names. Files move in bulk: one binary file of all inputs in, one of all outputs out,
 * with no crossing between JavaScript and C++ per cycle.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { DESCRIBE_HINT, findTopDescription, type TopDescription } from '../../generator/backend/manifest.ts';
import { findModule, readVerilogHeaders, type ModuleHeader, type ParamOverrides, type PortInfo } from '../../generator/verilog-header/index.ts';
import { buildVerilated } from '../build/index.ts';
import { execa } from 'execa';
import { generateVectorMain, layout, words, type TestbenchPlan } from './testbench.ts';

export interface ResetSpec {
  name: string;
  activeLow?: boolean;
  /** Rising edges with the reset active before cycle 0 (default 2). */
  cycles?: number;
}

export interface VectorSetup {
  files: string[];
  top: string;
  clock?: string;
  reset?: string | ResetSpec;
  /** Parameter overrides, passed to Verilator as -G and used for the port widths. */
  params?: ParamOverrides;
  cacheDir?: string;
  /** Build the model with --trace so that runs can write a VCD. */
  trace?: boolean;
  /** Extra Verilator flags. */
  flags?: string[];
}

export type Vector = Record<string, bigint>;

export interface VectorRunner {
  header: ModuleHeader;
  plan: TestbenchPlan;
  exe: string;
  run(inputs: readonly Vector[], opts?: { vcd?: string }): Promise<Vector[]>;
}

const DEFAULT_RESET_CYCLES = 2;

function resolveReset(reset: VectorSetup['reset'], header: ModuleHeader, described: TopDescription | undefined): (Required<ResetSpec>) | undefined {
  if (reset === undefined) return undefined;
  const spec = typeof reset === 'string' ? { name: reset } : reset;
  const port = header.ports.find((p) => p.name === spec.name);
  if (!port || port.direction !== 'input') throw new UserError(`reset '${spec.name}' is not an input of ${header.name}: name one of its inputs`);
  if (port.width !== 1) throw new UserError(`reset '${spec.name}' of ${header.name} is ${port.width} bits wide: a reset must be 1 bit`);
  const cycles = spec.cycles ?? DEFAULT_RESET_CYCLES;
  if (!Number.isInteger(cycles) || cycles < 0) throw new UserError(`reset cycles must be a whole number >= 0, got ${cycles}`);
  // The polarity is stated, never read off the name: by the caller, or by the manifest that describes the top.
  const activeLow = spec.activeLow ?? (described?.reset?.port === spec.name ? described.reset.activeLow : undefined);
  if (activeLow === undefined) throw new UserError(`reset '${spec.name}' of ${header.name}: say whether it is active low ({ name: '${spec.name}', activeLow: true }), or ${DESCRIBE_HINT}`);
  return { name: spec.name, activeLow, cycles };
}

function planFor(header: ModuleHeader, setup: VectorSetup, described: TopDescription | undefined): { plan: TestbenchPlan; resetCycles: number } {
  const inouts = header.ports.filter((p) => p.direction === 'inout');
  if (inouts.length > 0) throw new UserError(`${header.name} has inout port '${inouts[0]!.name}', which the vector runner cannot drive: wrap the module`);
  const inputs = header.ports.filter((p) => p.direction === 'input');
  const clock = setup.clock ?? described?.clock;
  if (!clock) throw new UserError(`${header.name}: which input is the clock? Pass clock: '<port>', or ${DESCRIBE_HINT}`);
  const clockPort = inputs.find((p) => p.name === clock);
  if (!clockPort) throw new UserError(`clock '${clock}' is not an input of ${header.name}`);
  if (clockPort.width !== 1) throw new UserError(`clock '${clock}' of ${header.name} is ${clockPort.width} bits wide: a clock must be 1 bit`);
  const bad = header.ports.find((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name));
  if (bad) throw new UserError(`port '${bad.name}' of ${header.name} has a name the C++ model cannot use: rename it`);
  const reset = resolveReset(setup.reset, header, described);
  const plan: TestbenchPlan = {
    top: header.name,
    clock,
    inputs: inputs.filter((p) => p.name !== clock),
    outputs: header.ports.filter((p) => p.direction === 'output'),
    ...(reset ? { reset: { name: reset.name, activeLow: reset.activeLow } } : {}),
  };
  return { plan, resetCycles: reset?.cycles ?? 0 };
}

/** Writes a file whose name is its content hash, atomically: parallel preparers never see half of it. */
async function writeContentAddressed(prefix: string, name: string, text: string): Promise<string> {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 20);
  const dir = join(tmpdir(), `${prefix}-${hash}`);
  const path = join(dir, name);
  await mkdir(dir, { recursive: true });
  const part = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(part, text);
  await rename(part, path);
  return path;
}

function paramFlag(name: string, v: number | bigint | string): string {
  return `-G${name}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
}

export async function prepareVectors(setup: VectorSetup): Promise<VectorRunner> {
  const files = setup.files.map((f) => resolve(f));
  const header = readTopHeader(files, setup.top, setup.params);
  // Clock and reset polarity come from the caller or from the top's manifest, never from port names.
  const described = findTopDescription(setup.top, files)?.description;
  const { plan, resetCycles } = planFor(header, setup, described);
  const cpp = await writeContentAddressed('sparsegrad-vectors', `vectors_${header.name}.cpp`, generateVectorMain(plan));
  const flags = ['-Wno-fatal', ...Object.entries(setup.params ?? {}).map(([k, v]) => paramFlag(k, v)), ...(setup.flags ?? [])];
  const exe = await buildVerilated({ top: header.name, files, cppFiles: [cpp], flags, cacheDir: setup.cacheDir, trace: setup.trace });
  return {
    header,
    plan,
    exe,
    run: (inputs, opts = {}) => {
      if (opts.vcd && !setup.trace) throw new UserError('a VCD needs a model built with tracing: prepare it with trace: true');
      return runPrepared(exe, plan, resetCycles, inputs, opts.vcd);
    },
  };
}

/** The top's header; parameter overrides apply to the top only, as Verilator's -G does. */
function readTopHeader(files: string[], top: string, params: ParamOverrides | undefined): ModuleHeader {
  const found = findModule(files.flatMap((f) => readVerilogHeaders(f)), top);
  if (!params || Object.keys(params).length === 0) return found;
  return findModule(readVerilogHeaders(found.file, params), top);
}

export async function runVectors(setup: VectorSetup & { inputs: readonly Vector[]; vcd?: string }): Promise<Vector[]> {
  const runner = await prepareVectors({ ...setup, trace: setup.trace ?? setup.vcd !== undefined });
  return runner.run(setup.inputs, { vcd: setup.vcd });
}

/** "SGVI", u32 inWords, u32 outWords, u32 resetCycles, u32 reserved (0), u64 cycles. */
const HEADER_BYTES = 28;

/** Packs the held-over input matrix: every cycle, every input port's words. */
export function encodeInputs(plan: TestbenchPlan, resetCycles: number, inputs: readonly Vector[]): Buffer {
  const { offsets, total } = layout(plan.inputs);
  const ports = plan.inputs;
  const buf = Buffer.alloc(HEADER_BYTES + inputs.length * total * 4);
  buf.write('SGVI', 0, 'latin1');
  buf.writeUInt32LE(total, 4);
  buf.writeUInt32LE(layout(plan.outputs).total, 8);
  buf.writeUInt32LE(resetCycles, 12);
  buf.writeBigUInt64LE(BigInt(inputs.length), 20);
  // Word writes through a typed view (the header is 28 bytes, so the payload is 4-byte aligned).
  const words32 = new Uint32Array(buf.buffer, buf.byteOffset + HEADER_BYTES, inputs.length * total);
  const held: bigint[] = ports.map((p) => (plan.reset && p.name === plan.reset.name && plan.reset.activeLow ? 1n : 0n));
  for (let cycle = 0; cycle < inputs.length; cycle++) {
    const vec = inputs[cycle]!;
    let seen = 0;
    for (let i = 0; i < ports.length; i++) {
      const v = vec[ports[i]!.name];
      if (v !== undefined) {
        held[i] = toBits(ports[i]!, v, cycle);
        seen++;
      }
    }
    if (seen !== Object.keys(vec).length) rejectUnknown(plan, vec, cycle);
    const base = cycle * total;
    for (let i = 0; i < ports.length; i++) {
      const width = ports[i]!.width;
      let v = held[i]!;
      if (width <= 32) {
        words32[base + offsets[i]!] = Number(v);
        continue;
      }
      for (let k = 0; k < words(width); k++) {
        words32[base + offsets[i]! + k] = Number(v & 0xffffffffn);
        v >>= 32n;
      }
    }
  }
  return buf;
}

function rejectUnknown(plan: TestbenchPlan, vec: Vector, cycle: number): never {
  const name = Object.keys(vec).find((n) => !plan.inputs.some((p) => p.name === n))!;
  const why = name === plan.clock ? 'the clock is driven by the runner' : `${plan.top} has no input '${name}'`;
  throw new UserError(`cycle ${cycle}: ${why} (inputs: ${plan.inputs.map((p) => p.name).join(', ')})`);
}

function toBits(p: PortInfo, value: bigint, cycle: number): bigint {
  if (typeof value !== 'bigint') throw new UserError(`cycle ${cycle}: input '${p.name}' must be a bigint, got ${typeof value}`);
  if (value >= 0n && value >> BigInt(p.width) === 0n) return value;
  if (value < 0n && p.signed && BigInt.asIntN(p.width, value) === value) return BigInt.asUintN(p.width, value);
  throw new UserError(`cycle ${cycle}: ${value} does not fit input '${p.name}' (${p.width} bits${p.signed ? ', signed' : ''})`);
}

export function decodeOutputs(plan: TestbenchPlan, buf: Buffer): Vector[] {
  const { offsets, total } = layout(plan.outputs);
  if (buf.length < 16 || buf.toString('latin1', 0, 4) !== 'SGVO' || buf.readUInt32LE(4) !== total) {
    throw new Error(`vector runner of ${plan.top} wrote a malformed output file`);
  }
  const cycles = Number(buf.readBigUInt64LE(8));
  if (buf.length !== 16 + cycles * total * 4) throw new Error(`vector runner of ${plan.top} wrote a truncated output file`);
  // The payload starts at byte 16; copy it when the Buffer's pool offset leaves it unaligned for a Uint32Array.
  const payload = (buf.byteOffset + 16) % 4 === 0 ? buf.subarray(16) : Buffer.from(buf.subarray(16));
  const w = new Uint32Array(payload.buffer, payload.byteOffset, cycles * total);
  const ports = plan.outputs;
  const out: Vector[] = new Array(cycles);
  for (let c = 0; c < cycles; c++) {
    const base = c * total;
    const vec: Vector = {};
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      let v: bigint;
      const at = base + offsets[i]!;
      if (p.width <= 32) v = BigInt(w[at]!);
      else if (p.width <= 53) v = BigInt(w[at + 1]! * 0x100000000 + w[at]!);
      else {
        v = 0n;
        for (let k = words(p.width) - 1; k >= 0; k--) v = (v << 32n) | BigInt(w[at + k]!);
      }
      vec[p.name] = p.signed ? BigInt.asIntN(p.width, v) : v;
    }
    out[c] = vec;
  }
  return out;
}

async function runPrepared(exe: string, plan: TestbenchPlan, resetCycles: number, inputs: readonly Vector[], vcd?: string): Promise<Vector[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sparsegrad-vectors-run-'));
  try {
    const inPath = join(dir, 'in.bin');
    const outPath = join(dir, 'out.bin');
    await writeFile(inPath, encodeInputs(plan, resetCycles, inputs));
    const r = await execa(exe, [inPath, outPath, ...(vcd ? [resolve(vcd)] : [])], { reject: false, all: true });
    if (r.exitCode !== 0) {
      const first = String(r.all ?? '').split('\n').find((l) => l.trim()) ?? `exit code ${r.exitCode}`;
      throw new UserError(`the model of ${plan.top} failed: ${first.trim()}`);
    }
    const outputs = decodeOutputs(plan, await readFile(outPath));
    if (outputs.length !== inputs.length) {
      throw new UserError(`${plan.top} called $finish after ${outputs.length} of ${inputs.length} cycles: remove the $finish or shorten the vectors`);
    }
    return outputs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
