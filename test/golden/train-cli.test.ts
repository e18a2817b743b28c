import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readGradientDump, paramShapes } from '../../streams/gradient-dump.ts';
import { readSafetensors } from '../../streams/safetensors.ts';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sg-train-'));
const small = ['--hidden', '6', '--layers', '2', '--batch', '3', '--seq', '5', '--valid-chars', '200', '--quiet'];

async function sg(args: string[]) {
  return execa(bin, args, { reject: false });
}

function withoutThroughput(file: string): unknown {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  delete r.throughput;
  // The output directory is part of the config and of the file names.
  return JSON.parse(JSON.stringify(r).replaceAll(/run-[ab]/g, 'run'));
}

describe('golden: sparsegrad train', () => {
  let dumps: string;
  before(async () => {
    dumps = join(dir, 'run-a', 'dumps');
    for (const name of ['run-a', 'run-b']) {
      const r = await sg(['train', ...small, '--steps', '4', '--threshold', '0.001', '--seed', '5', '--out', join(dir, name), '--dump-streams', join(dir, name, 'dumps')]);
      assert.equal(r.exitCode, 0, r.stderr);
    }
  });

  it('writes report.json with the documented keys and a safetensors checkpoint with PyTorch names', () => {
    const r = JSON.parse(readFileSync(join(dir, 'run-a', 'report.json'), 'utf8'));
    for (const k of ['config', 'corpus', 'model', 'trainLoss', 'gradNorm', 'dzSparsity', 'validation', 'final', 'thresholdMode', 'accounting', 'dzMagnitudeQuantiles', 'throughput', 'checkpoint', 'dumps']) assert.ok(k in r, k);
    assert.ok(r.throughput.tokensPerSec > 0);
    assert.equal(r.trainLoss.length, 4);
    assert.equal(r.dzSparsity.length, 4);
    assert.ok(r.dzSparsity.every((x: number) => x >= 0 && x <= 1));
    assert.ok(Math.abs(r.dzSparsity.reduce((a: number, b: number) => a + b, 0) / 4 - r.accounting.lstm.sparsityAfter) < 1e-12, 'equal-sized steps average to the total');
    assert.ok(r.final.validBpc > 0 && Number.isFinite(r.final.validBpc));
    assert.equal(r.accounting.layers.length, 2);
    const ck = readSafetensors(join(dir, 'run-a', 'model.safetensors'));
    const V = r.model.V;
    assert.deepEqual([...ck.tensors.keys()].sort(), paramShapes(V, 6, 2).map(([n]) => n).sort());
    for (const [name, shape] of paramShapes(V, 6, 2)) assert.deepEqual(ck.tensors.get(name)!.shape, shape, name);
    assert.equal(JSON.parse(ck.metadata.vocab).length, V);
  });

  it('is deterministic: same seed, byte-identical checkpoint and dumps, identical report except throughput', () => {
    assert.deepEqual(withoutThroughput(join(dir, 'run-a', 'report.json')), withoutThroughput(join(dir, 'run-b', 'report.json')));
    assert.deepEqual(readFileSync(join(dir, 'run-a', 'model.safetensors')), readFileSync(join(dir, 'run-b', 'model.safetensors')));
    for (const f of ['step-1.safetensors', 'step-4.safetensors']) assert.deepEqual(readFileSync(join(dumps, f)), readFileSync(join(dir, 'run-b', 'dumps', f)), f);
  });

  it('dumps the first and last step with nn.LSTM shapes, dz before/after θ, act = [x; h_{t-1}] and the accounting they imply', () => {
    assert.deepEqual(readdirSync(dumps).sort(), ['step-1.safetensors', 'step-4.safetensors']);
    const d = readGradientDump(join(dumps, 'step-1.safetensors'));
    const { T, B, H, V } = d.meta;
    assert.deepEqual([T, B, H, d.meta.L, d.meta.step, d.meta.seed], [5, 3, 6, 2, 1, 5]);
    assert.equal(d.meta.theta, 0.001);
    const ck = readSafetensors(join(dumps, 'step-1.safetensors'));
    assert.deepEqual(ck.tensors.get('lstm.weight_ih_l0')!.shape, [4 * H, V]);
    assert.deepEqual(ck.tensors.get('lstm.weight_ih_l1')!.shape, [4 * H, H]);
    assert.deepEqual(ck.tensors.get('grad.lstm.weight_hh_l1')!.shape, [4 * H, H]);
    assert.deepEqual(ck.tensors.get('dz_l1')!.shape, [T, B, 4 * H]);
    assert.deepEqual(ck.tensors.get('act_l0')!.shape, [T, B, V + H]);
    assert.deepEqual(ck.tensors.get('loss')!.shape, []);
    let nnz = 0;
    d.layers.forEach((l, k) => {
      const D = k === 0 ? V : H;
      l.dzDense.forEach((v, i) => assert.equal(l.dz[i], Math.abs(v) < 0.001 ? 0 : v));
      nnz += l.dz.filter((v) => v !== 0).length * (k === 0 ? H : D + H);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
        const row = l.act.subarray((t * B + b) * (D + H), (t * B + b + 1) * (D + H));
        if (k === 0) row.subarray(0, V).forEach((x, v) => assert.equal(x, v === d.inputs[t * B + b] ? 1 : 0));
        // The first step starts from zero state; h_{t-1} of t = 0 is h0.
        if (t === 0) assert.deepEqual(Array.from(row.subarray(D)), Array.from(l.h0.subarray(b * H, b * H + H)));
      }
    });
    assert.ok(d.loss > 0);
    // The documented relations: [dW_ih | dW_hh] = Σ dzᵀ·act and both bias gradients = Σ dz.
    d.layers.forEach((l, k) => {
      const D = k === 0 ? V : H;
      const gih = d.grads.get(`lstm.weight_ih_l${k}`)!.data, ghh = d.grads.get(`lstm.weight_hh_l${k}`)!.data;
      const gb = d.grads.get(`lstm.bias_ih_l${k}`)!.data, gb2 = d.grads.get(`lstm.bias_hh_l${k}`)!.data;
      for (let j = 0; j < 4 * H; j++) {
        let bias = 0;
        for (let r = 0; r < T * B; r++) bias += l.dz[r * 4 * H + j];
        assert.ok(Math.abs(bias - Number(gb[j])) <= 1e-6 * (1 + Math.abs(bias)) && gb[j] === gb2[j], `bias l${k}[${j}]`);
        for (let c = 0; c < D + H; c++) {
          let s = 0, mag = 0;
          for (let r = 0; r < T * B; r++) { const p = l.dz[r * 4 * H + j] * l.act[r * (D + H) + c]; s += p; mag += Math.abs(p); }
          const got = Number(c < D ? gih[j * D + c] : ghh[j * H + c - D]);
          assert.ok(Math.abs(s - got) <= 1e-6 * mag + 1e-30, `dW l${k}[${j}][${c}]: ${got} vs Σ dzᵀ·act ${s}`);
        }
      }
    });
    // Independent count: backward-data MACs performed at step 1, from the dumped dz, equal the per-step accounting of a 1-step run.
    return sg(['train', ...small, '--steps', '1', '--threshold', '0.001', '--seed', '5', '--out', join(dir, 'one')]).then((r) => {
      assert.equal(r.exitCode, 0, r.stderr);
      const rep = JSON.parse(readFileSync(join(dir, 'one', 'report.json'), 'utf8'));
      const sparse = rep.accounting.layers.reduce((a: number, l: { backwardData: { sparse: number } }) => a + l.backwardData.sparse, 0);
      assert.equal(sparse, nnz);
    });
  });

  it('--init with --steps 1 dumps the step that uses exactly the given weights', async () => {
    const init = join(dir, 'run-a', 'model.safetensors');
    const out = join(dir, 'init');
    const r = await sg(['train', ...small, '--steps', '1', '--init', init, '--out', out, '--dump-streams', join(out, 'd')]);
    assert.equal(r.exitCode, 0, r.stderr);
    const d = readGradientDump(join(out, 'd', 'step-1.safetensors'));
    const w = readSafetensors(init);
    for (const [name, t] of d.params) assert.deepEqual(Buffer.from(t.data.buffer), Buffer.from(w.tensors.get(name)!.data.buffer), name);
  });

  it('target-sparsity mode reaches the requested sparsity', async () => {
    const r = await sg(['train', ...small, '--steps', '2', '--target-sparsity', '0.75', '--out', join(dir, 'target')]);
    assert.equal(r.exitCode, 0, r.stderr);
    const rep = JSON.parse(readFileSync(join(dir, 'target', 'report.json'), 'utf8'));
    assert.ok(Math.abs(rep.accounting.lstm.sparsityAfter - 0.75) < 0.01, String(rep.accounting.lstm.sparsityAfter));
    assert.ok(rep.accounting.layers[0].meanTheta > 0);
  });

  describe('bad input: one-line error, non-zero exit, no stack trace', () => {
    const cases: [string, () => string[], RegExp][] = [
      ['missing corpus', () => ['--corpus', join(dir, 'nope.txt')], /corpus .*nope\.txt not found/],
      ['empty corpus', () => { const p = join(dir, 'empty.txt'); writeFileSync(p, ''); return ['--corpus', p]; }, /corpus .*empty\.txt is empty/],
      ['θ < 0', () => ['--threshold', '-0.1'], /--threshold: threshold θ must be ≥ 0/],
      ['--init shape mismatch', () => ['--init', join(dir, 'run-a', 'model.safetensors'), '--hidden', '7', '--layers', '2'], /model\.safetensors: tensor 'lstm\.weight_ih_l0' has shape \[24, \d+\], expected \[28, \d+\]/],
      ['truncated --init', () => { const p = join(dir, 'cut.safetensors'); writeFileSync(p, readFileSync(join(dir, 'run-a', 'model.safetensors')).subarray(0, 300)); return ['--init', p]; }, /cut\.safetensors: truncated/],
      ['unknown flag', () => ['--no-such-flag'], /unknown option '--no-such-flag'/],
      ['non-numeric flag', () => ['--steps', 'many'], /--steps expects a number, got 'many'/],
      ['dump step beyond --steps', () => ['--dump-streams', join(dir, 'bad', 'd'), '--dump-steps', '1,9'], /--dump-steps 9: beyond --steps 1/],
      ['unreadable --config', () => ['--config', join(dir, 'nope.json')], /--config .*nope\.json: cannot read/],
    ];
    for (const [what, args, msg] of cases) {
      it(what, async () => {
        const r = await sg(['train', '--hidden', '6', '--batch', '2', '--seq', '3', '--steps', '1', '--quiet', '--out', join(dir, 'bad'), ...args()]);
        assert.notEqual(r.exitCode, 0);
        assert.match(r.stderr, msg);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with')).length, 1, r.stderr);
      });
    }
  });

  it('--help lists the flags of the issue', async () => {
    const r = await sg(['train', '--help']);
    for (const f of ['--hidden', '--layers', '--batch', '--seq', '--steps', '--lr', '--seed', '--threshold', '--target-sparsity', '--init', '--out', '--dump-streams', '--quiet']) assert.match(r.stdout, new RegExp(f));
    assert.ok(!existsSync(join(dir, 'bad', 'report.json')), 'failed runs write no report');
  });
});
