/**
 * The whole model over one BPTT window: stacked LSTM layers, the linear head,
 * mean cross-entropy over all T·B tokens (PyTorch's default reduction), and the
 * backward pass into a Params-shaped gradient.
 */
import { gemm } from './kernels/gemm.ts';
import { allocVec, zeroParams, type Params, type Vec } from './model.ts';
import { LayerWorkspace, forwardLayer, backwardLayer, emptyCounts, type LayerCounts } from './lstm.ts';
import type { ThresholdMode } from './threshold.ts';
import { FloatBackwardProducts, type LayerBackwardProducts } from './backward-products.ts';

export class Network {
  readonly layers: LayerWorkspace[];
  /** Softmax probabilities after forward (logits before), [T·B, V]. */
  readonly probs: Vec;
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  /** Gradient of the loss; layer W arrays alias the workspaces' dW. */
  readonly grads: Params;
  readonly counts: LayerCounts[];
  lastLoss = NaN;
  private readonly floatProducts = new FloatBackwardProducts();

  constructor(readonly params: Params, readonly T: number, readonly B: number) {
    const { V, H, L } = params.shape;
    const prec = params.precision;
    // Layer 0 needs dx only to train an embedding: a one-hot input has nothing to learn.
    this.layers = params.layers.map((l, k) => new LayerWorkspace(prec, T, B, l.D, H, k > 0 || params.embedding !== null));
    this.probs = allocVec(prec, T * B * V);
    this.inputs = new Int32Array(T * B);
    this.targets = new Int32Array(T * B);
    const g = zeroParams(params.shape, prec);
    g.layers.forEach((gl, k) => { gl.W = this.layers[k].dW; });
    this.grads = g;
    this.counts = Array.from({ length: L }, emptyCounts);
  }

  resetState(): void {
    for (const ws of this.layers) ws.resetState();
  }

  carryState(): void {
    for (const ws of this.layers) ws.carryState();
  }

  /** Forward pass on this.inputs/targets; returns the mean cross-entropy (nats). */
  forward(): number {
    const { params, T, B } = this;
    const { V, H } = params.shape;
    const N = T * B;
    this.layers.forEach((ws, k) => {
      if (k === 0) {
        if (params.embedding) ws.setEmbedded(this.inputs, params.embedding);
        else ws.setOneHot(this.inputs);
      }
      else ws.setInputs(this.layers[k - 1].h);
      forwardLayer(params.layers[k], ws);
    });
    const top = this.layers[this.layers.length - 1].h;
    const probs = this.probs;
    for (let r = 0; r < N; r++) probs.set(params.headB, r * V);
    gemm({ transA: false, transB: true, M: N, N: V, K: H, alpha: 1, A: top, lda: H, B: params.headW, ldb: H, beta: 1, C: probs, ldc: V });
    let loss = 0;
    for (let r = 0; r < N; r++) {
      const o = r * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (probs[o + v] > max) max = probs[o + v];
      // log-softmax form: stays finite even when the target's probability underflows.
      const targetLogit = probs[o + this.targets[r]] - max;
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(probs[o + v] - max);
        probs[o + v] = e;
        sum += e;
      }
      loss += Math.log(sum) - targetLogit;
      const inv = 1 / sum;
      for (let v = 0; v < V; v++) probs[o + v] *= inv;
    }
    this.lastLoss = loss / N;
    return this.lastLoss;
  }

  /** Backward pass after forward(); fills this.grads and adds to this.counts. */
  async backward(mode: ThresholdMode, products: LayerBackwardProducts = this.floatProducts): Promise<void> {
    const { params, T, B, grads } = this;
    const { V, H, L } = params.shape;
    const N = T * B;
    // dlogits = (softmax - onehot) / N, computed in place over the probabilities.
    const d = this.probs;
    for (let r = 0; r < N; r++) d[r * V + this.targets[r]] -= 1;
    for (let i = 0; i < d.length; i++) d[i] /= N;
    const top = this.layers[L - 1];
    gemm({ transA: true, transB: false, M: V, N: H, K: N, alpha: 1, A: d, lda: V, B: top.h, ldb: H, beta: 0, C: grads.headW, ldc: H });
    grads.headB.fill(0);
    for (let r = 0; r < N; r++) for (let v = 0; v < V; v++) grads.headB[v] += d[r * V + v];
    gemm({ transA: false, transB: false, M: N, N: H, K: V, alpha: 1, A: d, lda: V, B: params.headW, ldb: H, beta: 0, C: top.dhOut, ldc: H });
    for (let k = L - 1; k >= 0; k--) {
      const ws = this.layers[k];
      await backwardLayer(k, params.layers[k], ws, mode, products, this.counts[k]);
      grads.layers[k].bIh.set(ws.db);
      grads.layers[k].bHh.set(ws.db);
      if (k > 0) this.layers[k - 1].dhOut.set(ws.dx!);
    }
    if (grads.embedding) {
      // Backward of the lookup: each token's row of dx adds into its embedding row.
      const dx = this.layers[0].dx!, E = params.layers[0].D, g = grads.embedding;
      g.fill(0);
      for (let r = 0; r < N; r++) {
        const o = this.inputs[r] * E, s = r * E;
        for (let e = 0; e < E; e++) g[o + e] += dx[s + e];
      }
    }
  }
}
