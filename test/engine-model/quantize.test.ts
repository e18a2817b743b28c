import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { getPreset } from '../../engine/config.ts';
import { runEngine } from '../../golden/engine-model/model.ts';
import { chooseExponent, dequantize, quantize, quantizeTheta, relativeError, roundHalfEven } from '../../streams/quantize.ts';
import { compareWithGolden, quantizeLayer, readDumpLayer, toEngineProblem } from '../../streams/quantize-layer.ts';
import { writeSyntheticDump } from './synthetic-dump.ts';
import { announceSeed, seed } from './seed.ts';

const finite32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(Math.fround);

describe('engine-model: quantization', () => {
  before(announceSeed);

  it('rounds half to even, exactly at ties', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999, 2.5000001].map(roundHalfEven), [0, 2, 2, 0, -2, -2, 2, 3]);
    fc.assert(fc.property(fc.integer({ min: -1e6, max: 1e6 }), (n) => {
      assert.equal(roundHalfEven(n + 0.5) % 2 === 0 || roundHalfEven(n + 0.5) === 0, true);
      assert.equal(Math.abs(roundHalfEven(n + 0.5) - (n + 0.5)), 0.5);
    }), { seed, numRuns: 200 });
  });

  it('chooses the largest power-of-two scale that does not clip, and errs by at most half an LSB', () => {
    fc.assert(fc.property(fc.array(finite32, { minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 24 }), (xs, bits) => {
      const x = Float32Array.from(xs);
      const q = quantize(x, [x.length], bits);
      const hi = 2 ** (bits - 1) - 1;
      const m = Math.max(...xs.map(Math.abs));
      assert.equal(q.clipped, 0);
      if (m > 0) {
        assert.ok(m * 2 ** q.exp <= hi, 'max fits');
        assert.ok(m * 2 ** (q.exp + 1) > hi, 'one more bit would not');
      }
      const back = dequantize(q.q, q.exp);
      for (let i = 0; i < x.length; i++) {
        assert.ok(Math.abs(back[i]! - x[i]!) <= 2 ** (-q.exp - 1), `element ${i}`);
        assert.ok(q.q[i]! <= hi && q.q[i]! >= -hi - 1);
      }
    }), { seed: seed + 1, numRuns: 300 });
    assert.equal(chooseExponent(0, 16), 0);
    assert.equal(chooseExponent(1, 16), 14, '1.0 → 16384, 2^15 would not fit 32767');
  });

  it('saturates and counts clipped values when an exponent is forced', () => {
    const q = quantize(Float64Array.from([1, -1, 0.25, 3, -3]), [5], 4, 2);
    assert.deepEqual([...q.q], [4, -4, 1, 7, -8]);
    assert.equal(q.clipped, 2);
  });

  it('θ_q makes the engine zero exactly the codes whose value is below θ', () => {
    fc.assert(fc.property(fc.integer({ min: -32768, max: 32767 }), fc.double({ min: 0, max: 4, noNaN: true }), fc.integer({ min: -4, max: 20 }), (code, theta, exp) => {
      const tq = quantizeTheta(theta, exp, 16);
      const engineZero = Math.abs(code) < tq;
      const floatZero = Math.abs(code * 2 ** -exp) < theta;
      assert.equal(engineZero, floatZero);
    }), { seed: seed + 2, numRuns: 500 });
    assert.equal(quantizeTheta(1e9, 10, 16), 65535, 'clamped to the THETA register');
    assert.equal(quantizeTheta(0, 10, 16), 0);
    assert.throws(() => quantizeTheta(-1, 0, 16), /θ = -1/);
  });

  it('threshold-consistent rounding: the engine zeroes exactly what the trainer zeroed, within one LSB', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }).chain((base) =>
        fc.record({ base: fc.constant(base), theta: fc.double({ min: 1e-4, max: 0.9, noNaN: true }), jitter: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 8, maxLength: 8 }) })),
      ({ base, theta, jitter }) => {
        // Half the values sit within a few ulps-of-the-scale of ±θ, where plain rounding flips sides.
        const T = 1, B = 1, H = 2, D = 1, R = 8, K = 3;
        const e = chooseExponent(Math.max(1, ...base.map(Math.abs)), 16);
        const x = Float64Array.from(base, (v, i) => (i % 2 ? v : Math.sign(v || 1) * (theta + jitter[i]! * 2 ** (-e - 3))));
        const layer = {
          layer: 0, T, B, H, D, theta: Float64Array.of(theta), dzDense: x, dz: x.map((v) => (Math.abs(v) < theta ? 0 : v)),
          weightIh: new Float64Array(R * D), weightHh: new Float64Array(R * H), act: new Float64Array(K),
        };
        const q = quantizeLayer(layer, { gBits: 16, wBits: 16, aBits: 16 });
        assert.equal(q.thresholdDisagreements, 0);
        for (let i = 0; i < R; i++) {
          assert.equal(Math.abs(q.g.q[i]!) < q.thetaQ[0]!, layer.dz[i] === 0, `element ${i}`);
          assert.ok(Math.abs(q.g.q[i]! - x[i]! * 2 ** q.g.exp) < 1, 'within one LSB');
        }
      }), { seed: seed + 3, numRuns: 300 });
  });

  it('measures relative error', () => {
    assert.deepEqual(relativeError([3, 4], [3, 4]), { relative: 0, maxAbs: 0, refMaxAbs: 4 });
    const e = relativeError([3, 5], [3, 4]);
    assert.ok(Math.abs(e.relative - 0.2) < 1e-15);
    assert.equal(relativeError([1], [0]).relative, Infinity);
  });

  it('exports a dump layer in the engine layout and the engine results match the float golden', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-quant-'));
    try {
      const file = join(dir, 'step-1.safetensors');
      // Target-sparsity dumps carry one θ per time step.
      const { T, B, H, D, R, K, whh, act } = writeSyntheticDump(file, seed);
      const layer = readDumpLayer(file, 0);
      const cfg = getPreset('tiny');
      const q = quantizeLayer(layer, cfg);
      assert.deepEqual([q.R, q.K, q.S], [R, K, T * B]);
      // q_W = [weight_ih | weight_hh]: row 3, column D+1 is weight_hh[3][1].
      assert.ok(Math.abs(q.W.q[3 * K + D + 1]! * 2 ** -q.W.exp - whh[3 * H + 1]!) <= 2 ** (-q.W.exp - 1));
      assert.ok(Math.abs(q.a.q[(1 * B + 1) * K + 2]! * 2 ** -q.a.exp - act[(1 * B + 1) * K + 2]!) <= 2 ** (-q.a.exp - 1));
      assert.equal(q.thresholdDisagreements, 0);
      const p = toEngineProblem(q);
      assert.deepEqual(p.theta, [0, 0, 1, 1, 2, 2].map((t) => q.thetaQ[t]), 'θ_q per vector s = t·B + b');
      assert.notEqual(q.thetaQ[0], q.thetaQ[1]);
      const y = runEngine(cfg, p, 'data').y!;
      const G = runEngine(cfg, p, 'weight').G!;
      const cmp = compareWithGolden(layer, q, { y, G });
      assert.ok(cmp.data!.relative < 1e-3, `dx/dh relative error ${cmp.data!.relative}`);
      assert.ok(cmp.weight!.relative < 1e-3, `dW relative error ${cmp.weight!.relative}`);
      assert.throws(() => readDumpLayer(file, 1), /no tensor 'dz_dense_l1' \(the dump has layers 0\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
