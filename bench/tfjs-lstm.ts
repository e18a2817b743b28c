/**
 * The trainer's model in TensorFlow.js, as the speed baseline: one-hot input,
 * one LSTM layer (PyTorch's gate order and two bias vectors), a linear head,
 * mean cross-entropy over the T·B tokens, truncated BPTT with the state
 * carried across batches, SGD with global-norm clipping. Built from tf ops so
 * it runs on any backend (cpu, wasm) with tfjs's autograd doing the backward.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Params } from '../golden/model.ts';

export interface LstmShape {
  V: number;
  H: number;
  B: number;
  T: number;
}

/** Initial weights in tfjs layout ([in, out], transposed from PyTorch's [out, in]). */
export interface TfjsLstmWeights {
  wIh: Float32Array; // [V, 4H]
  wHh: Float32Array; // [H, 4H]
  bIh: Float32Array; // [4H]
  bHh: Float32Array; // [4H]
  wHead: Float32Array; // [H, V]
  bHead: Float32Array; // [V]
}

let instances = 0;

export class TfjsLstm {
  private readonly vars: TF.Variable[];
  private readonly names: string[];
  private h: TF.Tensor2D;
  private c: TF.Tensor2D;
  private readonly optimizer: TF.SGDOptimizer;

  constructor(private readonly tf: typeof TF, readonly shape: LstmShape, lr: number, private readonly clip: number, seed: number, init?: TfjsLstmWeights) {
    const { V, H, B } = shape;
    const k = 1 / Math.sqrt(H);
    const id = instances++;
    const shapes: Array<[keyof TfjsLstmWeights, number[]]> = [['wIh', [V, 4 * H]], ['wHh', [H, 4 * H]], ['bIh', [4 * H]], ['bHh', [4 * H]], ['wHead', [H, V]], ['bHead', [V]]];
    this.names = shapes.map(([n]) => `${n}_${id}`);
    // Stored transposed relative to PyTorch ([in, 4H]) so the forward needs no transposes.
    this.vars = shapes.map(([n, s], i) => tf.variable(init ? tf.tensor(init[n], s) : tf.randomUniform(s, -k, k, 'float32', seed + i), true, this.names[i]));
    this.h = tf.zeros([B, H]);
    this.c = tf.zeros([B, H]);
    this.optimizer = tf.train.sgd(lr);
  }

  /** One training step on inputs/targets laid out [T, B]; returns the loss (nats). */
  step(inputs: Int32Array, targets: Int32Array): number {
    const { tf } = this;
    const { value, grads } = this.lossAndGrads(inputs, targets);
    const names = Object.keys(grads);
    const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))).dataSync()[0]);
    const scale = norm > this.clip ? this.clip / norm : 1;
    const clipped = scale === 1 ? grads : Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)]));
    this.optimizer.applyGradients(clipped);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads), ...(scale === 1 ? [] : Object.values(clipped))]);
    this.carry();
    return loss;
  }

  /** The loss and raw gradients of one batch, keyed like TfjsLstmWeights (for comparing with the trainer). */
  gradients(inputs: Int32Array, targets: Int32Array): { loss: number; grads: Record<keyof TfjsLstmWeights, Float32Array> } {
    const { value, grads } = this.lossAndGrads(inputs, targets);
    const out = Object.fromEntries(this.names.map((n) => [n.replace(/_\d+$/, ''), grads[n].dataSync() as Float32Array])) as Record<keyof TfjsLstmWeights, Float32Array>;
    const loss = value.dataSync()[0];
    this.tf.dispose([value, ...Object.values(grads)]);
    this.carry();
    return { loss, grads: out };
  }

  private hOut: TF.Tensor2D | undefined;
  private cOut: TF.Tensor2D | undefined;

  /** The state is carried into the next batch detached (truncated BPTT). */
  private carry(): void {
    this.tf.dispose([this.h, this.c]);
    this.h = this.hOut!;
    this.c = this.cOut!;
  }

  private lossAndGrads(inputs: Int32Array, targets: Int32Array): { value: TF.Scalar; grads: TF.NamedTensorMap } {
    const { tf, shape } = this;
    const { V, H, B, T } = shape;
    const [wIh, wHh, bIh, bHh, wHead, bHead] = this.vars;
    return tf.variableGrads(() => {
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
      this.hOut = tf.keep(h);
      this.cOut = tf.keep(c);
      const logits = tf.matMul(tf.concat(hs, 0), wHead).add(bHead);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), V), logits) as TF.Scalar;
    }, this.vars);
  }

  dispose(): void {
    this.tf.dispose([...this.vars, this.h, this.c]);
    this.optimizer.dispose();
  }
}

/** The trainer's float32 parameters (layer 0 and head) in tfjs layout, so both start from the same weights. */
export function tfjsWeightsFromParams(p: Params): TfjsLstmWeights {
  const { V, H } = p.shape;
  const { D, W, bIh, bHh } = p.layers[0];
  const G = 4 * H, DH = D + H;
  const wIh = new Float32Array(V * G), wHh = new Float32Array(H * G), wHead = new Float32Array(H * V);
  for (let g = 0; g < G; g++) {
    for (let v = 0; v < D; v++) wIh[v * G + g] = W[g * DH + v];
    for (let h = 0; h < H; h++) wHh[h * G + g] = W[g * DH + D + h];
  }
  for (let v = 0; v < V; v++) for (let h = 0; h < H; h++) wHead[h * V + v] = p.headW[v * H + h];
  return { wIh, wHh, bIh: Float32Array.from(bIh), bHh: Float32Array.from(bHh), wHead, bHead: Float32Array.from(p.headB) };
}
