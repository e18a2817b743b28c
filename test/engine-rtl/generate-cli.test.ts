import { EXIT } from '../../util/errors.ts';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));
const oneLineError = (stderr: string) => {
  assert.match(stderr, /^sparsegrad: error: /);
  assert.equal(stderr.trim().split('\n').length, 1, `one line, got: ${stderr}`);
};

describe('sparsegrad generate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-generate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes both engines of a preset, one file per module and a manifest, and --check accepts them', async () => {
    const out = join(dir, 'tiny');
    await execa(bin, ['generate', '--preset', 'tiny', '--out', out, '--no-progress']);
    for (const top of ['sparse_bwd_engine', 'dense_bwd_engine']) {
      const files = readdirSync(join(out, top));
      assert.ok(files.includes(`${top}.v`) && files.includes('manifest.json'), files.join(' '));
      const manifest = JSON.parse(readFileSync(join(out, top, 'manifest.json'), 'utf8')) as { top: string; modules: { file: string }[] };
      assert.equal(manifest.top, top);
      assert.deepEqual(manifest.modules.map((m) => m.file).sort(), files.filter((f) => f.endsWith('.v')).sort());
    }
    const ok = await execa(bin, ['generate', '--preset', 'tiny', '--out', out, '--check', '--no-progress']);
    assert.match(ok.stdout, /up to date/);
  });

  it('--check fails with one line naming what differs, and a stale file is replaced on the next run', async () => {
    const out = join(dir, 'stale');
    await execa(bin, ['generate', '--preset', 'tiny', '--out', out, '--no-progress']);
    appendFileSync(join(out, 'sparse_bwd_engine', 'sbe_lanes.v'), '// edited\n');
    writeFileSync(join(out, 'sparse_bwd_engine', 'leftover.v'), 'module leftover; endmodule\n');
    const r = await execa(bin, ['generate', '--preset', 'tiny', '--out', out, '--check', '--no-progress'], { reject: false });
    assert.equal(r.exitCode, EXIT.designFailure);
    oneLineError(r.stderr);
    assert.match(r.stderr, /changed sparse_bwd_engine\/sbe_lanes\.v/);
    assert.match(r.stderr, /extra sparse_bwd_engine\/leftover\.v/);
    await execa(bin, ['generate', '--preset', 'tiny', '--out', out, '--no-progress']);
    assert.ok(!readdirSync(join(out, 'sparse_bwd_engine')).includes('leftover.v'));
  });

  it('rejects an unknown preset and a configuration the hardware cannot build, in one line', async () => {
    // A bad flag value is a usage error (exit 2), like any other bad command line.
    const bad = await execa(bin, ['generate', '--preset', 'huge', '--out', join(dir, 'x')], { reject: false });
    assert.equal(bad.exitCode, EXIT.usage);
    oneLineError(bad.stderr);
    assert.match(bad.stderr, /tiny, default, wide/);
    const cfg = join(dir, 'n3.json');
    writeFileSync(cfg, JSON.stringify({ preset: 'tiny', N: 3, axiDataBits: 256 }));
    const r = await execa(bin, ['generate', '--config', cfg, '--out', join(dir, 'n3')], { reject: false });
    assert.equal(r.exitCode, EXIT.input);
    oneLineError(r.stderr);
    assert.match(r.stderr, /N = 3 must be a power of two/);
    const noOut = await execa(bin, ['generate', '--config', cfg], { reject: false });
    oneLineError(noOut.stderr);
    assert.match(noOut.stderr, /--config needs --out/);
  });
});
