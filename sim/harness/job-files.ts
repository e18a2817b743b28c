/**
 * Moves a SimJob into a run directory the C++ testbench reads in bulk
 * (job.txt, one binary file per stream and memory region, script.txt), and
 * reads its results back. The directory is self-contained: running
 * `<testbench> DIR/job.txt` again replays the job exactly.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LiteCommand, MemoryStats, SimJob, SimResult, StreamStats } from './job.ts';
import { HarnessBug, describeViolation, ruleRef, type Violation } from './rules.ts';

const NAME = /^[A-Za-z0-9_]+$/;

export function scriptText(script: readonly LiteCommand[]): string {
  const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
  return script
    .map((c) => {
      switch (c.op) {
        case 'write':
          return `write ${hex(c.addr)} ${hex(c.data)}`;
        case 'read':
          return `read ${hex(c.addr)}`;
        case 'wait':
          return `wait ${hex(c.addr)} ${hex(c.mask)} ${hex(c.value)}${c.quiescent ? ' quiescent' : ''}`;
        case 'idle':
          return `idle ${c.cycles}`;
        case 'poke':
          return `poke ${hex(c.addr)} ${hex(c.data)} ${c.bDelay ?? 0}`;
        case 'expect':
          return `expect ${hex(c.addr)} ${hex(c.mask)} ${hex(c.value)}`;
      }
    })
    .join('\n')
    .concat(script.length ? '\n' : '');
}

/** Parses the script text format back (the `--script` files users may write by hand). */
export function parseScript(text: string): LiteCommand[] {
  const out: LiteCommand[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [op, ...words] = line.split(/\s+/);
    const quiescent = op === 'wait' && words.at(-1) === 'quiescent';
    const args = quiescent ? words.slice(0, -1) : words;
    const nums = args.map((a) => Number(a));
    const bad = (): never => {
      throw new RangeError(`script line ${i + 1}: cannot read "${raw.trim()}"`);
    };
    if (nums.some((n) => !Number.isInteger(n) || n < 0)) bad();
    if (op === 'write' && nums.length === 2) out.push({ op, addr: nums[0], data: nums[1] });
    else if (op === 'read' && nums.length === 1) out.push({ op, addr: nums[0] });
    else if (op === 'wait' && nums.length === 3) out.push({ op, addr: nums[0], mask: nums[1], value: nums[2], ...(quiescent ? { quiescent } : {}) });
    else if (op === 'idle' && nums.length === 1) out.push({ op, cycles: nums[0] });
    else if (op === 'poke' && (nums.length === 2 || nums.length === 3)) out.push({ op, addr: nums[0], data: nums[1], ...(nums.length === 3 ? { bDelay: nums[2] } : {}) });
    else if (op === 'expect' && nums.length === 3) out.push({ op, addr: nums[0], mask: nums[1], value: nums[2] });
    else bad();
  });
  return out;
}

function memorySize(job: SimJob): number {
  if (job.memory.size !== undefined) return job.memory.size;
  const ends = [...job.memory.load.map((l) => l.base + l.data.length), ...job.memory.dump.map((d) => d.base + d.bytes), 0];
  return Math.ceil(Math.max(...ends) / 4096) * 4096;
}

function monitorLines(job: SimJob): string[] {
  const m = job.monitors ?? {};
  const lines: string[] = [];
  const count = (v: number | undefined, what: string): number | undefined => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new RangeError(`monitors.${what} must be a whole number ≥ 1, got ${v}`);
    return v;
  };
  if (count(m.maxOutstandingReads, 'maxOutstandingReads')) lines.push(`declared_reads ${m.maxOutstandingReads}`);
  if (count(m.maxOutstandingWrites, 'maxOutstandingWrites')) lines.push(`declared_writes ${m.maxOutstandingWrites}`);
  if (count(m.responseBound, 'responseBound')) lines.push(`response_bound ${m.responseBound}`);
  if (m.memoryFault) lines.push(`mem_fault ${m.memoryFault === 'b-early' ? 1 : 2}`);
  if (m.harnessFault) lines.push(`harness_fault ${m.harnessFault === 'first-cycle' ? 1 : 2}`);
  for (const [name, runs] of Object.entries(m.packets ?? {})) {
    if (!NAME.test(name)) throw new RangeError(`stream name "${name}" must match ${NAME}`);
    for (const r of runs) count(r.beats, `packets.${name}.beats`);
    lines.push(`packets ${name} ${runs.filter((r) => r.count > 0).map((r) => `${r.beats}x${r.count}`).join(' ')}`.trimEnd());
  }
  return lines;
}

/** Writes the job into `dir` (which must exist) and returns the path of job.txt. */
export async function writeJobFiles(job: SimJob, dir: string, outputNames: readonly string[], withVcd: boolean): Promise<string> {
  const lines = [
    `seed ${job.seed >>> 0}`,
    `backpressure ${job.backpressure}`,
    `cycle_limit ${job.cycleLimit}`,
    `drain ${job.drainCycles ?? 16}`,
    `mem_size ${memorySize(job)}`,
    `mem_latency ${job.memory.latency ?? 1}`,
    `mem_stall ${job.memory.stallProbability ?? 0}`,
    `mem_outstanding ${job.memory.maxOutstandingReads ?? 16}`,
    ...monitorLines(job),
  ];
  for (const [name, data] of Object.entries(job.inputs)) {
    if (!NAME.test(name)) throw new RangeError(`stream name "${name}" must match ${NAME}`);
    const file = join(dir, `in_${name}.bin`);
    await writeFile(file, data);
    lines.push(`in ${name} ${file}`);
  }
  for (const [i, region] of job.memory.load.entries()) {
    const file = join(dir, `load_${i}.bin`);
    await writeFile(file, region.data);
    lines.push(`load ${region.base} ${file}`);
  }
  for (const d of job.memory.dump) {
    if (!NAME.test(d.name)) throw new RangeError(`dump name "${d.name}" must match ${NAME}`);
    lines.push(`dump ${d.name} ${d.base} ${d.bytes} ${join(dir, `dump_${d.name}.bin`)}`);
  }
  for (const n of outputNames) lines.push(`out ${n} ${join(dir, `out_${n}.bin`)}`);
  const script = join(dir, 'script.txt');
  await writeFile(script, scriptText(job.script));
  lines.push(`script ${script}`, `reads ${join(dir, 'reads.txt')}`, `pokes ${join(dir, 'pokes.txt')}`, `result ${join(dir, 'result.json')}`);
  if (withVcd && job.vcd) lines.push(`vcd ${join(dir, 'window.vcd')} ${job.vcd.fromCycle} ${job.vcd.toCycle}`);
  const jobFile = join(dir, 'job.txt');
  await writeFile(jobFile, lines.join('\n') + '\n');
  return jobFile;
}

function u64s(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 8 <= buf.length; i += 8) out.push(Number(buf.readBigUInt64LE(i)));
  return out;
}

type RawViolation = Omit<Violation, 'ref'>;

interface RawResult {
  cycles: number;
  timed_out: boolean;
  script_position: number;
  script_length: number;
  errors_total: number;
  errors: RawViolation[];
  /** Rules the harness's own masters broke (tb_main.h check_own_valids). */
  harness_errors: RawViolation[];
  inputs: Record<string, { beats: number; offered: number; stall_cycles: number }>;
  outputs: Record<string, { beats: number; stall_cycles: number }>;
  memory: { read_bursts: number; read_beats: number; write_bursts: number; write_beats: number; max_outstanding_reads: number };
  sim_seconds: number;
  cpu_seconds: number;
  loop_cycles: number;
  outputs_digest: string;
}

/** The result of the job run in `dir`; a `HarnessBug` when the harness broke a rule itself. */
export async function readJobResult(top: string, job: SimJob, dir: string, outputNames: readonly string[], withVcd: boolean): Promise<SimResult> {
  const raw = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as RawResult;
  if (raw.harness_errors.length) throw new HarnessBug(top, raw.harness_errors.map((e) => ({ ...e, ref: ruleRef(e.rule) })));
  const outputs: Record<string, Uint8Array> = {};
  const outputCycles: Record<string, number[]> = {};
  for (const name of outputNames) {
    outputs[name] = new Uint8Array(await readFile(join(dir, `out_${name}.bin`)));
    outputCycles[name] = u64s(await readFile(join(dir, `out_${name}.bin.cycles`)));
  }
  const log = u64s(await readFile(join(dir, 'reads.txt.writes')));
  const writeBursts: SimResult['writeBursts'] = [];
  for (let i = 0; i + 2 < log.length; i += 3) writeBursts.push({ cycle: log[i]!, addr: log[i + 1]!, beats: log[i + 2]! });
  const reads = (await readFile(join(dir, 'reads.txt'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [a, d, c] = l.split(' ');
      return { addr: Number(a), data: Number(d), cycle: Number(c) };
    });
  const dumps: Record<string, Uint8Array> = {};
  for (const d of job.memory.dump) dumps[d.name] = new Uint8Array(await readFile(join(dir, `dump_${d.name}.bin`)));

  const violations: Violation[] = raw.errors.map((e) => ({ ...e, ref: ruleRef(e.rule) }));
  const protocolErrors = violations.map(describeViolation);
  if (raw.errors_total > raw.errors.length) protocolErrors.push(`... and ${raw.errors_total - raw.errors.length} more`);
  const pokes = (await readFile(join(dir, 'pokes.txt'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [a, d, c, r, b] = l.split(' ').map(Number);
      return { addr: a!, data: d!, cycle: c!, resp: r!, bCycle: b! };
    });
  const streams: Record<string, StreamStats> = {};
  for (const [n, s] of Object.entries(raw.inputs)) streams[n] = { beats: s.beats, stallCycles: s.stall_cycles };
  for (const [n, s] of Object.entries(raw.outputs)) streams[n] = { beats: s.beats, stallCycles: s.stall_cycles };
  const memory: MemoryStats = {
    readBursts: raw.memory.read_bursts,
    readBeats: raw.memory.read_beats,
    writeBursts: raw.memory.write_bursts,
    writeBeats: raw.memory.write_beats,
    maxOutstandingReads: raw.memory.max_outstanding_reads,
  };
  const result: SimResult = {
    outputs,
    reads,
    outputCycles,
    writeBursts,
    dumps,
    cycles: raw.cycles,
    timedOut: raw.timed_out,
    violations,
    violationCount: raw.errors_total,
    protocolErrors,
    pokes,
    streams,
    memory,
    simSeconds: raw.sim_seconds,
    simCpuSeconds: raw.cpu_seconds,
    loopCycles: raw.loop_cycles,
    outputsDigest: raw.outputs_digest,
  };
  if (raw.timed_out) {
    const pending = Object.entries(raw.inputs)
      .filter(([, s]) => s.beats < s.offered)
      .map(([n, s]) => `s_axis_${n} took ${s.beats} of ${s.offered} beats`);
    result.timeoutDetail = [`script at command ${raw.script_position + 1} of ${raw.script_length}`, ...pending].join('; ');
  }
  if (withVcd && job.vcd) result.vcdFile = join(dir, 'window.vcd');
  return result;
}
