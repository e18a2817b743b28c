/**
 * What a Slurm campaign costs against the local pool on this machine, and
 * where the driver's merge would become the bottleneck of a large one.
 *
 *   node --import tsx bench/cluster.ts [--points 6,12,24] [--points-per-task 1,4] [--merge 100000]
 *
 * Needs the single-node cluster (scripts/slurm-local start, as root). For each
 * matrix size it runs `regress` on the tiny preset with the local executor and
 * with --executor slurm (a fresh work folder each time, the Verilator models
 * already in this machine's cache), and prints wall times and the overhead per
 * point. --merge N then times the driver's merge step (reading N result files,
 * writing regress.json and JUnit) on N synthetic results copied from a real one.
 * Figures are in docs/cluster.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { execa } from 'execa';
import { PLAN_VERSION, type Plan } from '../cluster/campaign.ts';
import { writeJsonArray } from '../util/json.ts';
import { junitXml, type PointResult } from '../sim/regress.ts';
import { REPO_ROOT } from '../sim/rtl-locate.ts';

const program = new Command('cluster')
  .option('--points <list>', 'matrix sizes (points of the tiny preset)', (v) => v.split(',').map(Number), [6, 12, 24])
  .option('--points-per-task <list>', 'points per Slurm task', (v) => v.split(',').map(Number), [1, 4])
  .option('--merge <n>', 'synthetic results for the merge timing (0: skip)', (v) => Number(v), 100_000);

const SOURCES = ['random', 'zeros', 'dense', 'first', 'last', 'saturate', 'theta0', 'thetamax', 'rk1', 'rkmax', 'tiled', 'hostile'];
const BIN = join(REPO_ROOT, 'bin', 'sparsegrad');

/** A tiny-preset matrix of exactly n points: sources × backpressure × seeds. */
function matrix(n: number): string[] {
  const bp = ['none', 'random', 'bursty'];
  const perSeed = SOURCES.length * bp.length;
  const seeds = Math.ceil(n / perSeed);
  if (n % bp.length !== 0 || (seeds > 1 && n % perSeed !== 0)) throw new Error(`choose point counts that are multiples of ${bp.length} (and of ${perSeed} above it)`);
  const sources = seeds > 1 ? SOURCES : SOURCES.slice(0, n / bp.length);
  return ['--presets', 'tiny', '--sources', sources.join(','), '--backpressure', bp.join(','), '--mem-latency', '20', '--seeds', Array.from({ length: seeds }, (_, i) => i + 1).join(',')];
}

async function timed(args: string[]): Promise<number> {
  const t = performance.now();
  const r = await execa(BIN, args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`sparsegrad ${args.join(' ')} failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return (performance.now() - t) / 1000;
}

async function main(): Promise<void> {
  const o = program.parse().opts<{ points: number[]; pointsPerTask: number[]; merge: number }>();
  const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-bench-cluster-'));
  try {
    let sample: PointResult | undefined;
    console.log('points  local s  ' + o.pointsPerTask.map((p) => `slurm ppt=${p} s  overhead/point s`).join('  '));
    for (const n of o.points) {
      const m = matrix(n);
      const localOut = join(dir, `local-${n}`);
      const local = await timed(['regress', ...m, '--out', localOut]);
      sample ??= (JSON.parse(readFileSync(join(localOut, 'regress.json'), 'utf8')) as PointResult[])[0];
      const cells: string[] = [];
      for (const ppt of o.pointsPerTask) {
        const s = await timed(['regress', ...m, '--out', join(dir, `slurm-${n}-${ppt}`), '--executor', 'slurm', '--work', join(dir, `work-${n}-${ppt}`), '--points-per-task', String(ppt)]);
        const same = readFileSync(join(dir, `slurm-${n}-${ppt}`, 'regress.json'), 'utf8') === readFileSync(join(localOut, 'regress.json'), 'utf8');
        if (!same) throw new Error(`slurm and local regress.json differ at ${n} points`);
        cells.push(`${s.toFixed(1).padStart(14)}  ${((s - local) / n).toFixed(2).padStart(16)}`);
      }
      console.log(`${String(n).padStart(6)}  ${local.toFixed(1).padStart(7)}  ${cells.join('  ')}`);
    }

    if (o.merge > 0 && sample) {
      // The merge the driver does at the end: list the results, read and parse each, write regress.json and JUnit.
      const work = join(dir, 'merge');
      mkdirSync(join(work, 'results'), { recursive: true });
      const text = JSON.stringify(sample);
      const t0 = performance.now();
      for (let i = 0; i < o.merge; i++) writeFileSync(join(work, 'results', `${i}.json`), text);
      const writeS = (performance.now() - t0) / 1000;
      const plan: Plan = { version: PLAN_VERSION, kind: 'regress', runner: { module: 'sim/regress.ts', export: 'runRegressPoint' }, options: {}, points: Array.from({ length: o.merge }, () => ({})), pointsPerTask: 1 };
      writeFileSync(join(work, 'plan.json'), JSON.stringify(plan));
      const t1 = performance.now();
      const results = Array.from({ length: o.merge }, (_, i) => JSON.parse(readFileSync(join(work, 'results', `${i}.json`), 'utf8')) as PointResult);
      const readS = (performance.now() - t1) / 1000;
      const t2 = performance.now();
      const bytes = writeJsonArray(join(work, 'regress.json'), results);
      writeFileSync(join(work, 'junit.xml'), junitXml(results));
      const writeOutS = (performance.now() - t2) / 1000;
      console.log(`merge of ${o.merge} results (${(text.length / 1024).toFixed(1)} KiB each): read ${readS.toFixed(1)} s, regress.json + JUnit ${writeOutS.toFixed(1)} s (${(bytes / 2 ** 20).toFixed(0)} MiB); writing the synthetic files took ${writeS.toFixed(1)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`cluster bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
