/**
 * The long version of test/reliability: many rounds of faults at random
 * (seeded) points against the real CLI, each followed by the same checks
 * (previous outputs byte-identical, no staging litter once the next run has
 * started, the next run succeeds). Not run by `npm test`.
 *
 *   scripts/soak [--rounds N] [--seed S] [--fresh-cache] [--commands train,cosim,fpga] [--faults SIGINT,SIGTERM,SIGKILL,full-disk,concurrent]
 *
 * A round picks a command (train, cosim, fpga) and a fault: SIGINT, SIGTERM or
 * SIGKILL to the CLI process alone (children orphaned as a real kill would),
 * a full disk (tmpfs, when mounting is allowed), or two runs at once.
 * --fresh-cache points the Verilator cache at an empty folder, so the first
 * rounds also interrupt and race real builds.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, cli, fillDisk, litter, mountTmpfs, rng, snapshot, unmount, withoutLitter } from '../test/reliability/helpers.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('--rounds', '30'));
const seed = Number(arg('--seed', String(Math.floor(Math.random() * 2 ** 31))));
const random = rng(seed);
const root = mkdtempSync(join(tmpdir(), 'sg-soak-'));
if (process.argv.includes('--fresh-cache')) process.env.SPARSEGRAD_CACHE = join(root, 'cache');
console.log(`soak: ${rounds} rounds, seed ${seed} (replay with --seed ${seed}), in ${root}`);

const commands = {
  train: { args: (out: string) => ['train', '--corpus', CORPUS, '--hidden', '8', '--batch', '4', '--seq', '8', '--steps', '40', '--threshold', '1e-3', '--quiet', '--out', join(out, 'o'), '--dump-streams', join(out, 'd'), '--dump-steps', '1,20,40'], spanMs: 5000, deterministic: false },
  cosim: { args: (out: string) => ['cosim', '--preset', 'tiny', '--synthetic', 'random', '--mode', 'both', '--out', join(out, 'cs')], spanMs: 8000, deterministic: true },
  fpga: { args: (out: string) => ['fpga', '--preset', 'tiny', '--target', 'generic', '--top', 'sparse_bwd_engine', '--no-progress', '--out', join(out, 'fp')], spanMs: 15000, deterministic: true },
};
type Name = keyof typeof commands;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

async function ok(name: Name, w: string): Promise<void> {
  const r = await cli(commands[name].args(w));
  assert.equal(r.exitCode, 0, `${name} failed:\n${r.all}`);
}

let failures = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    const name = pick(arg('--commands', 'train,cosim,fpga').split(',') as Name[]);
    const fault = pick(arg('--faults', 'SIGINT,SIGTERM,SIGKILL,full-disk,concurrent').split(',') as ('SIGINT' | 'SIGTERM' | 'SIGKILL' | 'full-disk' | 'concurrent')[]);
    const w = join(root, `r${round}`);
    const t0 = Date.now();
    let what = `${name} ${fault}`;
    try {
      if (fault === 'full-disk') {
        const disk = join(root, `disk${round}`);
        if (!(await mountTmpfs(disk, '8m'))) {
          console.log(`round ${round}: ${what}: skipped (mount not permitted)`);
          continue;
        }
        try {
          const dw = join(disk, 'w');
          await ok(name, dw);
          const before = snapshot(dw);
          fillDisk(disk);
          const r = await cli(commands[name].args(dw));
          assert.notEqual(r.exitCode, 0, 'a run on a full disk failed');
          assert.match(r.stderr, /^sparsegrad: error: .*\n?$/);
          assert.deepEqual(snapshot(dw), before);
          rmSync(join(disk, 'filler'));
          await ok(name, dw);
          assert.deepEqual(litter(snapshot(dw)), []);
        } finally {
          await unmount(disk);
        }
      } else if (fault === 'concurrent') {
        await Promise.all([ok(name, w), ok(name, w), ok(name, join(root, `r${round}b`))]);
        if (commands[name].deterministic) assert.deepEqual(snapshot(w), snapshot(join(root, `r${round}b`)));
        assert.deepEqual(litter(snapshot(w)), []);
      } else {
        await ok(name, w);
        const before = snapshot(w);
        const delay = Math.round(random() * commands[name].spanMs);
        what += ` after ${delay} ms`;
        const run = cli(commands[name].args(w));
        const timer = setTimeout(() => run.kill(fault), delay);
        const r = await run;
        clearTimeout(timer);
        if (r.exitCode !== 0 || !commands[name].deterministic) {
          if (r.exitCode === 0) {
            // A non-deterministic run (train's throughput) that finished first: its outputs are new and whole.
          } else if (fault === 'SIGKILL') assert.deepEqual(withoutLitter(snapshot(w)), before);
          else assert.deepEqual(snapshot(w), before);
        } else assert.deepEqual(snapshot(w), before);
        await ok(name, w);
        assert.deepEqual(litter(snapshot(w)), []);
      }
      console.log(`round ${round}: ${what}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failures++;
      console.log(`round ${round}: ${what}: FAILED: ${(e as Error).message.split('\n').slice(0, 12).join('\n')}`);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(`soak: ${rounds - failures} of ${rounds} rounds passed (seed ${seed})`);
process.exit(failures ? 1 : 0);
