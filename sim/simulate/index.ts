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
import { UserError } from '../../util/errors.ts';
import { writeFolderAtomicSync } from '../../util/atomic.ts';
import { emitDesign, emitVerilog, printWarnings, type EmittedDesign, type ModuleDef, type Signal } from '../../generator/index.ts';
import { captureLoc, formatLoc, registerLibraryDir } from '../../generator/core/loc.ts';
import type { Backpressure, MemoryModel, SimJob, SimResult } from '../harness/job.ts';
import { describeViolation } from '../harness/rules.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../harness/run.ts';
import { xorshift32 } from '../stimulus.ts';
import { firstMismatch } from './compare.ts';
import { SimFailure, misuse } from './failures.ts';
import { liteScript, registerMap, type RegisterCommand, type RegisterInfo } from './registers.ts';
import { codecs, decodeOutput, encodeInput, type BeatIn, type MonitoredBeat, type StreamCodec } from './streams.ts';
import { describe, show } from './values.ts';
import { WrapError, describeDesign, wrapDesign, type StreamInfo } from './wrapper.ts';

export type { SimValue } from './values.ts';
export type { Backpressure } from '../harness/job.ts';
export type { BeatIn, MonitoredBeat } from './streams.ts';
export type { RegisterAddress, RegisterCommand } from './registers.ts';
export { SimFailure, replayHint } from './failures.ts';
export { packets } from './streams.ts';
export { firstMismatch } from './compare.ts';

// Misuse is reported at the test's line, and the wrapper's hardware carries it too.
registerLibraryDir(path.dirname(fileURLToPath(import.meta.url)));

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

/** Emit into `dir`, or into a temp folder named by the design's content (so later runs and VCD rebuilds find it). */
function emit(top: ModuleDef, opts: SimOptions): { design: EmittedDesign; files: string[] } {
  if (opts.dir) {
    const design = emitDesign(top, opts.dir, { printWarnings: opts.printWarnings ?? true });
    return { design, files: [...design.files.keys()].map((f) => path.join(opts.dir!, f)) };
  }
  const design = emitVerilog(top);
  if (opts.printWarnings ?? true) printWarnings(design.warnings);
  // The manifest is part of the name: the harness reads the interfaces, clock and reset from it,
  // so a folder left by an older generator with the same Verilog must not be taken for this one.
  const manifest = `${JSON.stringify(design.manifest, null, 2)}\n`;
  const hash = createHash('sha256');
  for (const [name, text] of [...design.files, ['manifest.json', manifest] as const]) hash.update(name).update('\0').update(text).update('\0');
  const dir = path.join(tmpdir(), `sparsegrad-sim-${hash.digest('hex').slice(0, 20)}`);
  if (!existsSync(path.join(dir, 'manifest.json'))) writeFolderAtomicSync(dir, [...design.files, ['manifest.json', manifest]]);
  return { design, files: [...design.files.keys()].map((f) => path.join(dir, f)) };
}

/** The held inputs' values, each checked against its port's type. */
function holdValues(where: string, design: string, plain: ReadonlyMap<string, Signal>, given: Readonly<Record<string, number | bigint | boolean>>): Map<string, bigint> {
  const hold = new Map<string, bigint>();
  for (const [name, v] of Object.entries(given)) {
    const sig = plain.get(name);
    if (!sig) throw misuse(where, `hold.${name}: ${design} has no plain input ${name}${plain.size ? ` (its plain inputs: ${[...plain.keys()].join(', ')})` : ''}`);
    const t = sig.type;
    const n = typeof v === 'boolean' ? (v ? 1n : 0n) : typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : undefined;
    const lo = t.signed ? -(1n << BigInt(t.width - 1)) : 0n;
    const hi = t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n;
    if (n === undefined || n < lo || n > hi) throw misuse(where, `hold.${name} = ${show(v)} is outside ${String(t)} (${lo}..${hi})`);
    hold.set(name, n);
  }
  return hold;
}

/** Every stream named in `inputs` is an input stream of the design. */
function checkInputNames(where: string, design: string, streams: readonly StreamInfo[], names: readonly string[]): void {
  const list = (dir?: 'in'): string => streams.filter((x) => !dir || x.dir === dir).map((x) => x.name).join(', ') || 'none';
  for (const name of names) {
    const s = streams.find((x) => x.name === name);
    if (!s) throw misuse(where, `inputs.${name}: ${design} has no stream ${name} (its streams: ${list()})`);
    if (s.dir === 'out') throw misuse(where, `inputs.${name}: ${name} is an output stream of ${design}; outputs are monitored, not driven (its input streams: ${list('in')})`);
  }
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
  const hold = holdValues(where, def.name, described.plainInputs, opts.hold ?? {});
  checkInputNames(where, def.name, described.streams, Object.keys(opts.inputs ?? {}));
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

