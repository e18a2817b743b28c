import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sg-reproduce-'));

function runsWithoutTiming(file: string) {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  return j.runs.map((r: Record<string, unknown>) => ({ ...r, tokensPerSec: 0 }));
}

describe('golden: sparsegrad reproduce --quick', () => {
  it('prints and writes the table and verdict; results do not depend on --jobs', async () => {
    const [a, b] = await Promise.all([
      execa(bin, ['reproduce', '--quick', '--quiet', '--jobs', '1', '--out', join(dir, 'a')], { reject: false }),
      execa(bin, ['reproduce', '--quick', '--quiet', '--jobs', '2', '--out', join(dir, 'b')], { reject: false }),
    ]);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal(b.exitCode, 0, b.stderr);
    assert.match(a.stdout, /\| run \| θ \| valid bpc \| Δ bpc vs dense \|/);
    assert.match(a.stdout, /\| dense \| 0 \|/);
    // One seed at 30 steps: the verdict describes the run and never says the claim holds.
    assert.match(a.stdout, /\*\*Verdict:\*\* Indicative only \(one seed, a fixed budget of 30 steps, not trained to convergence/);
    assert.doesNotMatch(a.stdout, /claim holds/);
    const md = readFileSync(join(dir, 'a', 'reproduce.md'), 'utf8');
    assert.equal(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| run')).length, 4, 'dense, two θ, one target');
    const runs = runsWithoutTiming(join(dir, 'a', 'reproduce.json'));
    assert.deepEqual(runs, runsWithoutTiming(join(dir, 'b', 'reproduce.json')));
    assert.equal(runs[0].name, 'dense');
    assert.equal(runs[0].bpcChange, 0);
    assert.ok(runs[0].sparsity.all < 0.01);
    assert.ok(runs.slice(1).every((r: { sparsity: { all: number } }) => r.sparsity.all > 0.5), 'the quick θ values sparsify');
    assert.ok(runs.every((r: { validBpc: number }) => r.validBpc > 0 && Number.isFinite(r.validBpc)));
    for (const run of ['dense', 'theta-0.0002', 'theta-0.001', 'target-0.9']) assert.ok(existsSync(join(dir, 'a', run, 'report.json')), run);
    assert.deepEqual(readFileSync(join(dir, 'a', 'theta-0.001', 'model.safetensors')), readFileSync(join(dir, 'b', 'theta-0.001', 'model.safetensors')));
  });

  it('rejects a negative θ in --thetas with one line', async () => {
    const r = await execa(bin, ['reproduce', '--quick', '--thetas', '0.1,-1', '--out', join(dir, 'bad')], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /^sparsegrad: error: --thetas: threshold θ must be ≥ 0$/);
  });
});
