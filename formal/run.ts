/**
 * Proving one module: Yosys turns the module's Verilog and its formal wrapper
 * into an SMT-LIB model, then yosys-smtbmc runs bounded model checking (BMC)
 * from reset to a depth, and k-induction to the same depth. A failed BMC is a
 * real counterexample (written as VCD, the failing properties named by their
 * TypeScript lines); a failed induction step only means the properties are not
 * inductive at that depth (the result is then "unknown", bounded by the BMC).
 */
import { mkdir, writeFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FormalWrapper, WrapperProperty } from '../generator/backend/formal.ts';
import { requireTool, runTool } from '../toolchain/index.ts';

// Debian 12's boolector (1.5, 2012) predates the SMT-LIB commands yosys-smtbmc sends; z3 is the solver.
export const SOLVERS = ['z3'] as const;
export type Solver = (typeof SOLVERS)[number];

export interface ProofJob {
  /** Label in the table, e.g. `sparse/sbe_regs`. */
  readonly label: string;
  readonly wrapper: FormalWrapper;
  /** Verilog files of the module and its children: file name -> text. */
  readonly files: ReadonlyMap<string, string>;
  readonly depth: number;
  /** Induction length (k); 0 skips induction. */
  readonly inductionDepth: number;
  readonly solver: Solver;
  /** Seconds each solver run may take before it counts as unknown. */
  readonly timeout: number;
  /** Folder for the model, logs and counterexamples. */
  readonly dir: string;
}

export type InductionResult = 'proven' | 'failed' | 'unknown';

export interface PropertyFailure {
  readonly id: string;
  readonly kind: string;
  readonly message: string;
  /** The TypeScript line that states the property. */
  readonly source: string;
}

export interface ProofResult {
  readonly label: string;
  readonly module: string;
  readonly asserts: number;
  readonly assumes: number;
  readonly covers: number;
  /** Steps checked from reset without a counterexample (the requested depth when none was found). */
  readonly bmcDepth: number;
  readonly bmc: 'passed' | 'failed' | 'timeout';
  /** proven: k-induction closed; failed: BMC found a counterexample; unknown: neither within the depth or time. */
  readonly induction: InductionResult;
  readonly inductionDepth: number;
  /** Counterexample of a failed BMC: the step it fails in, the properties it breaks, the VCD (relative to the out folder). */
  readonly failures: PropertyFailure[];
  readonly failStep?: number;
  readonly vcd?: string;
  /** Cover goals reached / total (covers run as their own BMC to the same depth). */
  readonly coversReached?: number;
  readonly seconds: number;
  /** Why a run could not finish (solver error, vacuous assumptions), if so. */
  readonly note?: string;
}

/** Writes the model of a job: the Verilog, the wrapper and the Yosys script; returns the smt2 path. */
async function buildModel(job: ProofJob): Promise<string> {
  await mkdir(job.dir, { recursive: true });
  const dut: string[] = [];
  for (const [f, text] of job.files) {
    await writeFile(join(job.dir, f), text);
    dut.push(f);
  }
  await writeFile(join(job.dir, job.wrapper.file), job.wrapper.text);
  const w = job.wrapper;
  const script = [
    `read_verilog ${dut.join(' ')}`,
    // Processes first, so the signals the properties read exist as wires to expose.
    'proc',
    ...(w.expose.length ? [`expose ${w.expose.map((s) => `${w.module}/w:${s}`).join(' ')}`] : []),
    `read_verilog -formal ${w.file}`,
    `prep -top ${w.name}`,
    'flatten',
    'memory_map',
    'opt -fast',
    'async2sync',
    'dffunmap',
    'write_smt2 -wires model.smt2',
    '',
  ].join('\n');
  await writeFile(join(job.dir, 'model.ys'), script);
  const r = await runTool('yosys', ['-q', '-l', 'yosys.log', '-s', 'model.ys'], { cwd: job.dir });
  if (r.exitCode !== 0) {
    const line = String(r.all ?? '').split('\n').find((l) => /ERROR/.test(l)) ?? `yosys exited with ${r.exitCode}`;
    throw new Error(`${job.label}: building the formal model failed: ${line.trim()} (see ${join(job.dir, 'yosys.log')})`);
  }
  return join(job.dir, 'model.smt2');
}

interface SmtbmcRun {
  status: 'PASSED' | 'FAILED' | 'PREUNSAT' | 'TIMEOUT' | 'ERROR';
  lastStep: number;
  failedLines: number[];
  failStep?: number;
  coversReached: number;
  log: string;
}

/** Runs yosys-smtbmc and reads what it found from its log. */
async function smtbmc(job: ProofJob, args: string[], logName: string): Promise<SmtbmcRun> {
  const r = await runTool('yosys-smtbmc', ['-s', job.solver, '--presat', '--noprogress', ...args, 'model.smt2'], {
    cwd: job.dir,
    timeout: job.timeout * 1000,
  });
  const log = String(r.all ?? '');
  await writeFile(join(job.dir, logName), log);
  let lastStep = -1;
  const failedLines: number[] = [];
  let failStep: number | undefined;
  let coversReached = 0;
  for (const line of log.split('\n')) {
    const step = /Checking (?:assertions|assumptions) in step (\d+)/.exec(line) ?? /Checking cover reachability in step (\d+)/.exec(line);
    if (step) lastStep = Math.max(lastStep, Number(step[1]));
    const fail = /Assert failed in \S+: \S*?\.v:(\d+)\./.exec(line);
    if (fail) failedLines.push(Number(fail[1]));
    const at = /failed in step (\d+)|Assert failed in step (\d+)|BMC failed in step (\d+)/.exec(line);
    if (at && failStep === undefined) failStep = Number(at[1] ?? at[2] ?? at[3]);
    if (/Reached cover statement/.test(line)) coversReached++;
  }
  const statusLine = /Status: (PASSED|FAILED|PREUNSAT)/.exec(log);
  const timedOut = (r as { timedOut?: boolean }).timedOut === true;
  const status = timedOut ? 'TIMEOUT' : statusLine ? (statusLine[1] as SmtbmcRun['status']) : 'ERROR';
  return { status, lastStep, failedLines, failStep: failStep ?? (status === 'FAILED' ? lastStep : undefined), coversReached, log };
}

function failuresAt(w: FormalWrapper, lines: number[]): PropertyFailure[] {
  const byLine = new Map<number, WrapperProperty>(w.properties.map((p) => [p.line, p]));
  const seen = new Set<string>();
  const out: PropertyFailure[] = [];
  for (const l of lines) {
    const p = byLine.get(l);
    if (!p || seen.has(p.id)) continue;
    seen.add(p.id);
    out.push({ id: p.id, kind: p.kind, message: p.message, source: p.source });
  }
  return out;
}

function lastLine(log: string): string {
  return log.trim().split('\n').filter((l) => l.trim()).slice(-1)[0]?.replace(/^##\s+\S+\s+/, '') ?? '';
}

/** BMC, then (if it passed) k-induction, then covers; never throws for a property that fails. */
export async function prove(job: ProofJob): Promise<ProofResult> {
  requireTool('yosys-smtbmc');
  requireTool(job.solver);
  const t0 = performance.now();
  await buildModel(job);
  const w = job.wrapper;
  const count = (k: string): number => w.properties.filter((p) => p.kind === k).length;
  const base = { label: job.label, module: w.module, asserts: count('assert'), assumes: count('assume'), covers: count('cover'), inductionDepth: job.inductionDepth };
  const done = (r: Omit<ProofResult, keyof typeof base | 'seconds'>): ProofResult => ({ ...base, ...r, seconds: Math.round((performance.now() - t0) / 100) / 10 });

  const bmc = await smtbmc(job, ['-t', String(job.depth), '--dump-vcd', 'cex.vcd'], 'bmc.log');
  if (bmc.status === 'PREUNSAT') {
    return done({ bmcDepth: 0, bmc: 'failed', induction: 'failed', failures: [], note: 'the assumptions contradict each other (every property would hold vacuously)' });
  }
  if (bmc.status === 'FAILED') {
    const failures = failuresAt(w, bmc.failedLines);
    return done({ bmcDepth: Math.max(0, bmc.failStep ?? bmc.lastStep), bmc: 'failed', induction: 'failed', failures, failStep: bmc.failStep, vcd: existsSync(join(job.dir, 'cex.vcd')) ? 'cex.vcd' : undefined });
  }
  await rm(join(job.dir, 'cex.vcd'), { force: true });
  if (bmc.status !== 'PASSED') {
    return done({ bmcDepth: Math.max(0, bmc.lastStep), bmc: 'timeout', induction: 'unknown', failures: [], note: bmc.status === 'TIMEOUT' ? `BMC ran out of time (${job.timeout} s)` : `yosys-smtbmc: ${lastLine(bmc.log)}` });
  }
  let induction: InductionResult = 'unknown';
  let note: string | undefined;
  if (job.inductionDepth > 0 && count('assert') > 0) {
    const ind = await smtbmc(job, ['-i', '-t', String(job.inductionDepth), '--dump-vcd', 'induction.vcd'], 'induction.log');
    if (ind.status === 'PASSED') {
      induction = 'proven';
      await rm(join(job.dir, 'induction.vcd'), { force: true });
    } else if (ind.status === 'TIMEOUT') {
      note = `induction ran out of time (${job.timeout} s)`;
    } else {
      const stuck = failuresAt(w, ind.failedLines);
      note = `induction step fails at k = ${job.inductionDepth}${stuck.length ? ` for ${stuck.map((f) => `${f.id} (${f.source})`).join(', ')}` : ''}; induction.vcd shows the unreachable start state`;
    }
  } else if (count('assert') === 0) {
    induction = 'proven';
    note = 'no assertions';
  }
  let coversReached: number | undefined;
  if (count('cover') > 0) {
    const cov = await smtbmc(job, ['-c', '-t', String(job.depth)], 'cover.log');
    coversReached = cov.coversReached;
  }
  return done({ bmcDepth: job.depth, bmc: 'passed', induction, failures: [], coversReached, note });
}

/** Runs `jobs` with at most `workers` at a time, results in job order. */
export async function provePool(jobs: readonly ProofJob[], workers: number, onDone?: (r: ProofResult, done: number) => void): Promise<ProofResult[]> {
  const results: ProofResult[] = new Array(jobs.length);
  let next = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await prove(jobs[i]!);
      onDone?.(results[i]!, ++finished);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, worker));
  return results;
}

/** Writes `text` to `path` through a temporary name and a rename (readers never see half a file). */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
