/**
 * The harness's TypeScript entry points.
 *
 *   const tb = await prepareTestbench({ top: 'axi_copy', rtlFiles: ['x.v'] });   // parse, generate, build (cached)
 *   const result = await runSimJob(tb, job);                                     // one job, in bulk
 *   const bare = await runBareLoop(tb, cycles, hold?);                           // the benchmark's baselines: idle, or busy on held inputs
 *   await runSimJob(tb, job, { recordInputs: 'f.bin' }); await runReplayLoop(tb, 'f.bin');  // and the job's own inputs replayed
 *
 * prepareTestbench reads the top's ports from the Verilog with the header
 * parser and their roles from the top's manifest (ports.ts), generates the C++ glue (testbench.ts), inlines the hand-written
 * runtime (tb_runtime.h, tb_main.h) so the build cache's content hash covers
 * every line of C++, and builds through sim/build. A job asking for a VCD runs
 * on a separate --trace build, made on first use.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UserError } from '../../util/errors.ts';
import { findModule, readVerilogHeaders } from '../../generator/verilog-header/index.ts';
import { buildVerilated } from '../build/index.ts';
import { beatBytes } from './beats.ts';
import type { LiteCommand, SimJob, SimResult } from './job.ts';
import { readJobResult, scriptText, writeJobFiles } from './job-files.ts';
import { DESCRIBE_HINT, findTopDescription, type TopDescription } from '../../generator/backend/manifest.ts';
import { interfacesFromDescription, type TopInterfaces } from './ports.ts';
import { generateTestbench } from './testbench.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface HarnessTarget {
  top: string;
  /** Verilog sources; the top's header is read from whichever file declares it. */
  rtlFiles: string[];
  /**
   * The top's port groups, clock and reset. Default: the manifest.json the generator wrote
   * beside the Verilog. Hand-written Verilog: a blackBox() declaration's blackBoxManifest().
   */
  description?: TopDescription;
}

export interface Testbench {
  target: HarnessTarget;
  interfaces: TopInterfaces;
  /** The generated, self-contained C++ main. */
  source: string;
  exe: string;
  traceExe?: string;
}

/** The generated main with the runtime headers pasted in, so one file carries all the C++. */
export function testbenchSource(top: string, ifc: TopInterfaces): string {
  const inline = (name: string): string => readFileSync(join(HERE, name), 'utf8').replace(/^#pragma once$/m, '').replace(/^#include "tb_runtime\.h"$/m, '');
  return generateTestbench(top, ifc)
    .replace('#include "tb_runtime.h"\n', `// ---- tb_runtime.h\n${inline('tb_runtime.h')}\n`)
    .replace('#include "tb_main.h"\n', `// ---- tb_main.h\n${inline('tb_main.h')}\n`);
}

export function readTopInterfaces(target: HarnessTarget): TopInterfaces {
  const headers = target.rtlFiles.flatMap((f) => readVerilogHeaders(f));
  const top = findModule(headers, target.top);
  if (target.description) {
    if (target.description.name !== target.top) throw new UserError(`${target.top}: the description given is of ${target.description.name}`);
    return interfacesFromDescription(target.top, target.description, top.ports, 'the description given');
  }
  const found = findTopDescription(target.top, target.rtlFiles);
  if (!found) throw new UserError(`${target.top}: no interface metadata (no manifest.json beside its Verilog describes it); ${DESCRIBE_HINT}`);
  return interfacesFromDescription(target.top, found.description, top.ports, found.file);
}

async function build(target: HarnessTarget, source: string, trace: boolean): Promise<string> {
  // The C++ lives at a content-addressed path: the build cache may key on
  // paths as well as contents, and parallel preparers of different tops must
  // not overwrite each other's file. Written by rename, so readers never see half a file.
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 20);
  const dir = join(tmpdir(), `sparsegrad-tb-${hash}`);
  const cpp = join(dir, `tb_${target.top}.cpp`);
  await mkdir(dir, { recursive: true });
  const part = `${cpp}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(part, source);
  await rename(part, cpp);
  // The harness runs hand-edited RTL too: Verilator's lint belongs to the lint checks, not here.
  const flags = ['-Wno-fatal', '-Wno-lint', '-Wno-style'];
  return await buildVerilated({ top: target.top, files: target.rtlFiles.map((f) => resolve(f)), cppFiles: [cpp], flags, trace });
}

export async function prepareTestbench(target: HarnessTarget, opts: { trace?: boolean } = {}): Promise<Testbench> {
  const interfaces = readTopInterfaces(target);
  const source = testbenchSource(target.top, interfaces);
  const tb: Testbench = { target, interfaces, source, exe: await build(target, source, false) };
  if (opts.trace) tb.traceExe = await build(target, source, true);
  return tb;
}

export interface RunOptions {
  /** Keep the run directory (job.txt and every file) here instead of a temp dir that is removed. */
  keepDir?: string;
  /** Where the VCD goes when the job has a window (default: it stays in the run directory, which is then kept). */
  vcdPath?: string;
  /** Record every cycle's inputs into this file, for runReplayLoop (the benchmark's like-for-like baseline). */
  recordInputs?: string;
}

export async function runSimJob(tb: Testbench, job: SimJob, opts: RunOptions = {}): Promise<SimResult> {
  const wantVcd = job.vcd !== undefined;
  if (wantVcd && !tb.traceExe) tb.traceExe = await build(tb.target, tb.source, true);
  const exe = wantVcd ? tb.traceExe! : tb.exe;
  const dir = opts.keepDir ?? (await mkdtemp(join(tmpdir(), 'sparsegrad-run-')));
  const removeDir = !opts.keepDir && !(wantVcd && !opts.vcdPath);
  if (opts.keepDir) await mkdir(dir, { recursive: true });
  try {
    const outputNames = tb.interfaces.outputs.map((s) => s.name);
    for (const name of Object.keys(job.inputs)) {
      if (!tb.interfaces.inputs.some((s) => s.name === name)) {
        throw new UserError(`${tb.target.top} has no input stream s_axis_${name}_*: check the --rtl top or the job`);
      }
    }
    const jobFile = await writeJobFiles(job, dir, outputNames, wantVcd);
    if (opts.recordInputs) await appendFile(jobFile, `record ${resolve(opts.recordInputs)}\n`);
    const run = await execa(exe, [jobFile], { reject: false, stdin: 'ignore' });
    if (run.exitCode !== 0) {
      const why = (run.stderr || run.stdout || `exit code ${run.exitCode}`).split('\n').find(Boolean) ?? '';
      throw new Error(`testbench of ${tb.target.top} failed: ${why}`);
    }
    const result = await readJobResult(tb.target.top, job, dir, outputNames, wantVcd);
    if (result.vcdFile && opts.vcdPath) {
      await mkdir(dirname(opts.vcdPath), { recursive: true });
      await rename(result.vcdFile, opts.vcdPath).catch(async () => {
        await writeFile(opts.vcdPath!, await readFile(result.vcdFile!));
      });
      result.vcdFile = opts.vcdPath;
    }
    return result;
  } finally {
    if (removeDir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The inputs of the busy baseline (`<exe> --bare N HOLD.txt`): constants chosen
 * before the timed loop so the design works in it, with still no I/O, models or
 * checks per cycle. Every output stream is ready and the AXI4 memory's readies
 * and B (OKAY) are held high.
 */
export interface HeldInputs {
  /** AXI4-Lite commands run before the timed loop, with the inputs already held (e.g. program and start the design). */
  setup: LiteCommand[];
  /** Commands run after it; their reads come back in `reads` (e.g. counters that show the design was busy). */
  after?: LiteCommand[];
  /** One beat per input stream (format of SimJob.inputs), offered in every cycle. */
  beats: Record<string, Uint8Array>;
  /** One R beat, ⌈bus/8⌉ data bytes then a flag byte (bit0 RLAST), valid in every cycle. */
  readBeat?: Uint8Array;
}

export interface BareLoopResult {
  cycles: number;
  simSeconds: number;
  simCpuSeconds: number;
  /** Reads of the held run's setup and after scripts, in order. */
  reads: { addr: number; data: number }[];
}

/**
 * Simulated cycles per second of the bare model: reset, then `cycles` clock
 * cycles with no I/O, the same two evals per cycle as a job. Without `hold`
 * every input stays at its reset value and the design idles; with it the
 * inputs are held at those constants.
 */
export async function runBareLoop(tb: Testbench, cycles: number, hold?: HeldInputs): Promise<BareLoopResult> {
  const args = ['--bare', String(cycles)];
  let dir: string | undefined;
  try {
    if (hold) {
      dir = await mkdtemp(join(tmpdir(), 'sparsegrad-hold-'));
      args.push(await writeHoldFiles(tb, hold, dir));
    }
    const run = await execa(tb.exe, args, { reject: false, stdin: 'ignore' });
    if (run.exitCode !== 0) throw new Error(`bare loop of ${tb.target.top} failed: ${(run.stderr || `exit code ${run.exitCode}`).split('\n')[0]}`);
    const r = JSON.parse(run.stdout) as { cycles: number; sim_seconds: number; cpu_seconds: number; errors_total: number; reads: [number, number][] };
    if (r.errors_total > 0) throw new Error(`bare loop of ${tb.target.top}: the AXI4-Lite scripts saw ${r.errors_total} protocol errors`);
    return { cycles: r.cycles, simSeconds: r.sim_seconds, simCpuSeconds: r.cpu_seconds, reads: r.reads.map(([addr, data]) => ({ addr, data })) };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

export interface ReplayResult {
  cycles: number;
  simSeconds: number;
  simCpuSeconds: number;
  /** Compare with the recorded job's SimResult.outputsDigest: equal when the replay went where the job went. */
  outputsDigest: string;
}

/**
 * Simulated cycles per second of the bare model on a job's own workload: the
 * inputs a job recorded (RunOptions.recordInputs) are copied into the ports,
 * one frame per cycle, with no models, checks or captures in the loop.
 */
export async function runReplayLoop(tb: Testbench, framesFile: string): Promise<ReplayResult> {
  const run = await execa(tb.exe, ['--replay', framesFile], { reject: false, stdin: 'ignore' });
  if (run.exitCode !== 0) throw new Error(`replay loop of ${tb.target.top} failed: ${(run.stderr || `exit code ${run.exitCode}`).split('\n')[0]}`);
  const r = JSON.parse(run.stdout) as { cycles: number; sim_seconds: number; cpu_seconds: number; outputs_digest: string };
  return { cycles: r.cycles, simSeconds: r.sim_seconds, simCpuSeconds: r.cpu_seconds, outputsDigest: r.outputs_digest };
}

async function writeHoldFiles(tb: Testbench, hold: HeldInputs, dir: string): Promise<string> {
  const lines: string[] = [];
  for (const [name, beat] of Object.entries(hold.beats)) {
    const port = tb.interfaces.inputs.find((s) => s.name === name);
    if (!port) throw new UserError(`${tb.target.top} has no input stream s_axis_${name}_*: check the held beats`);
    if (beat.length !== beatBytes(port.width)) throw new RangeError(`held beat of s_axis_${name} must be one ${beatBytes(port.width)}-byte beat`);
    const file = join(dir, `in_${name}.bin`);
    await writeFile(file, beat);
    lines.push(`in ${name} ${file}`);
  }
  if (hold.readBeat) {
    const file = join(dir, 'hold_read.bin');
    await writeFile(file, hold.readBeat);
    lines.push(`hold_read ${file}`);
  }
  for (const [key, script] of [['script', hold.setup], ['after', hold.after ?? []]] as const) {
    const file = join(dir, `${key}.txt`);
    await writeFile(file, scriptText(script));
    lines.push(`${key} ${file}`);
  }
  const file = join(dir, 'hold.txt');
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}
