import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { thresholdStep, targetTheta } from '../../golden/threshold.ts';
import { testSeed } from './helpers.ts';

const vec = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 300 });

describe('golden: dz thresholding', () => {
  it('fixed θ zeroes exactly the |dz| < θ and keeps every other value bit for bit', () => {
    const seed = testSeed('threshold fixed');
    fc.assert(fc.property(vec, fc.double({ min: 0, max: 1, noNaN: true }), (v, theta) => {
      const src = Float64Array.from(v), dst = new Float64Array(v.length).fill(NaN);
      assert.equal(thresholdStep({ kind: 'fixed', theta }, src, dst, 0, v.length, new Float64Array(v.length)), theta);
      v.forEach((x, i) => assert.equal(dst[i], Math.abs(x) < theta ? 0 : x));
    }), { seed, numRuns: 200 });
  });

  it('θ = 0 zeroes nothing, not even the smallest subnormal', () => {
    const src = Float32Array.of(1e-45, -1e-45, 0, 3), dst = new Float32Array(4);
    thresholdStep({ kind: 'fixed', theta: 0 }, src, dst, 0, 4, new Float64Array(4));
    assert.deepEqual(Array.from(dst), Array.from(src));
  });

  it('works on a window (one BPTT step) and leaves the rest untouched', () => {
    const src = Float64Array.of(0.1, 0.2, 0.01, 0.5, 0.05, 0.3), dst = new Float64Array(6).fill(7);
    thresholdStep({ kind: 'fixed', theta: 0.1 }, src, dst, 2, 3, new Float64Array(3));
    assert.deepEqual(Array.from(dst), [7, 7, 0, 0.5, 0, 7]);
  });

  it('target sparsity zeroes ⌈s·n⌉ of distinct magnitudes, and all or none at s = 1 or 0', () => {
    const seed = testSeed('threshold target');
    fc.assert(fc.property(fc.uniqueArray(fc.double({ min: 1e-9, max: 1, noNaN: true }), { minLength: 1, maxLength: 400, selector: Math.abs }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (mags, s, flip) => {
      const src = Float64Array.from(mags, (m, i) => (flip && i % 2 ? -m : m));
      const dst = new Float64Array(src.length);
      const theta = thresholdStep({ kind: 'target', sparsity: s }, src, dst, 0, src.length, new Float64Array(src.length));
      const zeros = dst.filter((x) => x === 0).length;
      assert.equal(zeros, Math.max(0, Math.ceil(s * src.length - 1e-9)), `θ=${theta}`);
      assert.ok(zeros / src.length >= s - 1e-9);
      const sorted = [...mags].sort((a, b) => a - b);
      // θ is the smallest magnitude that survives: a consistent fixed-θ reading of the same step.
      if (zeros > 0 && zeros < src.length) assert.equal(theta, sorted[zeros]);
    }), { seed, numRuns: 200 });
    const v = Float64Array.of(0.5, -0.2, 0.2, 0.9);
    const out = new Float64Array(4);
    thresholdStep({ kind: 'target', sparsity: 1 }, v, out, 0, 4, new Float64Array(4));
    assert.deepEqual(Array.from(out), [0, 0, 0, 0]);
    thresholdStep({ kind: 'target', sparsity: 0 }, v, out, 0, 4, new Float64Array(4));
    assert.deepEqual(Array.from(out), Array.from(v));
  });

  it('target θ is linear-time robust on sorted and constant inputs', () => {
    const n = 200000;
    const sorted = Float64Array.from({ length: n }, (_, i) => i);
    assert.equal(targetTheta(sorted, 0, n, 0.25, new Float64Array(n)), n / 4);
    const flat = new Float64Array(n).fill(0.5);
    assert.equal(targetTheta(flat, 0, n, 0.9, new Float64Array(n)), 0.5);
  });
});
