/**
 * The benchmark's TensorFlow.js LSTM is the trainer's model: from the same
 * weights and batches it gives the same loss and the same gradients (tfjs
 * autograd vs the trainer's hand-written backward), also across a batch
 * boundary with the carried state. Otherwise the tokens/s ratio would compare
 * different work.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network } from '../../golden/network.ts';
import { initParams, zeroParams } from '../../golden/model.ts';
import { Rng } from '../../golden/rng.ts';
import { TfjsLstm, tfjsWeightsFromParams } from '../../bench/tfjs-lstm.ts';
import { quietTfjs } from '../../bench/util.ts';
import { seededFill, testSeed } from './gemm-cases.ts';

const seed = testSeed();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('bench: tfjs model matches the trainer', function () {
  before(async () => {
    console.log(`      seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
    quietTfjs(tf);
    await tf.setBackend('cpu');
  });

  it('same loss and gradients from the same weights, over two batches with carried state', async () => {
    const V = 7, H = 5, B = 3, T = 4;
    const params = zeroParams({ V, H, L: 1 }, 'float32');
    initParams(params, new Rng(seed >>> 0));
    const net = new Network(params, T, B);
    const model = new TfjsLstm(tf, { V, H, B, T }, 1, 5, 0, tfjsWeightsFromParams(params));
    const next = seededFill(seed);
    const D = V, G = 4 * H, DH = D + H;
    for (let batch = 0; batch < 2; batch++) {
      for (let i = 0; i < T * B; i++) { net.inputs[i] = next() % V; net.targets[i] = next() % V; }
      const ours = net.forward();
      await net.backward({ kind: 'fixed', theta: 0 });
      net.carryState();
      const theirs = model.gradients(net.inputs, net.targets);
      assert.ok(Math.abs(ours - theirs.loss) < 1e-5, `batch ${batch}: loss ${ours} vs tfjs ${theirs.loss}`);
      // Our [W_ih | W_hh] gradient [4H, D+H] against tfjs's transposed pieces.
      const W = net.grads.layers[0].W;
      const wIh = new Float32Array(V * G), wHh = new Float32Array(H * G);
      for (let g = 0; g < G; g++) {
        for (let v = 0; v < D; v++) wIh[v * G + g] = W[g * DH + v];
        for (let h = 0; h < H; h++) wHh[h * G + g] = W[g * DH + D + h];
      }
      const headW = new Float32Array(H * V);
      for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) headW[h * V + v] = net.grads.headW[v * H + h];
      const tol = 2e-6;
      assert.ok(maxAbsDiff(wIh, theirs.grads.wIh) < tol, `batch ${batch}: dW_ih`);
      assert.ok(maxAbsDiff(wHh, theirs.grads.wHh) < tol, `batch ${batch}: dW_hh`);
      assert.ok(maxAbsDiff(net.grads.layers[0].bIh, theirs.grads.bIh) < tol, `batch ${batch}: db_ih`);
      assert.ok(maxAbsDiff(net.grads.layers[0].bHh, theirs.grads.bHh) < tol, `batch ${batch}: db_hh`);
      assert.ok(maxAbsDiff(headW, theirs.grads.wHead) < tol, `batch ${batch}: dW_head`);
      assert.ok(maxAbsDiff(net.grads.headB, theirs.grads.bHead) < tol, `batch ${batch}: db_head`);
    }
    model.dispose();
  });
});
