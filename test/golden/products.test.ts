import { strict as assert } from 'node:assert';
import { FloatBackwardProducts, type LayerBackwardProducts, type HiddenGradArgs, type InputWeightGradArgs } from '../../golden/backward-products.ts';
import { flatParams } from '../../golden/model.ts';
import { smallNetwork } from './helpers.ts';

describe('golden: pluggable backward products', () => {
  it('an asynchronous replacement sees thresholded dz, [W_ih|W_hh] and act, and its results become the gradients', async () => {
    const s = { V: 6, H: 4, L: 2, T: 3, B: 2 };
    const inner = new FloatBackwardProducts();
    const calls: string[] = [];
    const spy: LayerBackwardProducts = {
      beginLayer: (a) => { calls.push(`begin ${a.layer}`); return inner.beginLayer(a); },
      async hiddenGrad(a: HiddenGradArgs) {
        await new Promise((r) => setImmediate(r));
        calls.push(`h ${a.layer} ${a.t}`);
        assert.equal(a.W.length, 4 * a.H * (a.D + a.H));
        inner.hiddenGrad(a);
      },
      async inputWeightGrads(a: InputWeightGradArgs) {
        calls.push(`w ${a.layer}`);
        assert.equal(a.act.length, a.T * a.B * (a.D + a.H));
        assert.equal(a.dx === null, a.layer === 0);
        inner.inputWeightGrads(a);
        // A visible perturbation proves the trainer uses what the products return.
        if (a.layer === 1) a.dW[0] += 1;
      },
    };
    const ref = smallNetwork(s, 11);
    ref.forward();
    await ref.backward({ kind: 'target', sparsity: 0.5 });
    const net = smallNetwork(s, 11);
    net.forward();
    await net.backward({ kind: 'target', sparsity: 0.5 }, spy);
    assert.deepEqual(calls, ['begin 1', 'h 1 2', 'h 1 1', 'h 1 0', 'w 1', 'begin 0', 'h 0 2', 'h 0 1', 'h 0 0', 'w 0']);
    const a = flatParams(net.grads), b = flatParams(ref.grads);
    a.forEach((p, k) => p.data.forEach((v, i) => assert.equal(v, b[k].data[i] + (p.name === 'lstm.W_l1' && i === 0 ? 1 : 0), `${p.name}[${i}]`)));
  });
});
