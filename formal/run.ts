/**
 * Proving one module: Yosys turns the module's Verilog and its formal wrapper
 * into an AIGER model (assumptions as constraints), then ABC (yosys-abc, part
 * of Debian's yosys) runs bounded model checking from reset to a depth
 * (`bmc3`) and, if that passed, an unbounded proof by property-directed
 * reachability (`pdr`, IC3: induction that finds its own strengthening
 * invariant). A counterexample is replayed on the model by Yosys' simulator,
 * which writes it as VCD and names the assertions it breaks; the wrapper maps
 * those back to the TypeScript lines that state them.
 *
 * Why not yosys-smtbmc: with z3 (the only SMT solver Debian 12 has that
 * yosys-smtbmc can drive; its boolector 1.5 predates the SMT-LIB commands
 * smtbmc sends) the whole engine's model stalled in the first step for
 * minutes, where ABC's bit-level engines answer in about a second.
 */
import { mkdir, readFile, writeFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FormalWrapper, WrapperProperty } from '../generator/backend/formal.ts';
import { requireTool, runTool } from '../toolchain/index.ts';
import { pool } from '../util/pool.ts';

export interface ProofJob {
  /** Label in the table, e.g. `sparse/sbe_regs`. */
  readonly label: string;
  readonly wrapper: FormalWrapper;
  /** Verilog files of the module and its children: file name -> text. */
  readonly files: ReadonlyMap<string, string>;
  readonly depth: number;
  /** Steps from reset BMC searches for a trace to each cover goal (cheap next to the proof); 0 checks none. */
  readonly coverDepth: number;
  /** Run the unbounded proof after a passing BMC. */
  readonly unbounded: boolean;
  /** Seconds each solver run may take before it counts as unknown. */
  readonly timeout: number;
  /** Folder for the model, logs and counterexamples. */
  readonly dir: string;
}

export type ProofStatus = 'proven' | 'failed' | 'unknown';

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
  /** proven: the unbounded proof closed; failed: a counterexample exists; unknown: neither within the time (bounded by the BMC). */
  readonly proof: ProofStatus;
  /** Counterexample: the step it fails in, the properties it breaks, the VCD's path. */
  readonly failures: PropertyFailure[];
  readonly failStep?: number;
  readonly vcd?: string;
  readonly seconds: number;
  /** Why a run could not finish (solver error, vacuous assumptions), if so. */
  readonly note?: string;
  /** Every cover goal, and the step BMC first reached it in (null: not within the depth). */
  readonly coverage: CoverResult[];
}

export interface CoverResult {
  readonly id: string;
  readonly message: string;
  readonly source: string;
  /** reached: a trace from reset reaches it; unreached: none within the depth; unknown: the solver did not finish. */
  readonly status: 'reached' | 'unreached' | 'unknown';
  /** The step of the shortest trace that reaches it. */
  readonly reachedAt: number | null;
  readonly note?: string;
}

/**
 * The Yosys script that turns the module and its wrapper into an AIGER model.
 * `safety`: the assertions are the properties (covers dropped). `cover`: the
 * assertions are dropped and each cover goal's wire becomes an output, so a
 * BMC "failure" of that output is a trace that reaches the goal.
 */
function modelScript(w: FormalWrapper, dut: readonly string[], kind: 'safety' | 'cover', prefix: string): string {
  return [
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
    ...(kind === 'safety'
      ? ['write_rtlil model.il', 'chformal -cover -remove', 'setattr -unset keep', 'delete -output']
      : ['chformal -assert -cover -remove', 'delete -output', `expose ${w.name}/w:_f_cover_p*`, 'setattr -unset keep']),
    'opt -full',
    'techmap',
    'opt -fast',
    'dffunmap',
    'abc -g AND -fast',
    'opt_clean',
    // -B: assumptions become AIGER constraints; -I: the initial-state flag is a real latch.
    `write_aiger -I -B -zinit -map ${prefix}.aim ${prefix}.aig`,
    '',
  ].join('\n');
}

async function runYosysScript(job: ProofJob, name: string, script: string, what: string): Promise<void> {
  await writeFile(join(job.dir, `${name}.ys`), script);
  const r = await runTool('yosys', ['-q', '-l', `${name}-yosys.log`, '-s', `${name}.ys`], { cwd: job.dir });
  if (r.exitCode !== 0) {
    const line = String(r.all ?? '').split('\n').find((l) => /ERROR/.test(l)) ?? `yosys exited with ${r.exitCode}`;
    throw new Error(`${job.label}: building the ${what} failed: ${line.trim()} (see ${join(job.dir, `${name}-yosys.log`)})`);
  }
}

/** Writes the model of a job (the Verilog, the wrapper, the Yosys script) and builds it: model.il for replays, model.aig for ABC. */
async function buildModel(job: ProofJob): Promise<void> {
  await mkdir(job.dir, { recursive: true });
  for (const [f, text] of job.files) await writeFile(join(job.dir, f), text);
  await writeFile(join(job.dir, job.wrapper.file), job.wrapper.text);
  await runYosysScript(job, 'model', modelScript(job.wrapper, [...job.files.keys()], 'safety', 'model'), 'formal model');
}

/**
 * Reaches for each cover goal: BMC to the job's depth on the cone of that goal's
 * output (the folded assumptions included). One ABC run per goal: `bmc3 -a`,
 * which would take them all at once, crashes on the engine's model. The AIGER
 * map names each goal's output, which ties ABC's output numbers to the goals.
 */
async function checkCovers(job: ProofJob): Promise<CoverResult[]> {
  const goals = job.wrapper.properties.filter((p) => p.kind === 'cover' && p.coverWire);
  if (goals.length === 0 || job.coverDepth === 0) return [];
  await runYosysScript(job, 'cover', modelScript(job.wrapper, [...job.files.keys()], 'cover', 'cover'), 'cover model');
  const outputOf = new Map<string, number>();
  for (const m of (await readFile(join(job.dir, 'cover.aim'), 'utf8')).matchAll(/^output (\d+) \d+ (\S+)$/gm)) outputOf.set(m[2]!, Number(m[1]));
  const results: CoverResult[] = [];
  const logs: string[] = [];
  for (const g of goals) {
    const base = { id: g.id, message: g.message, source: g.source };
    const out = outputOf.get(g.coverWire!);
    if (out === undefined) {
      // Yosys proved the goal's wire constant and removed it: constant 0 is unreachable.
      results.push({ ...base, status: 'unreached', reachedAt: null });
      continue;
    }
    const cone = `read_aiger cover.aig; fold; strash; cone -O ${out} -R 1 -s; scleanup`;
    const abcRun = async (engine: string): Promise<{ log: string; exit: string }> => {
      const r = await runTool('yosys-abc', ['-c', `${cone}; ${engine}`], { cwd: job.dir, timeout: (job.timeout + 30) * 1000 });
      const log = String(r.all ?? '');
      logs.push(`== ${g.id} ${g.coverWire} (output ${out}): ${engine}\n${log}`);
      return { log, exit: r.exitCode === 0 ? '' : `ABC exited with ${r.exitCode ?? r.signal}` };
    };
    const bmc = await abcRun(`bmc3 -F ${job.coverDepth} -T ${job.timeout}`);
    const hit = /was asserted in frame (\d+)/.exec(bmc.log);
    const none = /No output asserted in (\d+) frames/.exec(bmc.log);
    if (hit) {
      results.push({ ...base, status: 'reached', reachedAt: Number(hit[1]) });
    } else if ((none && Number(none[1]) >= job.coverDepth) || /Explored all reachable states/.test(bmc.log)) {
      // Not within the depth; PDR tells whether any depth would do (the goal's output proved never high).
      const pdr = await abcRun(`pdr -T ${job.timeout}`);
      results.push({ ...base, status: 'unreached', reachedAt: null, ...(/Property proved/.test(pdr.log) ? { note: 'unreachable at any depth' } : {}) });
    } else {
      results.push({ ...base, status: 'unknown', reachedAt: null, note: bmc.exit || `BMC stopped after ${none?.[1] ?? 0} steps` });
    }
  }
  await writeFile(join(job.dir, 'cover.log'), logs.join('\n'));
  return results;
}

interface AbcRun {
  status: 'passed' | 'failed' | 'unknown' | 'timeout';
  /** Frame of the first failure, or frames checked. */
  frame: number;
  log: string;
}

/** Runs one ABC engine on model.aig (constraints folded in); writes cex.aiw on a failure. */
async function abc(job: ProofJob, engine: string, logName: string): Promise<AbcRun> {
  const r = await runTool('yosys-abc', ['-c', `read_aiger model.aig; fold; strash; ${engine}; write_cex -a cex.aiw`], {
    cwd: job.dir,
    timeout: (job.timeout + 30) * 1000,
  });
  const log = String(r.all ?? '');
  await writeFile(join(job.dir, logName), log);
  const fail = /Output \d+ of miter .* was asserted in frame (\d+)/.exec(log);
  if (fail) return { status: 'failed', frame: Number(fail[1]), log };
  if (/Property proved|UNSAT/.test(log) && engine.startsWith('pdr')) return { status: 'passed', frame: 0, log };
  const none = /No output asserted in (\d+) frames/.exec(log);
  if (none && engine.startsWith('bmc')) return { status: Number(none[1]) >= job.depth ? 'passed' : 'timeout', frame: Number(none[1]), log };
  const timedOut = (r as { timedOut?: boolean }).timedOut === true || /[Tt]imeout|[Rr]eached timeout/.test(log);
  return { status: timedOut ? 'timeout' : 'unknown', frame: 0, log };
}

/** Replays cex.aiw on the model with Yosys' simulator: the VCD, and the wrapper lines of the assertions that fail. */
async function replay(job: ProofJob): Promise<number[]> {
  const clk = job.wrapper.text.includes('input wire aclk') ? 'aclk' : 'clk';
  const r = await runTool('yosys', ['-q', '-p', `read_rtlil model.il; sim -q -r cex.aiw -map model.aim -clock ${clk} -scope ${job.wrapper.name} -vcd cex.vcd`], { cwd: job.dir });
  const lines: number[] = [];
  for (const m of String(r.all ?? '').matchAll(/Assert \S+ \(\S*?\.v:(\d+)\./g)) lines.push(Number(m[1]));
  return lines;
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

/** BMC from reset, then (if it passed) an unbounded proof; never throws for a property that fails. */
export async function prove(job: ProofJob): Promise<ProofResult> {
  requireTool('yosys');
  requireTool('yosys-abc');
  const t0 = performance.now();
  await buildModel(job);
  const w = job.wrapper;
  const count = (k: string): number => w.properties.filter((p) => p.kind === k).length;
  const base = { label: job.label, module: w.module, asserts: count('assert'), assumes: count('assume'), covers: count('cover') };
  const coverage = await checkCovers(job);
  const done = (r: Omit<ProofResult, keyof typeof base | 'seconds' | 'coverage'>): ProofResult => ({ ...base, ...r, coverage, seconds: Math.round((performance.now() - t0) / 100) / 10 });
  if (count('assert') === 0) return done({ bmcDepth: job.depth, bmc: 'passed', proof: 'proven', failures: [], note: 'no assertions' });

  const bmc = await abc(job, `bmc3 -F ${job.depth} -T ${job.timeout}`, 'bmc.log');
  if (bmc.status === 'failed') {
    const failures = failuresAt(w, await replay(job));
    return done({ bmcDepth: bmc.frame, bmc: 'failed', proof: 'failed', failures, failStep: bmc.frame, vcd: existsSync(join(job.dir, 'cex.vcd')) ? join(job.dir, 'cex.vcd') : undefined });
  }
  await rm(join(job.dir, 'cex.aiw'), { force: true });
  if (bmc.status !== 'passed') {
    return done({ bmcDepth: bmc.frame, bmc: 'timeout', proof: 'unknown', failures: [], note: `BMC stopped after ${bmc.frame} steps (${job.timeout} s limit)` });
  }
  let proof: ProofStatus = 'unknown';
  let note: string | undefined;
  if (job.unbounded) {
    const pdr = await abc(job, `pdr -T ${job.timeout}`, 'proof.log');
    if (pdr.status === 'passed') proof = 'proven';
    else if (pdr.status === 'failed') {
      // Deeper than the BMC: a real counterexample all the same.
      const failures = failuresAt(w, await replay(job));
      return done({ bmcDepth: job.depth, bmc: 'passed', proof: 'failed', failures, failStep: pdr.frame, vcd: existsSync(join(job.dir, 'cex.vcd')) ? join(job.dir, 'cex.vcd') : undefined });
    } else note = `no proof within ${job.timeout} s: bounded to ${job.depth} steps`;
  } else note = `bounded to ${job.depth} steps (no unbounded proof asked)`;
  await rm(join(job.dir, 'cex.aiw'), { force: true });
  return done({ bmcDepth: job.depth, bmc: 'passed', proof, failures: [], note });
}

/** Runs `jobs` with at most `workers` at a time, results in job order. */
export async function provePool(jobs: readonly ProofJob[], workers: number, onDone?: (r: ProofResult, done: number) => void): Promise<ProofResult[]> {
  let finished = 0;
  return pool(jobs, workers, async (job) => {
    const r = await prove(job);
    onDone?.(r, ++finished);
    return r;
  });
}

/** Writes `text` to `path` through a temporary name and a rename (readers never see half a file). */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
