/**
 * Faults during `cosim` (tiny preset, a synthetic stimulus: seconds per run on a
 * cache hit): a full disk, a read-only output folder, a file as --out,
 * SIGINT/SIGTERM/SIGKILL at random (seeded) points, and two runs at once on one
 * build cache. After each, the previous outputs are byte-identical, no staging
 * litter remains (after SIGKILL: once the next run has started), and the next run succeeds.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../util/errors.ts';
import {
  announceSeed, assertOneLineError, cli, fillDisk, litter, makeReadOnly, makeWritable, mountTmpfs, rng, seed, signalWhileStaging, snapshot, unmount, withoutLitter,
} from './helpers.ts';

const cosimArgs = (out: string) => ['cosim', '--preset', 'tiny', '--synthetic', 'random', '--mode', 'data', '--no-dense', '--seed', '3', '--out', out];

describe('reliability: cosim', function () {
  let root: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sg-rel-cosim-'));
    announceSeed();
    // Builds the tiny engine once if the cache lacks it, so the runs below are hits.
    const warm = await cli(cosimArgs(join(root, 'warm')));
    assert.equal(warm.exitCode, 0, warm.all);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a full disk, then a read-only folder: one line each, the previous outputs unchanged; the next run succeeds', async () => {
    const disk = join(root, 'disk');
    const mounted = await mountTmpfs(disk, '1m');
    if (!mounted) console.log('      no tmpfs here (mount not permitted): the full-disk case is covered by the train suite\'s injected failure');
    try {
      const w = join(disk, 'w');
      const first = await cli(cosimArgs(join(w, 'cs')));
      assert.equal(first.exitCode, 0, first.all);
      const before = snapshot(w);
      if (mounted) {
        fillDisk(disk);
        const r = await cli(cosimArgs(join(w, 'cs')));
        assertOneLineError(r, EXIT.input, /no space left on the device writing .*: free some space/);
        assert.deepEqual(snapshot(w), before);
        rmSync(join(disk, 'filler'));
      }
      await makeReadOnly(mounted ? disk : w, mounted);
      const ro = await cli(cosimArgs(join(w, 'cs')));
      assertOneLineError(ro, EXIT.input, mounted ? /read-only file system/ : /permission denied/);
      assert.deepEqual(snapshot(w), before);
      await makeWritable(mounted ? disk : w, mounted);
      const next = await cli(cosimArgs(join(w, 'cs')));
      assert.equal(next.exitCode, 0, next.all);
      assert.deepEqual(snapshot(w), before, 'same inputs, byte-identical outputs, no litter');
    } finally {
      if (mounted) await unmount(disk);
    }
  });

  it('a file as --out: one line, the file untouched', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'mine');
    const before = snapshot(root);
    const r = await cli(cosimArgs(file));
    assertOneLineError(r, EXIT.input, /--out .*a-file is a file, not a folder/);
    assert.deepEqual(snapshot(root), before);
  });

  for (const [i, signal] of (['SIGINT', 'SIGTERM', 'SIGKILL'] as const).entries()) {
    it(`${signal} at a random point: the previous outputs are unchanged, and the next run cleans up and succeeds`, async () => {
      const w = join(root, `sig-${signal}`);
      const first = await cli(cosimArgs(join(w, 'cs')));
      assert.equal(first.exitCode, 0, first.all);
      const before = snapshot(w);
      // A tiny cosim holds its staging folder for about 0.3 s (measured): kill within that stretch.
      const delay = Math.round(250 * rng(seed + 10 + i)());
      console.log(`      ${signal} ${delay} ms after the outputs were staged`);
      const run = cli(cosimArgs(join(w, 'cs')));
      signalWhileStaging(run, w, signal, delay);
      const r = await run;
      // A run that finished before the signal wrote the same bytes again (outputs are deterministic).
      if (signal === 'SIGKILL') assert.deepEqual(withoutLitter(snapshot(w)), before);
      else {
        assert.ok(r.exitCode === 0 || r.exitCode === 128 + (signal === 'SIGINT' ? 2 : 15) || r.signal === signal, `exit ${r.exitCode} ${r.signal}\n${r.all}`);
        assert.deepEqual(snapshot(w), before);
      }
      const next = await cli(cosimArgs(join(w, 'cs')));
      assert.equal(next.exitCode, 0, next.all);
      assert.deepEqual(snapshot(w), before, 'the next run removed what the killed one left');
      assert.deepEqual(litter(snapshot(w)), []);
    });
  }

  it('two runs at once on the same build cache and output folder: both pass, the outputs are one run\'s bytes', async () => {
    const w = join(root, 'concurrent');
    const [a, b] = await Promise.all([cli(cosimArgs(join(w, 'cs'))), cli(cosimArgs(join(w, 'cs')))]);
    assert.equal(a.exitCode, 0, a.all);
    assert.equal(b.exitCode, 0, b.all);
    const solo = join(root, 'solo');
    assert.equal((await cli(cosimArgs(join(solo, 'cs')))).exitCode, 0);
    assert.deepEqual(snapshot(w), snapshot(solo));
  });
});
