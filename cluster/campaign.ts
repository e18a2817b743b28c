/**
 * A campaign: many independent points (regress cosims, training runs), each
 * turned into one JSON result by a point runner, on the local pool or as one
 * Slurm job array. The executor never changes a result: both call the same
 * runner on the same point, and results are merged in point order.
 *
 * The Slurm executor works in a folder every node sees (--work DIR):
 *
 *   DIR/plan.json          what to run: the runner module, its options, every point
 *   DIR/task.sh            the batch script of every task (a hidden subcommand)
 *   DIR/cache/             Verilator models, built once by the driver before submitting
 *   DIR/results/<i>.json   one per finished point, written atomically by the task
 *   DIR/points/<i>/        whatever a point keeps (a failing cosim's folder)
 *   DIR/logs/<job>_<task>.out  each task's output
 *   DIR/jobs.json          the job ids submitted, for resume and cancel
 *
 * Resuming reruns only the points without a result; a task that died (node
 * failure, time limit, out of memory, cancel) leaves its points without one and
 * is resubmitted up to --retries times, then reported as an infrastructure
 * error, never as a design failure.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, UserError } from '../util/errors.ts';
import { cancelJob, queuedTasks, requireSlurm, type SlurmOptions, submitArray } from './slurm.ts';

export const PLAN_VERSION = 1;

/** What a task process imports to run one point: a module of this repository and its export. */
export interface PointRunnerRef {
  /** Path relative to the repository root, e.g. `sim/regress.ts`. */
  module: string;
  export: string;
}

/** The signature of a point runner: options and point as the plan holds them, and a folder of its own. */
export type PointRunner = (options: unknown, point: unknown, ctx: { pointDir: string; index: number }) => Promise<unknown>;

export interface Plan {
  version: number;
  kind: string;
  runner: PointRunnerRef;
  options: unknown;
  points: unknown[];
  pointsPerTask: number;
}

export interface SlurmCampaign extends SlurmOptions {
  /** The shared work folder of a new campaign; or the folder of an interrupted one with `resume`. */
  work: string;
  resume: boolean;
  pointsPerTask: number;
  /** Resubmissions of tasks that died, after the first submission. */
  retries: number;
  /** How often to look at the queue and the result files, in ms. */
  pollMs?: number;
}

export interface CampaignSpec {
  kind: string;
  runner: PointRunnerRef;
  options: unknown;
  points: unknown[];
  /** Builds what every task needs (Verilator models) into the build cache the tasks will use. */
  prebuild?: (cacheDir: string) => Promise<void>;
  onProgress?: (done: number, total: number, what: string) => void;
  log?: (line: string) => void;
}

/** A point whose task never produced a result: node failure, time limit, out of memory, cancel. */
export interface InfrastructureError {
  infrastructureError: string;
}

export function isInfrastructureError(x: unknown): x is InfrastructureError {
  return typeof x === 'object' && x !== null && 'infrastructureError' in x;
}

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function taskRange(plan: Plan, task: number): [number, number] {
  const from = task * plan.pointsPerTask;
  return [from, Math.min(plan.points.length, from + plan.pointsPerTask)];
}

export function taskCount(plan: Plan): number {
  return Math.ceil(plan.points.length / plan.pointsPerTask);
}

export const resultFile = (work: string, i: number): string => join(work, 'results', `${i}.json`);
export const pointDir = (work: string, i: number): string => join(work, 'points', String(i));

/**
 * Written next to its final name and renamed, so a reader never sees half a file.
 * Not util/atomic.ts's writer: that one scans the folder for stale temporaries on
 * every write, and a results folder holds a file per point (100,000 and more).
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

export function readPlan(work: string): Plan {
  const file = join(work, 'plan.json');
  if (!existsSync(file)) throw new UserError(`${work} holds no campaign (no plan.json); start one with --executor slurm --work ${work}`);
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
  } catch (e) {
    throw new UserError(`${file} is not a campaign plan: ${(e as Error).message}`);
  }
  if (plan.version !== PLAN_VERSION) throw new UserError(`${file} is a plan of version ${plan.version}; this sparsegrad reads version ${PLAN_VERSION}`);
  return plan;
}

function finished(work: string, n: number): boolean[] {
  const dir = join(work, 'results');
  const have = new Set(existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.json$/.test(f)) : []);
  return Array.from({ length: n }, (_, i) => have.has(`${i}.json`));
}

/** Why a task left no result, from the end of its log (Slurm writes its verdict there). */
function deathCause(work: string, jobIds: readonly string[], task: number): string {
  for (const id of [...jobIds].reverse()) {
    const log = join(work, 'logs', `${id}_${task}.out`);
    if (!existsSync(log)) continue;
    const text = readFileSync(log, 'utf8');
    if (/DUE TO TIME LIMIT/.test(text)) return `task ${task} hit the time limit (job ${id})`;
    if (/oom[-_ ]kill|Out Of Memory/i.test(text)) return `task ${task} ran out of memory (job ${id})`;
    if (/CANCELLED/.test(text)) return `task ${task} was cancelled (job ${id})`;
    if (/NODE_FAIL|NODE FAILURE/i.test(text)) return `task ${task}'s node failed (job ${id})`;
    const last = text.trim().split('\n').pop();
    return `task ${task} ended without a result (job ${id}${last ? `; its log ends: ${last.slice(0, 200)}` : ''})`;
  }
  return `task ${task} ended without a result and without a log`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the campaign as Slurm job arrays and returns one result per point, in
 * point order (an InfrastructureError where a point's task kept dying).
 */
export async function runOnSlurm(spec: CampaignSpec, o: SlurmCampaign): Promise<unknown[]> {
  requireSlurm();
  const work = resolve(o.work);
  let plan: Plan;
  if (o.resume) {
    plan = readPlan(work);
    if (plan.kind !== spec.kind) throw new UserError(`${work} holds a ${plan.kind} campaign, not a ${spec.kind} one`);
    spec.log?.(`resuming ${work}: ${finished(work, plan.points.length).filter(Boolean).length} of ${plan.points.length} points already done`);
  } else {
    if (existsSync(join(work, 'plan.json'))) throw new UserError(`${work} already holds a campaign: resume it with --resume ${o.work}, or give a new --work folder`);
    if (!Number.isInteger(o.pointsPerTask) || o.pointsPerTask < 1) throw new UsageError(`--points-per-task must be a whole number ≥ 1, got ${o.pointsPerTask}`);
    plan = { version: PLAN_VERSION, kind: spec.kind, runner: spec.runner, options: spec.options, points: spec.points, pointsPerTask: o.pointsPerTask };
    for (const d of ['results', 'points', 'logs', 'cache']) mkdirSync(join(work, d), { recursive: true });
    writeJsonAtomic(join(work, 'plan.json'), plan);
  }
  const cache = join(work, 'cache');
  // Built here, once, so that no task compiles (tasks run with the same cache and forbid building).
  if (spec.prebuild) {
    spec.log?.(`building the Verilator models into ${cache}`);
    await spec.prebuild(cache);
  }
  const script = join(work, 'task.sh');
  const cli = join(REPO_ROOT, 'bin', 'sparsegrad');
  writeFileSync(script, `#!/bin/sh\n# One task of a sparsegrad campaign (written by the driver; see cluster/campaign.ts).\nSPARSEGRAD_CACHE='${cache}' SPARSEGRAD_BUILD=forbid exec '${cli}' _task --work '${work}'\n`);
  chmodSync(script, 0o755);

  const jobsFile = join(work, 'jobs.json');
  const jobIds: string[] = existsSync(jobsFile) ? (JSON.parse(readFileSync(jobsFile, 'utf8')) as string[]) : [];
  const n = plan.points.length;
  const tasks = taskCount(plan);
  let current: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    void (async () => {
      if (current) await cancelJob(current);
      process.stderr.write(`\nsparsegrad: ${sig}: cancelled job ${current ?? '(none)'}; the finished points are kept: resume with --resume ${o.work}\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const follow = async (jobId: string): Promise<void> => {
    current = jobId;
    for (;;) {
      spec.onProgress?.(finished(work, n).filter(Boolean).length, n, `job ${jobId}`);
      if ((await queuedTasks(jobId)).length === 0) break;
      await sleep(o.pollMs ?? 1000);
    }
    current = null;
  };
  try {
    // A driver killed halfway leaves its array running: follow it to its end before resubmitting anything.
    const last = jobIds.at(-1);
    if (o.resume && last && (await queuedTasks(last)).length > 0) {
      spec.log?.(`job array ${last} of the interrupted driver is still queued or running: following it`);
      await follow(last);
    }
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      const done = finished(work, n);
      const todo = Array.from({ length: tasks }, (_, t) => t).filter((t) => {
        const [a, b] = taskRange(plan, t);
        return done.slice(a, b).some((x) => !x);
      });
      if (todo.length === 0) break;
      if (attempt > 0) spec.log?.(`resubmitting ${todo.length} task(s) that died (retry ${attempt} of ${o.retries})`);
      const jobId = await submitArray(script, todo, o, join(work, 'logs', '%A_%a.out'), `sparsegrad-${spec.kind}`);
      jobIds.push(jobId);
      writeJsonAtomic(jobsFile, jobIds);
      spec.log?.(`submitted job array ${jobId}: ${todo.length} task(s) of ≤ ${plan.pointsPerTask} point(s)`);
      await follow(jobId);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const done = finished(work, n);
  return plan.points.map((_, i) => {
    if (done[i]) return JSON.parse(readFileSync(resultFile(work, i), 'utf8')) as unknown;
    const task = Math.floor(i / plan.pointsPerTask);
    return { infrastructureError: `${deathCause(work, jobIds, task)}; gave up after ${o.retries} retr${o.retries === 1 ? 'y' : 'ies'}` } satisfies InfrastructureError;
  });
}

/**
 * The body of one task (`sparsegrad _task`): the points of SLURM_ARRAY_TASK_ID
 * that have no result yet, one after the other.
 */
export async function runTask(work: string, taskId: number): Promise<void> {
  const plan = readPlan(work);
  if (!Number.isInteger(taskId) || taskId < 0 || taskId >= taskCount(plan)) throw new UserError(`task ${taskId} is not in this campaign (0..${taskCount(plan) - 1})`);
  // Fault injection for the tests: a task that dies once, as a node failure would leave it.
  const kill = process.env.SPARSEGRAD_FAULT_KILL_TASK;
  if (kill !== undefined && Number(kill) === taskId) {
    const mark = join(work, `fault-killed-${taskId}`);
    if (!existsSync(mark)) {
      writeFileSync(mark, '');
      process.kill(process.pid, 'SIGKILL');
    }
  }
  const mod = (await import(join(REPO_ROOT, plan.runner.module))) as Record<string, unknown>;
  const run = mod[plan.runner.export];
  if (typeof run !== 'function') throw new Error(`${plan.runner.module} exports no point runner ${plan.runner.export}`);
  const [from, to] = taskRange(plan, taskId);
  for (let i = from; i < to; i++) {
    if (existsSync(resultFile(work, i))) continue;
    const result = await (run as PointRunner)(plan.options, plan.points[i], { pointDir: pointDir(work, i), index: i });
    writeJsonAtomic(resultFile(work, i), result);
  }
}
