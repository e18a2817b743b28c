/**
 * util/atomic.ts and util/fs-errors.ts in process: what a SIGKILLed writer
 * leaves is reclaimed (and a folder moved aside mid-publish is put back), a
 * live writer's staging is left alone, the two publish modes, and the
 * one-line message of every mapped file-system error.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { reclaimStale, StagedDir, writeFileAtomicSync, writeFolderAtomicSync } from '../../util/atomic.ts';
import { fsErrorMessage } from '../../util/fs-errors.ts';

describe('reliability: atomic writes and staging', () => {
  let dir: string;
  let dead: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-rel-atomic-'));
    dead = Number((await execa('node', ['-e', 'process.stdout.write(String(process.pid))'])).stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reclaims a dead writer's staging, restores a folder it had moved aside, and leaves a live writer's alone", () => {
    const w = join(dir, 'reclaim');
    mkdirSync(join(w, `.out.partial-${dead}-abc123`), { recursive: true });
    writeFileSync(join(w, `.model.safetensors.partial-${dead}-ffff`), 'half');
    // Killed between moving the old bundle aside and renaming the new one in: the old one comes back.
    mkdirSync(join(w, `.fp.previous-${dead}-beef`));
    writeFileSync(join(w, `.fp.previous-${dead}-beef`, 'report.json'), 'old bundle');
    mkdirSync(join(w, `.live.partial-${process.ppid}-abc`));
    // Names earlier versions left: an fpga bundle folder of a dead process, a day-old partial without a pid.
    mkdirSync(join(w, `.fp.tmp-${dead}`));
    mkdirSync(join(w, '.out.partial-Ab12Cd'));
    const dayAgo = new Date(Date.now() - 25 * 3600_000);
    utimesSync(join(w, '.out.partial-Ab12Cd'), dayAgo, dayAgo);
    const done = reclaimStale(w).sort();
    assert.equal(done.length, 5, done.join(', '));
    assert.deepEqual(readdirSync(w).sort(), [`.live.partial-${process.ppid}-abc`, 'fp']);
    assert.equal(readFileSync(join(w, 'fp', 'report.json'), 'utf8'), 'old bundle');
  });

  it('publishes entry by entry (other files kept) or whole (old files gone); a discarded stage leaves nothing', async () => {
    const out = join(dir, 'pub');
    writeFolderAtomicSync(out, [['a.txt', '1'], ['sub/b.txt', '2']]);
    writeFileSync(join(out, 'mine.txt'), 'user file');
    writeFolderAtomicSync(out, [['a.txt', '3'], ['sub/c.txt', '4']]);
    assert.deepEqual(readdirSync(out).sort(), ['a.txt', 'mine.txt', 'sub']);
    assert.deepEqual(readdirSync(join(out, 'sub')), ['c.txt'], 'a staged folder replaces the old one whole');
    writeFolderAtomicSync(out, [['only.txt', '5']], { replaceWhole: true });
    assert.deepEqual(readdirSync(out), ['only.txt']);
    const s = await StagedDir.open(out);
    s.writeSync('x', 'y');
    s.discardSync();
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);
    writeFileAtomicSync(join(out, 'only.txt'), 'six');
    assert.equal(readFileSync(join(out, 'only.txt'), 'utf8'), 'six');
    assert.deepEqual(readdirSync(out), ['only.txt'], 'no temp file left');
    assert.ok(!existsSync(join(dir, 'x')));
  });

  it('maps file-system errors to one line that says what to do, naming the output rather than its staging', () => {
    const err = (code: string, path: string) => Object.assign(new Error(`${code}: boom`), { code, path });
    const cases: [string, RegExp][] = [
      ['ENOSPC', /^no space left on the device writing \/o\/out\/model\.safetensors: free some space/],
      ['EACCES', /^permission denied on \/o\/out\/model\.safetensors: choose a folder you can write/],
      ['EROFS', /^\/o\/out\/model\.safetensors is on a read-only file system: write the output to a writable folder/],
      ['EEXIST', /already exists and is not a folder/],
      ['ENOTDIR', /a part of this path is a file, not a folder/],
      ['ENOENT', /not found: check the path/],
    ];
    for (const [code, pattern] of cases) assert.match(fsErrorMessage(err(code, '/o/.out.partial-42-abcdef/model.safetensors'))!, pattern, code);
    assert.equal(fsErrorMessage(err('EIO', '/x')), undefined, 'unmapped codes stay internal errors');
    assert.equal(fsErrorMessage(new Error('plain')), undefined);
  });
});
