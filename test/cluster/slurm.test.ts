/**
 * `--executor slurm` on a real single-node Slurm (scripts/slurm-local): the
 * same matrix gives byte-identical regress.json and JUnit as the local pool, a
 * task killed as a node failure would kill it is resubmitted (or reported as
 * an infrastructure error when retries run out), a driver killed halfway is
 * finished by --resume, fpga writes the same bundle, and reproduce runs its
 * training runs as tasks.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../sim/rtl-locate.ts';
import { arraySpec } from '../../cluster/slurm.ts';
import { slurmCampaignOf } from '../../cluster/cli.ts';

const BIN = join(REPO_ROOT, 'bin', 'sparsegrad');
const MATRIX = ['--presets', 'tiny', '--sources', 'zeros,first,last', '--backpressure', 'none', '--mem-latency', '20'];

describe('cluster: executor options', () => {
  it('array specs are ranges with the parallel limit', () => {
    assert.equal(arraySpec([0, 1, 2, 5, 7, 8], 0), '0-2,5,7-8');
    assert.equal(arraySpec([3], 4), '3%4');
  });
  const flags = { executor: 'local', cpusPerTask: 1, maxParallel: 0, pointsPerTask: 1, retries: 2 };
  it('local is the default and refuses slurm-only flags', () => {
    assert.equal(slurmCampaignOf(flags), undefined);
    assert.throws(() => slurmCampaignOf({ ...flags, work: '/x' }), /--work is for --executor slurm/);
  });
  it('slurm needs a work folder; --resume implies slurm', () => {
    assert.throws(() => slurmCampaignOf({ ...flags, executor: 'slurm' }), /needs --work DIR/);
    assert.throws(() => slurmCampaignOf({ ...flags, executor: 'pbs' }), /--executor must be local or slurm/);
    assert.equal(slurmCampaignOf({ ...flags, resume: '/w' })?.resume, true);
    assert.throws(() => slurmCampaignOf({ ...flags, executor: 'slurm', work: '/w', pointsPerTask: 0 }), /--points-per-task must be at least 1/);
  });
});

describe('cluster: regress and reproduce on a single-node Slurm', function () {
  this.timeout(600_000);
  let dir = '';
  let local = '';

  before(async function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: scripts/slurm-local starts munged, slurmctld and slurmd, which needs root (CI runs as root)');
      this.skip();
    }
    const up = await execa(join(REPO_ROOT, 'scripts', 'slurm-local'), ['start'], { reject: false, timeout: 120_000 });
    assert.equal(up.exitCode, 0, `scripts/slurm-local start failed:\n${up.stdout}\n${up.stderr}`);
    dir = mkdtempSync(join(tmpdir(), 'sparsegrad-slurm-'));
    local = join(dir, 'local');
    const r = await execa(BIN, ['regress', ...MATRIX, '--out', local], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const same = (out: string) => {
    for (const f of ['regress.json', 'junit.xml']) assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(local, f), 'utf8'), `${f} differs from the local executor's`);
  };

  it('gives the local executor\'s regress.json and JUnit byte for byte; tasks never compile', async () => {
    const out = join(dir, 's1');
    const work = join(dir, 'w1');
    const r = await execa(BIN, ['regress', ...MATRIX, '--out', out, '--executor', 'slurm', '--work', work, '--points-per-task', '2'], { reject: false });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    same(out);
    assert.equal(readdirSync(join(work, 'results')).length, 3);
    // Each task ran under SPARSEGRAD_BUILD=forbid: a build would have failed its points.
    assert.match(readFileSync(join(work, 'task.sh'), 'utf8'), /SPARSEGRAD_BUILD=forbid/);
  });

  it('resubmits a task that died, and gives the same results', async () => {
    const out = join(dir, 's2');
    const work = join(dir, 'w2');
    const r = await execa(BIN, ['regress', ...MATRIX, '--out', out, '--executor', 'slurm', '--work', work], { reject: false, env: { SPARSEGRAD_FAULT_KILL_TASK: '1' } });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /resubmitting 1 task\(s\) that died \(retry 1 of 2\)/);
    assert.ok(existsSync(join(work, 'fault-killed-1')), 'the fault was injected');
    same(out);
  });

  it('reports a task that keeps dying as an infrastructure error, not a design failure', async () => {
    const out = join(dir, 's3');
    const work = join(dir, 'w3');
    const r = await execa(BIN, ['regress', ...MATRIX, '--out', out, '--executor', 'slurm', '--work', work, '--retries', '0'], { reject: false, env: { SPARSEGRAD_FAULT_KILL_TASK: '2' } });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stdout, /1 points never ran \(infrastructure errors, not design failures\)/);
    const results = JSON.parse(readFileSync(join(out, 'regress.json'), 'utf8')) as { infrastructure?: boolean; mismatches: number; violations: number }[];
    assert.deepEqual(results.map((x) => Boolean(x.infrastructure)), [false, false, true]);
    assert.equal(results[2]!.mismatches + results[2]!.violations, 0);
    assert.match(readFileSync(join(out, 'junit.xml'), 'utf8'), /errors="1"[\s\S]*<error type="infrastructure"/);
  });

  it('finishes a campaign whose driver was killed halfway with --resume', async () => {
    const out = join(dir, 's4');
    const work = join(dir, 'w4');
    const driver = execa(BIN, ['regress', ...MATRIX, '--out', out, '--executor', 'slurm', '--work', work, '--max-parallel', '1'], { reject: false });
    // Killed once the first point has its result: the array goes on without its driver.
    const deadline = Date.now() + 180_000;
    while (!(existsSync(join(work, 'results')) && readdirSync(join(work, 'results')).some((f) => f.endsWith('.json')))) {
      if (Date.now() > deadline) throw new Error('no point finished within 180 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    driver.kill('SIGKILL');
    await driver;
    assert.ok(!existsSync(join(out, 'regress.json')), 'the killed driver wrote no regress.json');
    const r = await execa(BIN, ['regress', ...MATRIX, '--out', out, '--resume', work], { reject: false });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /resuming .*: [1-3] of 3 points already done/);
    same(out);
  });

  it('refuses to start a second campaign in a used work folder', async () => {
    const r = await execa(BIN, ['regress', ...MATRIX, '--out', join(dir, 's5'), '--executor', 'slurm', '--work', join(dir, 'w1')], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /^sparsegrad: error: .*already holds a campaign: resume it with --resume/m);
  });

  it('writes the same FPGA bundle, place and route included, as the local executor', async () => {
    const args = ['fpga', '--rtl', join(REPO_ROOT, 'test', 'fpga', 'fixtures', 'engine'), '--device', 'up5k', '--no-progress'];
    const a = await execa(BIN, [...args, '--out', join(dir, 'fl')], { reject: false });
    const b = await execa(BIN, [...args, '--out', join(dir, 'fs'), '--executor', 'slurm', '--work', join(dir, 'fw')], { reject: false });
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal(b.exitCode, 0, b.stderr);
    const files = (root: string): string[] => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length)).sort();
    assert.deepEqual(files(join(dir, 'fs')), files(join(dir, 'fl')));
    // Tool logs may carry run times; every other file (report, netlists, scripts, placement report) must match.
    for (const f of files(join(dir, 'fl')).filter((x) => !x.endsWith('.log'))) assert.ok(readFileSync(join(dir, 'fs', f)).equals(readFileSync(join(dir, 'fl', f))), `${f} differs`);
    assert.ok(files(join(dir, 'fl')).some((f) => f.endsWith('nextpnr-report.json')), 'place and route ran');
  });

  it('runs reproduce --quick as tasks with the local executor\'s table', async () => {
    const args = ['reproduce', '--quick', '--quiet', '--steps', '6', '--thetas', '2e-4', '--targets', ''];
    const a = await execa(BIN, [...args, '--out', join(dir, 'rl')], { reject: false });
    const b = await execa(BIN, [...args, '--out', join(dir, 'rs'), '--executor', 'slurm', '--work', join(dir, 'rw')], { reject: false });
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal(b.exitCode, 0, b.stderr);
    const table = (s: string) => s.split('\n').filter((l) => l.startsWith('|') || l.startsWith('**Verdict') || l.startsWith('Model:')).join('\n');
    assert.equal(table(b.stdout), table(a.stdout));
    assert.ok(table(a.stdout).length > 100);
  });
});
