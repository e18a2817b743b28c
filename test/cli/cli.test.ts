import { strict as assert } from 'node:assert';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));

describe('sparsegrad CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await execa(bin, ['--help']);
    assert.match(r.stdout, /Usage: sparsegrad/);
  });

  it('rejects an unknown flag with a one-line error and a non-zero exit', async () => {
    const r = await execa(bin, ['--no-such-flag'], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /unknown option '--no-such-flag'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});
