/**
 * The trainer's model in TensorFlow.js, as the speed baseline: one-hot input,
 * one LSTM layer (PyTorch's gate order and two bias vectors), a linear head,
 * mean cross-entropy over the T·B tokens, truncated BPTT with the state
 * carried across batches, SGD with global-norm clipping. Built from tf ops so
 * it runs on any backend (cpu, wasm) with tfjs's autograd doing the backward.
 */
import type * as TF from '@tensorflow/tfjs';

export interface LstmShape {
  V: number;
  H: number;
  B: number;
  T: number;
}

export class TfjsLstm {
  private readonly vars: TF.Variable[];
  private h: TF.Tensor2D;
  private c: TF.Tensor2D;
  private readonly optimizer: TF.SGDOptimizer;

  constructor(private readonly tf: typeof TF, readonly shape: LstmShape, lr: number, private readonly clip: number, seed: number) {
    const { V, H, B } = shape;
    const k = 1 / Math.sqrt(H);
    const u = (s: number[], i: number) => tf.variable(tf.randomUniform(s, -k, k, 'float32', seed + i));
    // Stored transposed relative to PyTorch ([in, 4H]) so the forward needs no transposes.
    this.vars = [u([V, 4 * H], 0), u([H, 4 * H], 1), u([4 * H], 2), u([4 * H], 3), u([H, V], 4), u([V], 5)];
    this.h = tf.zeros([B, H]);
    this.c = tf.zeros([B, H]);
    this.optimizer = tf.train.sgd(lr);
  }

  /** One training step on inputs/targets laid out [T, B]; returns the loss (nats). */
  step(inputs: Int32Array, targets: Int32Array): number {
    const { tf, shape } = this;
    const { V, H, B, T } = shape;
    const [wIh, wHh, bIh, bHh, wHead, bHead] = this.vars;
    let hOut: TF.Tensor2D | undefined, cOut: TF.Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const x = tf.oneHot(tf.tensor1d(inputs, 'int32'), V).toFloat();
      // Input projection of all T steps in one product, as the trainer does.
      const xp = tf.matMul(x, wIh).add(bIh).add(bHh).reshape([T, B, 4 * H]);
      const xs = tf.unstack(xp) as TF.Tensor2D[];
      let h = this.h, c = this.c;
      const hs: TF.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const z = xs[t].add(tf.matMul(h, wHh));
        const [zi, zf, zg, zo] = tf.split(z, 4, 1);
        c = tf.sigmoid(zf).mul(c).add(tf.sigmoid(zi).mul(tf.tanh(zg)));
        h = tf.sigmoid(zo).mul(tf.tanh(c));
        hs.push(h);
      }
      hOut = tf.keep(h);
      cOut = tf.keep(c);
      const logits = tf.matMul(tf.concat(hs, 0), wHead).add(bHead);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), V), logits) as TF.Scalar;
    });
    const names = Object.keys(grads);
    const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))).dataSync()[0]);
    const scale = norm > this.clip ? this.clip / norm : 1;
    const clipped = scale === 1 ? grads : Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)]));
    this.optimizer.applyGradients(clipped);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads), ...(scale === 1 ? [] : Object.values(clipped)), this.h, this.c]);
    // The state is carried into the next batch detached (truncated BPTT).
    this.h = hOut!;
    this.c = cOut!;
    return loss;
  }

  dispose(): void {
    this.tf.dispose([...this.vars, this.h, this.c]);
    this.optimizer.dispose();
  }
}
