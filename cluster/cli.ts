/**
 * The executor options shared by the heavy commands (`regress`, `reproduce`),
 * and the hidden `_task` subcommand every Slurm task runs.
 */
import type { Command } from 'commander';
import { UsageError, UserError } from '../util/errors.ts';
import { intArg } from '../cli/options.ts';
import { runTask, type SlurmCampaign } from './campaign.ts';

export const EXECUTORS = ['local', 'slurm'] as const;

export function addExecutorOptions(cmd: Command): Command {
  return cmd
    .option('--executor <kind>', `where the points run: ${EXECUTORS.join(' or ')} (a Slurm job array; docs/cluster.md)`, 'local')
    .option('--work <dir>', 'slurm: shared work folder every node sees (plan, model cache, results, logs)')
    .option('--resume <dir>', 'slurm: finish the campaign in this work folder, rerunning only points without a result')
    .option('--partition <name>', 'slurm: partition to submit to')
    .option('--time <limit>', "slurm: time limit of one task (sbatch's --time)")
    .option('--cpus-per-task <n>', 'slurm: CPUs per task', intArg('--cpus-per-task'), 1)
    .option('--max-parallel <n>', 'slurm: most tasks running at once (0: as many as Slurm gives)', intArg('--max-parallel'), 0)
    .option('--points-per-task <n>', 'slurm: points one task runs one after the other', intArg('--points-per-task'), 1)
    .option('--retries <n>', 'slurm: resubmissions of tasks that died (node failure, time limit, out of memory)', intArg('--retries'), 2)
    .option('--sbatch-args <args>', 'slurm: extra sbatch arguments, as one string');
}

interface ExecutorFlags {
  executor: string;
  work?: string;
  resume?: string;
  partition?: string;
  time?: string;
  cpusPerTask: number;
  maxParallel: number;
  pointsPerTask: number;
  retries: number;
  sbatchArgs?: string;
}

/** The Slurm campaign the flags ask for, or undefined for the local pool. */
export function slurmCampaignOf(raw: ExecutorFlags): SlurmCampaign | undefined {
  const executor = raw.resume !== undefined ? 'slurm' : raw.executor;
  if (!(EXECUTORS as readonly string[]).includes(executor)) throw new UsageError(`--executor must be ${EXECUTORS.join(' or ')}, got '${raw.executor}'`);
  if (executor === 'local') {
    for (const [flag, v] of [['--work', raw.work], ['--partition', raw.partition], ['--time', raw.time], ['--sbatch-args', raw.sbatchArgs]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} is for --executor slurm; the local executor runs here`);
    }
    return undefined;
  }
  if (raw.resume !== undefined && raw.work !== undefined && raw.work !== raw.resume) throw new UsageError('--work and --resume name different folders: --resume DIR alone continues DIR');
  const work = raw.resume ?? raw.work;
  if (work === undefined) throw new UsageError('--executor slurm needs --work DIR, a folder on a file system every node sees');
  for (const [flag, v, min] of [['--cpus-per-task', raw.cpusPerTask, 1], ['--points-per-task', raw.pointsPerTask, 1], ['--retries', raw.retries, 0], ['--max-parallel', raw.maxParallel, 0]] as const) {
    if (v < min) throw new UsageError(`${flag} must be at least ${min}, got ${v}`);
  }
  return {
    work,
    resume: raw.resume !== undefined,
    partition: raw.partition,
    time: raw.time,
    cpusPerTask: raw.cpusPerTask,
    maxParallel: raw.maxParallel,
    pointsPerTask: raw.pointsPerTask,
    retries: raw.retries,
    extra: raw.sbatchArgs ? raw.sbatchArgs.split(/\s+/).filter(Boolean) : [],
  };
}

export function register(program: Command): void {
  program
    .command('_task', { hidden: true })
    .description('run one Slurm task of a campaign (submitted by --executor slurm; not for use by hand)')
    .requiredOption('--work <dir>', 'the campaign work folder')
    .option('--task <n>', 'task index (default: $SLURM_ARRAY_TASK_ID)')
    .action(async (raw: { work: string; task?: string }) => {
      const id = raw.task ?? process.env.SLURM_ARRAY_TASK_ID;
      if (id === undefined) throw new UserError('_task runs inside a Slurm array task: no --task and no SLURM_ARRAY_TASK_ID');
      await runTask(raw.work, Number(id));
    });
}
