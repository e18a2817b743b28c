import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));

/** `train --backward fixed|rtl` through the real CLI: the Verilated engine must reproduce the model's loss curve bit for bit. */
describe('sparsegrad train --backward', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-train-backward-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (backward: string) => {
    const out = join(dir, backward);
    const r = await execa(bin, ['train', '--hidden', '8', '--batch', '4', '--seq', '8', '--steps', '3', '--threshold', '0.002',
      '--valid-chars', '256', '--quiet', '--backward', backward, '--out', out]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { trainLoss: [number, number][] };
    return { stdout: r.stdout, loss: report.trainLoss.map(([, l]) => l) };
  };

  it('rtl gives exactly the loss curve of the fixed-point model, and follows float within quantization error', async () => {
    const [float, fixed, rtl] = [await run('float'), await run('fixed'), await run('rtl')];
    assert.deepEqual(rtl.loss, fixed.loss);
    assert.match(rtl.stdout, /backward products on the engine \(rtl, preset tiny\): \d+ runs/);
    for (let i = 0; i < float.loss.length; i++) {
      assert.ok(Math.abs(fixed.loss[i]! - float.loss[i]!) < 1e-3 * float.loss[i]!, `step ${i + 1}: fixed ${fixed.loss[i]} vs float ${float.loss[i]}`);
    }
  });

  it('rejects an engine preset too small for the model in one line', async () => {
    const r = await execa(bin, ['train', '--hidden', '32', '--steps', '1', '--quiet', '--backward', 'fixed', '--out', join(dir, 'small')], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /^sparsegrad: error: .*rMax/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
