/**
 * The one-line errors of `cosim` and the promise that a failed run leaves
 * nothing in its output folder: missing Verilator, an unreadable stream file,
 * and a stream whose sizes do not fit the preset. Runs the real CLI.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../sim/rtl-locate.ts';

const BIN = join(REPO_ROOT, 'bin', 'sparsegrad');

async function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return execa(BIN, args, { reject: false, env, extendEnv: false, cwd: REPO_ROOT });
}

function assertOneLineError(r: { exitCode?: number; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.notEqual(r.exitCode, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^sparsegrad: error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
}

describe('sim cosim: user errors leave nothing behind', function () {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-cosim-err-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function assertNothingWritten(out: string): Promise<void> {
    assert.equal(existsSync(out), false, `${out} was created`);
    const leftovers = (await readdir(dir)).filter((f) => f.includes('.partial-'));
    assert.deepEqual(leftovers, []);
  }

  it('says how to install Verilator when it is missing', async () => {
    // A PATH with node and the shell tools bin/sparsegrad needs, but no verilator.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    for (const tool of ['sh', 'dirname', 'readlink']) await symlink(`/bin/${tool}`, join(bin, tool)).catch(() => symlink(`/usr/bin/${tool}`, join(bin, tool)));
    await symlink(process.execPath, join(bin, 'node'));
    const out = join(dir, 'no-verilator');
    const r = await cli(['cosim', '--out', out], { PATH: bin, HOME: process.env.HOME });
    assertOneLineError(r, /verilator is not installed: run scripts\/setup \(or apt-get install verilator\)/);
    await assertNothingWritten(out);
  });

  it('names a stream file that does not exist', async () => {
    const out = join(dir, 'missing');
    const r = await cli(['cosim', '--streams', join(dir, 'nope.safetensors'), '--out', out]);
    assertOneLineError(r, /nope\.safetensors: no such file or folder/);
    await assertNothingWritten(out);
  });

  it('names a stream file that is not a dump', async () => {
    const bad = join(dir, 'garbage.safetensors');
    await writeFile(bad, 'this is not safetensors');
    const out = join(dir, 'garbage');
    const r = await cli(['cosim', '--streams', bad, '--out', out]);
    assertOneLineError(r, /garbage\.safetensors: .*(truncated|corrupt|safetensors)/);
    await assertNothingWritten(out);
  });

  it('refuses a dump whose layer is larger than the preset takes', async function () {
    // H = 20 gives R = 80 gradient rows; the tiny engine takes 64.
    const train = join(dir, 'train');
    const t = await cli(['train', '--hidden', '20', '--batch', '2', '--seq', '4', '--steps', '1', '--valid-chars', '256', '--quiet', '--out', train, '--dump-streams', join(train, 'streams')]);
    assert.equal(t.exitCode, 0, t.stderr);
    const out = join(dir, 'too-big');
    const r = await cli(['cosim', '--preset', 'tiny', '--streams', join(train, 'streams'), '--out', out]);
    assertOneLineError(r, /R = 4H = 80 gradient rows but this engine takes at most rMax = 64; use a larger --preset/);
    await assertNothingWritten(out);
  });

  it('rejects bad flags in one line', async () => {
    const out = join(dir, 'flags');
    assertOneLineError(await cli(['cosim', '--backpressure', 'sometimes', '--out', out]), /--backpressure: /);
    assertOneLineError(await cli(['cosim', '--preset', 'huge', '--out', out]), /--preset expects one of tiny, default, wide, got 'huge'/);
    const near = await cli(['cosim', '--preset', 'defualt', '--out', out]);
    assertOneLineError(near, /did you mean 'default'\?/);
    assert.equal(near.exitCode, 2, 'a bad flag value is a usage error');
    assertOneLineError(await cli(['cosim', '--streams', dirname(out), '--synthetic', 'zeros', '--out', out]), /exclude each other/);
    await assertNothingWritten(out);
  });
});
