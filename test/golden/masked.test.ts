import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { paramTensors } from '../../golden/model.ts';
import { smallNetwork, testSeed } from './helpers.ts';
import { referenceGrads } from './reference-lstm.ts';

/**
 * θ near the q-quantile of |dz| of a dense pass, so the mask is far from trivial;
 * halfway between two magnitudes, so rounding differences between the two
 * implementations cannot flip an element across θ.
 */
async function quantileTheta(s: Parameters<typeof smallNetwork>[0], seed: number, q: number): Promise<number> {
  const net = smallNetwork(s, seed);
  net.forward();
  await net.backward({ kind: 'fixed', theta: 0 });
  const mags = net.layers.flatMap((w) => Array.from(w.dzDense, Math.abs)).sort((a, b) => a - b);
  const i = Math.min(mags.length - 2, Math.floor(q * (mags.length - 1)));
  return i < 0 ? 0 : (mags[i] + mags[i + 1]) / 2;
}

describe('golden: θ > 0 equals dense backprop with dz masked (independent reference)', () => {
  it('gradients, loss and dz match a naive per-step implementation for random shapes and θ', async () => {
    const seed = testSeed('masked');
    await fc.assert(
      fc.asyncProperty(
        fc.record({ V: fc.integer({ min: 2, max: 9 }), H: fc.integer({ min: 1, max: 6 }), L: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 6 }), B: fc.integer({ min: 1, max: 4 }) }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.1, max: 0.95, noNaN: true }),
        async (s, netSeed, q) => {
          const theta = await quantileTheta(s, netSeed, q);
          const net = smallNetwork(s, netSeed);
          const h0 = net.layers.map((w) => Float64Array.from(w.h0));
          const c0 = net.layers.map((w) => Float64Array.from(w.c0));
          const params = paramTensors(net.params);
          const loss = net.forward();
          await net.backward({ kind: 'fixed', theta });
          const ref = referenceGrads({ ...s, params, inputs: net.inputs, targets: net.targets, h0, c0, theta });
          assert.ok(Math.abs(loss - ref.loss) < 1e-12, `loss ${loss} vs ${ref.loss}`);
          for (const [name, t] of paramTensors(net.grads)) {
            const want = ref.grads.get(name)!;
            t.data.forEach((v, i) => assert.ok(Math.abs(Number(v) - want[i]) <= 1e-12 + 1e-9 * Math.abs(want[i]), `${name}[${i}]: ${v} vs reference ${want[i]} (θ=${theta})`));
          }
          net.layers.forEach((w, l) => w.dz.forEach((v, i) => assert.ok(Math.abs(v - ref.dz[l][i]) <= 1e-12 + 1e-9 * Math.abs(ref.dz[l][i]), `dz_l${l}[${i}]`)));
        },
      ),
      { seed, numRuns: 40 },
    );
  });

  it('a non-trivial θ really zeroes dz and changes the gradients', async () => {
    const s = { V: 6, H: 5, L: 2, T: 4, B: 3 };
    const theta = await quantileTheta(s, 7, 0.6);
    const dense = smallNetwork(s, 7);
    dense.forward();
    await dense.backward({ kind: 'fixed', theta: 0 });
    const sparse = smallNetwork(s, 7);
    sparse.forward();
    await sparse.backward({ kind: 'fixed', theta });
    const zeros = sparse.layers.reduce((a, w) => a + w.dz.filter((v) => v === 0).length, 0);
    const total = sparse.layers.reduce((a, w) => a + w.dz.length, 0);
    assert.ok(zeros / total > 0.4, `sparsity ${zeros / total}`);
    assert.notDeepEqual(Array.from(sparse.grads.layers[0].W), Array.from(dense.grads.layers[0].W));
    // The cell path is not thresholded, so the dense dz of the last step is identical.
    const last = (s.T - 1) * s.B * 4 * s.H;
    const topD = dense.layers[1].dzDense.subarray(last), topS = sparse.layers[1].dzDense.subarray(last);
    assert.deepEqual(Array.from(topS), Array.from(topD));
  });
});
