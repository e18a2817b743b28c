/**
 * Faults during `train`: a full disk, a read-only output folder, a file where
 * the output folder should be, and SIGINT/SIGTERM/SIGKILL at random (seeded)
 * points. After each, the previous run's checkpoint, report and gradient dumps
 * are byte-identical, no staging litter is left (after SIGKILL: once the next
 * run has started), and the next run succeeds.
 *
 * Before outputs were staged (util/atomic.ts) these failed: the checkpoint and
 * the dumps were written in place, so a full disk left a truncated
 * model.safetensors and a kill left a half-overwritten set of step-<n> dumps.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../util/errors.ts';
import {
  announceSeed, assertOneLineError, cli, CORPUS, fillDisk, litter, makeReadOnly, makeWritable, mountTmpfs, rng, seed, signalWhileStaging, snapshot, unmount, withoutLitter,
} from './helpers.ts';

/**
 * A small run with two dumps; `steps` large makes a run that only a signal ends. The
 * interrupted runs use another seed, so that a dump written in place would differ.
 */
const trainArgs = (dir: string, steps = 3, seed = 1) => [
  'train', '--corpus', CORPUS, '--hidden', '8', '--batch', '4', '--seq', '8', '--steps', String(steps), '--threshold', '1e-3', '--seed', String(seed),
  '--quiet', '--out', join(dir, 'out'), '--dump-streams', join(dir, 'dumps'), '--dump-steps', '1,2',
];

describe('reliability: train', function () {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sg-rel-train-'));
    announceSeed();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a full disk: one line, the previous outputs unchanged, no litter; the next run succeeds', async () => {
    const disk = join(root, 'disk');
    // SPARSEGRAD_NO_TMPFS=1 exercises the fallback on a machine that could mount.
    const mounted = !process.env.SPARSEGRAD_NO_TMPFS && (await mountTmpfs(disk, '2m'));
    if (!mounted) {
      console.log('      no tmpfs here (mount not permitted): injecting ENOSPC into writes instead');
      return injectedFullDisk(join(root, 'inject'));
    }
    console.log('      full disk: a 2 MiB tmpfs, filled');
    try {
      const w = join(disk, 'w');
      const first = await cli(trainArgs(w));
      assert.equal(first.exitCode, 0, first.all);
      const before = snapshot(w);
      fillDisk(disk);
      const r = await cli(trainArgs(w));
      assertOneLineError(r, EXIT.input, /no space left on the device writing .*: free some space/);
      assert.deepEqual(snapshot(w), before);
      rmSync(join(disk, 'filler'));
      const next = await cli(trainArgs(w));
      assert.equal(next.exitCode, 0, next.all);
      assert.deepEqual(litter(snapshot(w)), []);
    } finally {
      await unmount(disk);
    }
  });

  it('a read-only output folder and a file as --out: one line, nothing changed', async () => {
    const disk = join(root, 'ro');
    const mounted = await mountTmpfs(disk, '2m');
    try {
      const first = await cli(trainArgs(disk));
      assert.equal(first.exitCode, 0, first.all);
      const before = snapshot(disk);
      await makeReadOnly(disk, mounted);
      const r = await cli(trainArgs(disk));
      assertOneLineError(r, EXIT.input, mounted ? /read-only file system/ : /permission denied/);
      assert.deepEqual(snapshot(disk), before);
      await makeWritable(disk, mounted);
    } finally {
      if (mounted) await unmount(disk);
    }
    const file = join(root, 'a-file');
    writeFileSync(file, 'mine');
    const before = snapshot(root);
    const r = await cli([...trainArgs(root), '--out', file]);
    assertOneLineError(r, EXIT.input, /--out .*a-file is a file, not a folder/);
    assert.deepEqual(snapshot(root), before);
  });

  for (const [i, signal] of (['SIGINT', 'SIGTERM', 'SIGKILL'] as const).entries()) {
    it(`${signal} at a random point: the previous outputs are unchanged, and the next run cleans up and succeeds`, async () => {
      const w = join(root, `sig-${signal}`);
      const first = await cli(trainArgs(w));
      assert.equal(first.exitCode, 0, first.all);
      const before = snapshot(w);
      const delay = Math.round(1500 * rng(seed + i)());
      console.log(`      ${signal} ${delay} ms after the outputs were staged`);
      const run = cli(trainArgs(w, 100000, 2));
      signalWhileStaging(run, w, signal, delay);
      const r = await run;
      assert.notEqual(r.exitCode, 0, 'the endless run was interrupted');
      if (signal === 'SIGKILL') {
        assert.deepEqual(withoutLitter(snapshot(w)), before);
      } else {
        // Our handler removes the staging folders and exits 128 + signal (or Node had not installed it yet).
        assert.ok(r.exitCode === 128 + (signal === 'SIGINT' ? 2 : 15) || r.signal === signal, `exit ${r.exitCode} ${r.signal}\n${r.all}`);
        assert.deepEqual(snapshot(w), before);
      }
      const next = await cli(trainArgs(w));
      assert.equal(next.exitCode, 0, next.all);
      assert.deepEqual(litter(snapshot(w)), [], 'the next run removed what the killed one left');
    });
  }
});

/**
 * Without a mountable tmpfs: the same promise, with every write failing with
 * ENOSPC once a few bytes have gone through (fs patched in this process).
 */
async function injectedFullDisk(dir: string): Promise<void> {
  const fs = (await import('node:fs')).default;
  const { syncBuiltinESMExports } = await import('node:module');
  const { train } = await import('../../golden/trainer.ts');
  const { parseTrainConfig } = await import('../../golden/config.ts');
  const cfg = (steps: number) => parseTrainConfig({ corpus: CORPUS, hidden: 8, batch: 4, seq: 8, steps, threshold: 1e-3, quiet: true, out: join(dir, 'out'), dumpStreams: join(dir, 'dumps'), dumpSteps: [1, 2] });
  await train(cfg(3));
  const before = snapshot(dir);
  const original = fs.writeFileSync;
  let budget = 60_000;
  (fs as { writeFileSync: typeof original }).writeFileSync = ((file: never, data: string | Uint8Array, o?: never) => {
    budget -= typeof data === 'string' ? data.length : data.byteLength;
    if (budget < 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return original(file, data, o);
  }) as typeof original;
  syncBuiltinESMExports();
  try {
    await assert.rejects(train(cfg(3)), /ENOSPC/);
  } finally {
    (fs as { writeFileSync: typeof original }).writeFileSync = original;
    syncBuiltinESMExports();
  }
  assert.deepEqual(snapshot(dir), before);
  await train(cfg(3));
}
