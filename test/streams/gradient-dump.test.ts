import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGradientDump, readGradientDump, paramShapes, dumpFileName, type GradientDump } from '../../streams/gradient-dump.ts';
import { readSafetensors, writeSafetensors } from '../../streams/safetensors.ts';
import { UserError } from '../../util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-dump-'));

function fakeDump(V = 5, H = 3, L = 2, T = 4, B = 2): GradientDump {
  let x = 0;
  const f = (n: number) => Float32Array.from({ length: n }, () => (x = (x * 7 + 3) % 101) / 101 - 0.5);
  const params = new Map(paramShapes(V, H, L).map(([name, shape]) => [name, { dtype: 'F32' as const, shape, data: f(shape.reduce((a, b) => a * b, 1)) }]));
  const grads = new Map(paramShapes(V, H, L).map(([name, shape]) => [name, { dtype: 'F32' as const, shape, data: f(shape.reduce((a, b) => a * b, 1)) }]));
  return {
    meta: { step: 3, seed: 9, thresholdMode: 'fixed', theta: 0.25, targetSparsity: null, T, B, H, L, V, precision: 'float32' },
    params, grads,
    inputs: Int32Array.from({ length: T * B }, (_, i) => i % V), targets: Int32Array.from({ length: T * B }, (_, i) => (i + 1) % V),
    loss: 1.5,
    layers: Array.from({ length: L }, (_, k) => ({
      h0: f(B * H), c0: f(B * H), dzDense: f(T * B * 4 * H), dz: f(T * B * 4 * H),
      act: f(T * B * ((k === 0 ? V : H) + H)), theta: new Float64Array(T).fill(0.25),
    })),
  };
}

describe('streams: gradient dump', () => {
  it('round-trips every tensor and the metadata', () => {
    const d = fakeDump();
    const file = join(dir, dumpFileName(3));
    writeGradientDump(file, d);
    const back = readGradientDump(file);
    assert.deepEqual(back.meta, d.meta);
    assert.deepEqual(back.inputs, d.inputs);
    assert.equal(back.loss, 1.5);
    for (const [name, t] of d.params) assert.deepEqual(back.params.get(name)!.data, t.data, name);
    for (const [name, t] of d.grads) assert.deepEqual(back.grads.get(name)!.data, t.data, name);
    back.layers.forEach((l, k) => assert.deepEqual(l, d.layers[k]));
    const raw = readSafetensors(file);
    assert.equal(raw.metadata.gate_order, 'i,f,g,o');
    assert.deepEqual(raw.tensors.get('act_l0')!.shape, [4, 2, 8]);
    assert.deepEqual(raw.tensors.get('act_l1')!.shape, [4, 2, 6]);
  });

  it('rejects files that are not dumps, or whose tensors do not fit the metadata, naming file and tensor', () => {
    const file = join(dir, 'wrong.safetensors');
    writeSafetensors(file, { x: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    assert.throws(() => readGradientDump(file), (e: unknown) => e instanceof UserError && /wrong\.safetensors: not a sparsegrad gradient dump/.test(e.message));
    const d = fakeDump();
    d.layers[1].dz = d.layers[1].dz.subarray(0, 12);
    const bad = join(dir, 'bad.safetensors');
    assert.throws(() => writeGradientDump(bad, d));
    // A consistent dump with one tensor swapped for a wrong shape: the reader names it.
    const good = join(dir, 'good.safetensors');
    writeGradientDump(good, fakeDump());
    const raw = readSafetensors(good);
    raw.tensors.set('dz_l1', { dtype: 'F32', shape: [4, 2, 11], data: new Float32Array(88) });
    writeSafetensors(bad, raw.tensors, raw.metadata);
    assert.throws(() => readGradientDump(bad), (e: unknown) => e instanceof UserError && /bad\.safetensors: tensor 'dz_l1' has shape \[4, 2, 11\], expected \[4, 2, 12\]/.test(e.message));
  });
});
