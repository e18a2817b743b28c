/**
 * Simulating your own design: drive and monitor the streams (and AXI4-Lite registers)
 * of a DSL design in Verilator from a mocha test, under random backpressure, with the
 * protocol monitors always on and a seed that replays the run exactly. The counterpart
 * of SpinalSim's StreamDriver/StreamMonitor and cocotb's AXI-Stream source and sink;
 * generator/README.md, "Simulating your own design", is the guide.
 *
 *   const run = await simulate(fir4(coeffs), { inputs: { in: [1, -2, { data: 3, last: true }] } });
 *   run.expectOutput('out', model(...));   // first mismatch: index, cycle, field, expected and got
 *
 * It wraps the design (wrapper.ts), emits it, builds it through the shared Verilator
 * cache (sim/harness prepareTestbench) and runs one SimJob (runSimJob); payloads go
 * through the manifest's payload layout (values.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../cli/errors.ts';
import { writeFolderAtomicSync } from '../../cli/atomic.ts';
import { emitDesign, emitVerilog, printWarnings, type EmittedDesign, type ManifestInterface, type ModuleDef, type PayloadField } from '../../generator/index.ts';
import { captureLoc, formatLoc, registerLibraryDir } from '../../generator/core/loc.ts';
import { decodeBeats, encodeBeats } from '../harness/beats.ts';
import type { Backpressure, LiteCommand, MemoryModel, SimJob, SimResult } from '../harness/job.ts';
import { describeViolation, type Violation } from '../harness/rules.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../harness/run.ts';
import { xorshift32 } from '../stimulus.ts';
import { NUMBER_BITS, ValueError, decodeValue, describe, differences, encodeValue, isPlainObject, leavesOf, sameValue, show, type SimValue } from './values.ts';
import { WrapError, describeDesign, wrapDesign, type StreamInfo } from './wrapper.ts';

export type { SimValue } from './values.ts';
export type { Backpressure } from '../harness/job.ts';

// Misuse is reported at the test's line, and the wrapper's hardware carries it too.
registerLibraryDir(path.dirname(fileURLToPath(import.meta.url)));

/** A beat to drive: a bare value, or `{ data, last?, keep?, user? }` (a Bundle payload always needs the second form). */
export type BeatIn = SimValue | { data: SimValue; last?: boolean; keep?: number | bigint; user?: number | bigint };

/** A beat the monitor saw: the payload decoded, the sideband signals the stream has, and the cycle it was taken (0 = first after reset). */
export interface MonitoredBeat {
  data: SimValue;
  last?: boolean;
  keep?: number | bigint;
  user?: number | bigint;
  cycle: number;
}

/** An address is a byte address or the name of a register of the design's register map (`declareRegisters`). */
export type RegisterAddress = number | string;
export type RegisterCommand =
  /** A write that must be answered OKAY (else the run fails with AXIL-OKAY). */
  | { write: RegisterAddress; data: number }
  /** A read that must be answered OKAY; the value lands in `run.reads`. */
  | { read: RegisterAddress }
  /** A write whose response is logged in `run.pokes`, not checked (for SLVERR tests); BREADY held low `bDelay` cycles. */
  | { poke: RegisterAddress; data: number; bDelay?: number }
  /** Poll until `(read & mask) === value` (mask defaults to all ones). */
  | { wait: RegisterAddress; value: number; mask?: number }
  /** One read that must satisfy `(read & mask) === value` (else AXIL-EXPECT). */
  | { expect: RegisterAddress; value: number; mask?: number }
  | { idle: number };

export interface SimOptions {
  /** Beats for each input stream, by the stream's name (`streamIn(m, 'in', …)` is `in`). A stream left out stays idle. */
  inputs?: Record<string, readonly BeatIn[]>;
  /** AXI4-Lite commands in order, on the design's AXI4-Lite subordinate. */
  registers?: readonly RegisterCommand[];
  /** Constant values of the design's other inputs, by port name (default 0). */
  hold?: Record<string, number | bigint | boolean>;
  /** Valid gaps on inputs and ready gaps on outputs: 'random' (default; each stream end open with probability 1/2 each cycle), 'bursty' or 'none'. */
  backpressure?: Backpressure;
  /** Seed of every random choice; default SPARSEGRAD_SEED, else a fresh one (see `simSeed`). */
  seed?: number;
  /** The run fails as "no progress" when the inputs and registers are not done after this many cycles (default from the work given). */
  cycleLimit?: number;
  /** After the inputs are taken, the run ends once no output has offered a beat for this many cycles (default 64). */
  drainCycles?: number;
  /** The memory behind the design's AXI4 manager, if it has one (sim/harness/job.ts MemoryModel). */
  memory?: MemoryModel;
  /** Emit the design here (default: a temp folder named by the Verilog's hash, shared by runs of the same design). */
  dir?: string;
  /** Print the design's check warnings (default true). */
  printWarnings?: boolean;
}

/** A run that broke a protocol rule, made no progress, or differs from the model. Its message ends with the replay line. */
export class SimFailure extends Error {
  constructor(
    message: string,
    readonly seed: number,
    readonly kind: 'violation' | 'timeout' | 'mismatch',
    readonly violations: readonly Violation[] = [],
    /** The cycle to look at (first violation or mismatch). */
    readonly cycle?: number,
    private readonly traceRun?: (cycle: number, file: string, before: number, after: number) => Promise<string>,
  ) {
    super(`${message}; ${replayHint(seed)}`);
    this.name = 'SimFailure';
  }

  /** Run the same job again with a VCD of the cycles around the failure written to `file` (a --trace build, made on first use); returns its path. */
  async writeVcd(file: string, before = 50, after = 50): Promise<string> {
    if (!this.traceRun || this.cycle === undefined) throw new Error('this failure has no run to trace');
    return this.traceRun(this.cycle, file, before, after);
  }
}

export const replayHint = (seed: number): string => `seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`;

/** The seed of a run: SPARSEGRAD_SEED when set (a replay), else a fresh random one. Put it in the test title. */
export function simSeed(): number {
  const env = process.env.SPARSEGRAD_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new UserError(`SPARSEGRAD_SEED must be a whole number below 2^32, got "${env}"`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** A seeded source of numbers in [0, 1) for the test's own stimulus (salted apart from the harness's choices). */
export function seededRandom(seed: number): () => number {
  return xorshift32(seed, 0x2545f491);
}

/** Beats of packets: each inner list is one packet, tlast on its last beat. */
export function packets(list: readonly (readonly SimValue[])[]): { data: SimValue; last: boolean }[] {
  return list.flatMap((p) => p.map((data, i) => ({ data, last: i === p.length - 1 })));
}

export interface SimRun {
  /** The harness's top (the design inside its wrapper) and the design's own module name. */
  top: string;
  design: string;
  seed: number;
  backpressure: Backpressure;
  /** Cycles from reset to the end of the inputs and commands (the drain excluded). */
  cycles: number;
  /** Monitored beats of each output stream, by stream name, in order. */
  outputs: Record<string, MonitoredBeat[]>;
  /** `read` commands: address, value, cycle, and the register's name when the map has it. */
  reads: { addr: number; data: number; cycle: number; register?: string }[];
  /** `poke` commands: address, data, response (0 OKAY, 2 SLVERR), the cycle B was taken. */
  pokes: { addr: number; data: number; resp: number; cycle: number; register?: string }[];
  /** The harness's own result, for anything not above. */
  result: SimResult;
  /** Every monitored event, one line each in cycle order: equal for equal runs (a replay gives the same text). */
  trace(): string;
  /** The beats of an output stream grouped into packets by tlast (a trailing packet without tlast included). */
  packets(stream: string): MonitoredBeat[][];
  /** Fail with the first mismatch (index, cycle, field, expected and got) unless the stream delivered exactly `want`. */
  expectOutput(stream: string, want: readonly BeatIn[]): void;
  /** Run the same job again with a VCD of cycles [cycle - before, cycle + after] written to `file`; returns its path. */
  vcdAround(cycle: number, file: string, before?: number, after?: number): Promise<string>;
}

/** An error at the caller's line, one line. */
function misuse(where: string, message: string): UserError {
  return new UserError(`${where}: ${message}`);
}

interface StreamCodec extends StreamInfo {
  leaves: ReturnType<typeof leavesOf>;
  width: number;
}

function interfacesOfDesign(design: EmittedDesign): ManifestInterface[] {
  const top = design.manifest.modules.find((m) => m.name === design.manifest.top)!;
  const inner = top.instances.find((i) => i.name === 'u_dut')!.module;
  return design.manifest.modules.find((m) => m.name === inner)?.interfaces ?? [];
}

function codecs(design: EmittedDesign, streams: readonly StreamInfo[]): Map<string, StreamCodec> {
  const ifcs = interfacesOfDesign(design);
  const out = new Map<string, StreamCodec>();
  for (const s of streams) {
    const entry = ifcs.find((i) => i.kind === 'axis' && i.name === s.name) as (ManifestInterface & { payload: { fields: PayloadField[] } }) | undefined;
    if (!entry) throw new Error(`the manifest has no axis interface ${s.name}`);
    out.set(s.name, { ...s, leaves: leavesOf(s.payload, entry.payload.fields), width: s.dataWidth + s.keep + s.user });
  }
  return out;
}

interface RegisterInfo {
  name: string;
  offset: number;
}

function registerMap(design: EmittedDesign, lite: string | undefined): RegisterInfo[] {
  if (!lite) return [];
  const entry = interfacesOfDesign(design).find((i) => i.kind === 'axilite' && i.name === lite);
  return ((entry?.registers as RegisterInfo[] | undefined) ?? []).map((r) => ({ name: r.name, offset: r.offset }));
}

function encodeInput(where: string, design: string, c: StreamCodec, beats: readonly BeatIn[]): Uint8Array {
  if (!Array.isArray(beats)) throw misuse(where, `inputs.${c.name} must be an array of beats, got ${describe(beats)}`);
  const list = beats.map((b, i) => {
    const at = `inputs.${c.name}[${i}]`;
    const isBeat = isPlainObject(b) && 'data' in b && Object.keys(b).every((k) => ['data', 'last', 'keep', 'user'].includes(k));
    if (isPlainObject(b) && !isBeat) {
      throw misuse(where, `${at} is ${describe(b)}: a beat is a bare value or { data, last?, keep?, user? }${c.payload && 'kind' in c.payload && c.payload.kind === 'bundle' ? '; wrap a Bundle value as { data: … }' : ''}`);
    }
    const beat = (isBeat ? b : { data: b }) as { data: SimValue; last?: boolean; keep?: number | bigint; user?: number | bigint };
    try {
      let word = encodeValue(c.payload, c.leaves, beat.data, `${at}.data`);
      for (const [k, width, offset] of [['keep', c.keep, c.dataWidth], ['user', c.user, c.dataWidth + c.keep]] as const) {
        const v = beat[k];
        if (v === undefined) continue;
        if (width === 0) throw new ValueError(`${at}.${k} is given, but stream ${c.name} of ${design} has no t${k}`);
        const n = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : -1n;
        if (n < 0n || n >= 1n << BigInt(width)) throw new ValueError(`${at}.${k} = ${show(v)} does not fit its ${width} bits`);
        word |= n << BigInt(offset);
      }
      if (beat.last !== undefined && typeof beat.last !== 'boolean') throw new ValueError(`${at}.last is ${describe(beat.last)}, not a boolean`);
      if (beat.last && !c.last) throw new ValueError(`${at}.last is true, but stream ${c.name} of ${design} has no tlast`);
      return { data: word, last: beat.last ?? false };
    } catch (e) {
      if (e instanceof ValueError) throw misuse(where, e.message);
      throw e;
    }
  });
  return encodeBeats(list, c.width);
}

function decodeOutput(c: StreamCodec, bytes: Uint8Array, cycles: readonly number[]): MonitoredBeat[] {
  return decodeBeats(bytes, c.width).map((b, i) => {
    const field = (offset: number, width: number): number | bigint => {
      const v = (b.data >> BigInt(offset)) & ((1n << BigInt(width)) - 1n);
      return width <= NUMBER_BITS ? Number(v) : v;
    };
    return {
      data: decodeValue(c.payload, c.leaves, b.data),
      ...(c.last ? { last: b.last } : {}),
      ...(c.keep ? { keep: field(c.dataWidth, c.keep) } : {}),
      ...(c.user ? { user: field(c.dataWidth + c.keep, c.user) } : {}),
      cycle: cycles[i]!,
    };
  });
}

function liteScript(where: string, cmds: readonly RegisterCommand[], regs: readonly RegisterInfo[], hasLite: boolean, design: string, gaps: (() => number) | undefined): LiteCommand[] {
  if (cmds.length && !hasLite) throw misuse(where, `registers are given, but ${design} has no AXI4-Lite subordinate (axiPort(m, name, AxiLite(…).flip()))`);
  const addr = (a: unknown, i: number): number => {
    if (typeof a === 'string') {
      const r = regs.find((x) => x.name === a);
      if (!r) throw misuse(where, `registers[${i}]: ${design} has no register ${a}${regs.length ? ` (its registers: ${regs.map((x) => x.name).join(', ')})` : ' (it declares no register map: use byte addresses, or declareRegisters())'}`);
      return r.offset;
    }
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= 2 ** 32) throw misuse(where, `registers[${i}]: the address is ${describe(a)}; give a byte address or a register name`);
    return a;
  };
  const word = (v: unknown, what: string, i: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw misuse(where, `registers[${i}].${what} is ${describe(v)}; give a 32-bit unsigned number`);
    return v;
  };
  const out: LiteCommand[] = [];
  cmds.forEach((c, i) => {
    const gap = gaps ? Math.floor(gaps() * 4) : 0;
    if (gap) out.push({ op: 'idle', cycles: gap });
    if ('write' in c) out.push({ op: 'write', addr: addr(c.write, i), data: word(c.data, 'data', i) });
    else if ('read' in c) out.push({ op: 'read', addr: addr(c.read, i) });
    else if ('poke' in c) out.push({ op: 'poke', addr: addr(c.poke, i), data: word(c.data, 'data', i), bDelay: c.bDelay ?? (gaps ? Math.floor(gaps() * 4) : 0) });
    else if ('wait' in c) out.push({ op: 'wait', addr: addr(c.wait, i), mask: word(c.mask ?? 0xffffffff, 'mask', i), value: word(c.value, 'value', i) });
    else if ('expect' in c) out.push({ op: 'expect', addr: addr(c.expect, i), mask: word(c.mask ?? 0xffffffff, 'mask', i), value: word(c.value, 'value', i) });
    else if ('idle' in c) out.push({ op: 'idle', cycles: word(c.idle, 'idle', i) });
    else throw misuse(where, `registers[${i}] is ${describe(c)}: a command is { write, data }, { read }, { poke, data }, { wait, value }, { expect, value } or { idle }`);
  });
  return out;
}

/** Emit into `dir`, or into a temp folder named by the design's content (so later runs and VCD rebuilds find it). */
function emit(top: ModuleDef, opts: SimOptions): { design: EmittedDesign; files: string[] } {
  if (opts.dir) {
    const design = emitDesign(top, opts.dir, { printWarnings: opts.printWarnings ?? true });
    return { design, files: [...design.files.keys()].map((f) => path.join(opts.dir!, f)) };
  }
  const design = emitVerilog(top);
  if (opts.printWarnings ?? true) printWarnings(design.warnings);
  const hash = createHash('sha256');
  for (const [name, text] of design.files) hash.update(name).update('\0').update(text).update('\0');
  const dir = path.join(tmpdir(), `sparsegrad-sim-${hash.digest('hex').slice(0, 20)}`);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    writeFolderAtomicSync(dir, [...design.files, ['manifest.json', `${JSON.stringify(design.manifest, null, 2)}\n`]]);
  }
  return { design, files: [...design.files.keys()].map((f) => path.join(dir, f)) };
}

/** Emit, build (cached) and run `def` with the given inputs and register commands; fails on any protocol violation or timeout. */
export async function simulate(def: ModuleDef, opts: SimOptions = {}): Promise<SimRun> {
  const where = formatLoc(captureLoc());
  const seed = opts.seed ?? simSeed();
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw misuse(where, `seed must be a whole number below 2^32, got ${describe(seed)}`);
  const backpressure = opts.backpressure ?? 'random';
  if (!['none', 'random', 'bursty'].includes(backpressure)) throw misuse(where, `backpressure is "${String(backpressure)}"; choose none, random or bursty`);

  let described;
  try {
    described = describeDesign(def);
  } catch (e) {
    if (e instanceof WrapError) throw misuse(where, e.message);
    throw e;
  }
  const hold = new Map<string, bigint>();
  for (const [name, v] of Object.entries(opts.hold ?? {})) {
    const sig = described.plainInputs.get(name);
    if (!sig) throw misuse(where, `hold.${name}: ${def.name} has no plain input ${name}${described.plainInputs.size ? ` (its plain inputs: ${[...described.plainInputs.keys()].join(', ')})` : ''}`);
    const t = sig.type;
    const n = typeof v === 'boolean' ? (v ? 1n : 0n) : typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : undefined;
    const lo = t.signed ? -(1n << BigInt(t.width - 1)) : 0n;
    const hi = t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n;
    if (n === undefined || n < lo || n > hi) throw misuse(where, `hold.${name} = ${show(v)} is outside ${String(t)} (${lo}..${hi})`);
    hold.set(name, n);
  }
  const streamNames = described.streams.map((s) => s.name);
  for (const name of Object.keys(opts.inputs ?? {})) {
    const s = described.streams.find((x) => x.name === name);
    if (!s) throw misuse(where, `inputs.${name}: ${def.name} has no stream ${name} (its streams: ${streamNames.join(', ') || 'none'})`);
    if (s.dir === 'out') throw misuse(where, `inputs.${name}: ${name} is an output stream of ${def.name}; outputs are monitored, not driven (its input streams: ${described.streams.filter((x) => x.dir === 'in').map((x) => x.name).join(', ') || 'none'})`);
  }
  if (opts.memory && !described.axi) throw misuse(where, `memory is given, but ${def.name} has no AXI4 manager`);

  const wrapped = wrapDesign(def, hold);
  const { design, files } = emit(wrapped.top, opts);
  const codec = codecs(design, wrapped.streams);
  const regs = registerMap(design, wrapped.lite);

  const inputs: Record<string, Uint8Array> = {};
  let beatsIn = 0;
  for (const [name, beats] of Object.entries(opts.inputs ?? {})) {
    inputs[name] = encodeInput(where, def.name, codec.get(name)!, beats);
    beatsIn += beats.length;
  }
  const gaps = backpressure === 'none' ? undefined : xorshift32(seed, 0x68e31da4);
  const script = liteScript(where, opts.registers ?? [], regs, wrapped.lite !== undefined, def.name, gaps);
  const job: SimJob = {
    inputs,
    script,
    memory: opts.memory ?? { load: [], dump: [] },
    backpressure,
    seed,
    cycleLimit: opts.cycleLimit ?? 20_000 + 200 * beatsIn + 500 * script.length,
    drainCycles: opts.drainCycles ?? 64,
  };
  const tb = await prepareTestbench({ top: design.manifest.top, rtlFiles: files });
  // The harness finds the top's interfaces on its own: it must see the ones the payloads are encoded for.
  for (const c of codec.values()) {
    const port = (c.dir === 'in' ? tb.interfaces.inputs : tb.interfaces.outputs).find((x) => x.name === c.name);
    if (!port || port.width !== c.width) throw new Error(`the harness sees stream ${c.name} of ${design.manifest.top} as ${port ? `${port.width} bits` : 'absent'}, not ${c.width} bits`);
  }
  if ((wrapped.lite !== undefined) !== (tb.interfaces.lite !== undefined)) throw new Error(`the harness and the design disagree on the AXI4-Lite port of ${design.manifest.top}`);
  const result = await runSimJob(tb, job);
  const label = `simulate(${def.name})`;
  const trace = traceRunner(tb, job);
  if (result.violationCount > 0) {
    const first = result.violations[0]!;
    const more = result.violationCount > 1 ? ` (and ${result.violationCount - 1} more: ${[...new Set(result.violations.map((v) => v.rule))].join(', ')})` : '';
    throw new SimFailure(`${label}: protocol violation ${describeViolation(first)}${more}`, seed, 'violation', result.violations, first.cycle, trace);
  }
  if (result.timedOut) {
    // The harness says where its script stood; with no register commands that says nothing.
    const detail = script.length ? result.timeoutDetail : result.timeoutDetail?.replace(/^script at command \d+ of 0(; )?/, '') || 'every input was taken';
    throw new SimFailure(`${label}: no progress within the cycle limit of ${job.cycleLimit} cycles (${detail}); a design that never takes its input or answers its bus hangs here, else raise cycleLimit`, seed, 'timeout', [], job.cycleLimit, trace);
  }
  return makeRun(def.name, tb, job, result, codec, regs, trace);
}

/** The job again with a VCD window, written to `file`. */
function traceRunner(tb: Testbench, job: SimJob) {
  return async (cycle: number, file: string, before: number, after: number): Promise<string> => {
    const traced = await runSimJob(tb, { ...job, vcd: { fromCycle: Math.max(0, cycle - before), toCycle: cycle + after } }, { vcdPath: path.resolve(file) });
    return traced.vcdFile!;
  };
}

function makeRun(design: string, tb: Testbench, job: SimJob, result: SimResult, codec: Map<string, StreamCodec>, regs: readonly RegisterInfo[], trace: ReturnType<typeof traceRunner>): SimRun {
  const outputs: Record<string, MonitoredBeat[]> = {};
  for (const c of codec.values()) {
    if (c.dir === 'out') outputs[c.name] = decodeOutput(c, result.outputs[c.name]!, result.outputCycles[c.name]!);
  }
  const regName = (addr: number): { register?: string } => {
    const r = regs.find((x) => x.offset === addr);
    return r ? { register: r.name } : {};
  };
  const seed = job.seed;
  const outputNames = Object.keys(outputs);
  const beatsOf = (stream: string): MonitoredBeat[] => {
    const got = outputs[stream];
    if (!got) throw misuse(formatLoc(captureLoc()), `${design} has no output stream ${stream} (its output streams: ${outputNames.join(', ') || 'none'})`);
    return got;
  };
  return {
    top: tb.target.top,
    design,
    seed,
    backpressure: job.backpressure,
    cycles: result.cycles,
    outputs,
    reads: result.reads.map((r) => ({ ...r, ...regName(r.addr) })),
    pokes: result.pokes.map((p) => ({ addr: p.addr, data: p.data, resp: p.resp, cycle: p.bCycle, ...regName(p.addr) })),
    result,
    trace() {
      const events: [number, string][] = [];
      for (const [name, beats] of Object.entries(outputs)) {
        beats.forEach((b, i) => events.push([b.cycle, `${b.cycle} ${name}[${i}] ${show(b.data)}${b.last ? ' last' : ''}${b.keep !== undefined ? ` keep=${b.keep}` : ''}${b.user !== undefined ? ` user=${b.user}` : ''}`]));
      }
      for (const r of result.reads) events.push([r.cycle, `${r.cycle} read 0x${r.addr.toString(16)} = 0x${r.data.toString(16)}`]);
      for (const p of result.pokes) events.push([p.bCycle, `${p.bCycle} poke 0x${p.addr.toString(16)} resp ${p.resp}`]);
      return events.sort((a, b) => a[0] - b[0]).map(([, line]) => line).join('\n') + `\nend ${result.cycles}\n`;
    },
    packets(stream) {
      const out: MonitoredBeat[][] = [[]];
      for (const b of beatsOf(stream)) {
        out.at(-1)!.push(b);
        if (b.last) out.push([]);
      }
      if (out.at(-1)!.length === 0) out.pop();
      return out;
    },
    expectOutput(stream, want) {
      const where = formatLoc(captureLoc());
      const got = beatsOf(stream);
      if (!Array.isArray(want)) throw misuse(where, `expectOutput(${stream}, …) takes an array of beats, got ${describe(want)}`);
      const mismatch = firstMismatch(stream, got, want);
      if (mismatch) throw new SimFailure(`${where}: ${design} ${mismatch.message}`, seed, 'mismatch', [], mismatch.cycle, trace);
    },
    vcdAround: (cycle, file, before = 50, after = 50) => trace(cycle, file, before, after),
  };
}

/** The first difference between monitored beats and expected ones, as one readable line (undefined when equal). */
export function firstMismatch(stream: string, got: readonly MonitoredBeat[], want: readonly BeatIn[]): { message: string; cycle?: number } | undefined {
  const beatOf = (w: BeatIn) => (isPlainObject(w) && 'data' in w ? (w as { data: SimValue; last?: boolean; keep?: number | bigint; user?: number | bigint }) : { data: w as SimValue });
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const wb = beatOf(want[i]!);
    const g = got[i]!;
    const fields = differences(wb.data, g.data);
    const diffs = fields.map(([p, e, x]) => `${p ? `field ${p}` : 'data'} expected ${show(e)}, got ${show(x)}`);
    if (wb.last !== undefined && wb.last !== (g.last ?? false)) diffs.push(`tlast expected ${wb.last}, got ${g.last ?? false}`);
    for (const k of ['keep', 'user'] as const) {
      if (wb[k] !== undefined && !sameValue(wb[k], g[k])) diffs.push(`t${k} expected ${show(wb[k])}, got ${show(g[k])}`);
    }
    if (diffs.length) {
      // A field of an aggregate is shown with the whole value around it; a scalar is its own whole.
      const whole = fields.some(([p]) => p !== '') || (fields.length === 0 && typeof g.data === 'object') ? `; expected ${show(wb.data)}, got ${show(g.data)}` : '';
      return { message: `${stream} beat ${i} (cycle ${g.cycle}): ${diffs.join('; ')}${whole}`, cycle: g.cycle };
    }
  }
  if (got.length < want.length) {
    const last = got.at(-1);
    return { message: `${stream} delivered ${got.length} beats, expected ${want.length}; the first missing is beat ${got.length}, expected ${show(beatOf(want[got.length]!).data)}${last ? ` (the last beat came in cycle ${last.cycle})` : ''}`, cycle: last?.cycle };
  }
  if (got.length > want.length) {
    const x = got[want.length]!;
    return { message: `${stream} delivered ${got.length} beats, expected ${want.length}; the first extra is beat ${want.length} (cycle ${x.cycle}): ${show(x.data)}`, cycle: x.cycle };
  }
  return undefined;
}
