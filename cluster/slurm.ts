/**
 * The few Slurm client commands a campaign needs, through execa: sbatch to
 * submit a job array, squeue to see which of its tasks are still queued or
 * running, scancel to stop it. Accounting (sacct) is not assumed: many
 * clusters and the local single-node one have none, so a task's fate is read
 * from its result files and its log.
 */
import { execa } from 'execa';
import { UserError } from '../util/errors.ts';
import { requireTool } from '../toolchain/index.ts';

export interface SlurmOptions {
  partition?: string;
  /** Time limit of one task, in Slurm's format (minutes, or [D-]HH:MM:SS). */
  time?: string;
  cpusPerTask: number;
  /** The most tasks of the array running at once (`%MAX`); 0: no limit. */
  maxParallel: number;
  /** Extra sbatch arguments, passed as they are. */
  extra: string[];
}

export function requireSlurm(): void {
  for (const t of ['sbatch', 'squeue', 'scancel'] as const) requireTool(t);
}

/** `--array` for these task indices: ranges where they run on, `%max` when limited. */
export function arraySpec(tasks: readonly number[], maxParallel: number): string {
  const sorted = [...tasks].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (maxParallel > 0 ? `%${maxParallel}` : '');
}

/** Submits `script` as a job array and returns its job id. */
export async function submitArray(script: string, tasks: readonly number[], o: SlurmOptions, logPattern: string, name: string): Promise<string> {
  const args = ['--parsable', `--array=${arraySpec(tasks, o.maxParallel)}`, `--job-name=${name}`, `--output=${logPattern}`, `--cpus-per-task=${o.cpusPerTask}`];
  if (o.partition) args.push(`--partition=${o.partition}`);
  if (o.time) args.push(`--time=${o.time}`);
  args.push(...o.extra, script);
  const r = await execa('sbatch', args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    const why = (r.stderr || r.stdout).split('\n').find((l) => l.trim()) ?? `exit ${r.exitCode}`;
    throw new UserError(`sbatch refused the job array: ${why.replace(/^sbatch: error: /, '')}`);
  }
  // --parsable prints "jobid" or "jobid;cluster".
  const id = r.stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new UserError(`sbatch answered '${r.stdout.trim()}', not a job id`);
  return id;
}

/** Tasks of the job still pending or running (empty when the whole array has left the queue). */
export async function queuedTasks(jobId: string): Promise<string[]> {
  const r = await execa('squeue', ['-h', '-r', '-j', jobId, '-o', '%i %T'], { reject: false, stdin: 'ignore' });
  // squeue forgets a job soon after it ends and then says "Invalid job id": nothing is queued.
  if (r.exitCode !== 0) {
    if (/Invalid job id/i.test(r.stderr)) return [];
    throw new UserError(`squeue failed: ${r.stderr.split('\n')[0] ?? `exit ${r.exitCode}`}`);
  }
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export async function cancelJob(jobId: string): Promise<void> {
  await execa('scancel', [jobId], { reject: false, stdin: 'ignore' });
}
