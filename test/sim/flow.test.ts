/**
 * `sparsegrad flow` end to end on a small configuration (tiny engine, H = 8,
 * a few steps): train with thresholding, dump, generate, cosim, one table.
 * The README's full-size run is the same code with bigger defaults.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../sim/rtl-locate.ts';

describe('sim flow: train → dump → generate → cosim → table', function () {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-flow-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the whole flow and prints the table', async () => {
    const out = join(dir, 'flow');
    const args = ['flow', '--preset', 'tiny', '--hidden', '8', '--batch', '2', '--seq', '8', '--steps', '6', '--threshold', '2e-4', '--quiet', '--out', out];
    const r = await execa(join(REPO_ROOT, 'bin', 'sparsegrad'), args, { reject: false });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    for (const row of ['dz sparsity', 'MACs', 'dense engine cycles', 'sparse engine cycles', 'efficiency', 'bit-exact vs model']) assert.match(r.stdout, new RegExp(row));
    assert.match(r.stdout, /bit-exact vs model\s+PASS/);
    assert.match(r.stdout, /bus protocol monitors\s+PASS/);
    const report = JSON.parse(await readFile(join(out, 'flow-report.json'), 'utf8'));
    assert.equal(report.cosim.pass, true);
    assert.ok(report.cosim.denseCycles > report.cosim.cycles);
    // Energy beside the speedup: skipping saves DRAM traffic, so the ratio is above 1 and DRAM dominates.
    assert.match(r.stdout, /energy ratio \(dense \/ sparse\)\s+\d+\.\d\dx/);
    assert.ok(report.cosim.energy.ratio > 1, `energy ratio ${report.cosim.energy.ratio}`);
    assert.ok(report.cosim.energy.sparse.memoryShare > 0.5 && report.cosim.energy.sparse.memoryShare < 1);
    assert.ok(report.cosim.goldenError.data.relative < 1e-2, `y error ${report.cosim.goldenError.data.relative}`);
    assert.ok(report.cosim.goldenError.weight.relative < 1e-2, `G error ${report.cosim.goldenError.weight.relative}`);
    for (const d of ['train', 'streams', 'rtl', 'cosim']) assert.ok(existsSync(join(out, d)), d);
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.partial-')), []);
  });
});
