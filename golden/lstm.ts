/**
 * One LSTM layer over a truncated-BPTT window of T steps and B streams, with
 * preallocated workspaces (nothing is allocated per step or per element).
 *
 * Forward: one input-projection GEMM over all T·B rows, then per step the
 * recurrent GEMM and the pointwise cell. Backward: per step the pointwise
 * gradients, thresholding of dz, and dh_{t-1} = dz_t·W_hh; after the loop the
 * batched backward-weight GEMM (and dx for the layer below).
 */
import { gemm, gemmPacked, packB, type PackedB } from './kernels/gemm.ts';
import { allocVec, type LayerParams, type Precision, type Vec } from './model.ts';
import { thresholdStep, type ThresholdMode } from './threshold.ts';
import type { LayerBackwardProducts } from './backward-products.ts';

export interface LayerCounts {
  /** dz elements seen per gate (i, f, g, o); the same for before and after thresholding. */
  total: number[];
  zerosBefore: number[];
  zerosAfter: number[];
  /** Sum and count of θ over time steps (θ varies in target mode). */
  thetaSum: number;
  thetaSteps: number;
}

export function emptyCounts(): LayerCounts {
  return { total: [0, 0, 0, 0], zerosBefore: [0, 0, 0, 0], zerosAfter: [0, 0, 0, 0], thetaSum: 0, thetaSteps: 0 };
}

export class LayerWorkspace {
  /** [x_t; h_{t-1}] per row, [T·B, D+H]. */
  readonly act: Vec;
  /** Gate activations i, f, g, o after the forward pass, [T·B, 4H]. */
  readonly gates: Vec;
  readonly c: Vec;
  readonly tanhC: Vec;
  /** h_t, [T·B, H]. */
  readonly h: Vec;
  /** Carried state in (h0, c0) and out (hT, cT), [B, H]. */
  readonly h0: Vec;
  readonly c0: Vec;
  /** Gradient arriving at h_t from above (layer or head), [T·B, H]. */
  readonly dhOut: Vec;
  readonly dzDense: Vec;
  readonly dz: Vec;
  readonly dhRec: Vec;
  readonly dcRec: Vec;
  /** Gradient towards the layer below, [T·B, D]; absent for layer 0. */
  readonly dx: Vec | null;
  readonly dW: Vec;
  readonly db: Vec;
  readonly scratch: Float64Array;
  /** θ used at each BPTT step of the last backward pass. */
  readonly thetas: Float64Array;
  readonly rows: number;
  /** W_hhᵀ packed once per forward pass for the T recurrent products. */
  private whhT: PackedB<Vec> | null = null;

  constructor(readonly precision: Precision, readonly T: number, readonly B: number, readonly D: number, readonly H: number, needDx: boolean) {
    const n = T * B;
    this.rows = n;
    this.act = allocVec(precision, n * (D + H));
    this.gates = allocVec(precision, n * 4 * H);
    this.c = allocVec(precision, n * H);
    this.tanhC = allocVec(precision, n * H);
    this.h = allocVec(precision, n * H);
    this.h0 = allocVec(precision, B * H);
    this.c0 = allocVec(precision, B * H);
    this.dhOut = allocVec(precision, n * H);
    this.dzDense = allocVec(precision, n * 4 * H);
    this.dz = allocVec(precision, n * 4 * H);
    this.dhRec = allocVec(precision, B * H);
    this.dcRec = allocVec(precision, B * H);
    this.dx = needDx ? allocVec(precision, n * D) : null;
    this.dW = allocVec(precision, 4 * H * (D + H));
    this.db = allocVec(precision, 4 * H);
    this.scratch = new Float64Array(B * 4 * H);
    this.thetas = new Float64Array(T);
  }

  /** Sets x_t for all rows from an [T·B, D] buffer (the layer below's h). */
  setInputs(x: Vec): void {
    const { D, H, rows } = this;
    for (let r = 0; r < rows; r++) this.act.set(x.subarray(r * D, r * D + D), r * (D + H));
  }

  /** Sets one-hot x_t for all rows from token ids laid out [T, B]. */
  setOneHot(ids: Int32Array): void {
    const { D, H, rows } = this;
    for (let r = 0; r < rows; r++) {
      const base = r * (D + H);
      this.act.fill(0, base, base + D);
      this.act[base + ids[r]] = 1;
    }
  }

  /** Sets x_t for all rows to the embedding rows of the token ids ([V, D] table). */
  setEmbedded(ids: Int32Array, table: Vec): void {
    const { D, H, rows } = this;
    for (let r = 0; r < rows; r++) this.act.set(table.subarray(ids[r] * D, ids[r] * D + D), r * (D + H));
  }

  /** Moves the final state to the initial state of the next window (state carried across batches). */
  carryState(): void {
    const { T, B, H } = this;
    const last = (T - 1) * B * H;
    this.h0.set(this.h.subarray(last, last + B * H));
    this.c0.set(this.c.subarray(last, last + B * H));
  }

  resetState(): void {
    this.h0.fill(0);
    this.c0.fill(0);
  }

  packRecurrent(W: Vec): PackedB<Vec> {
    const { D, H } = this;
    const operand = { transB: true, N: 4 * H, K: H, B: W, bOffset: D, ldb: D + H };
    if (this.whhT) this.whhT.repack(operand);
    else this.whhT = packB(operand);
    return this.whhT;
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function forwardLayer(p: LayerParams, ws: LayerWorkspace): void {
  const { T, B, D, H, act, gates, c, tanhC, h, h0, c0 } = ws;
  const G = 4 * H, DH = D + H;
  // Bias rows first, then accumulate the input projection of all T steps in one GEMM.
  for (let r = 0; r < T * B; r++) {
    const o = r * G;
    for (let j = 0; j < G; j++) gates[o + j] = p.bIh[j] + p.bHh[j];
  }
  gemm({ transA: false, transB: true, M: T * B, N: G, K: D, alpha: 1, A: act, lda: DH, B: p.W, ldb: DH, beta: 1, C: gates, ldc: G });
  const whhT = ws.packRecurrent(p.W);
  for (let t = 0; t < T; t++) {
    const row0 = t * B;
    for (let b = 0; b < B; b++) {
      const src = t === 0 ? h0 : h;
      const so = t === 0 ? b * H : (row0 - B + b) * H;
      act.set(src.subarray(so, so + H), (row0 + b) * DH + D);
    }
    gemmPacked({ transA: false, M: B, alpha: 1, A: act, aOffset: row0 * DH + D, lda: DH, beta: 1, C: gates, cOffset: row0 * G, ldc: G }, whhT);
    for (let b = 0; b < B; b++) {
      const r = row0 + b;
      const go = r * G, so = r * H;
      const prevC = t === 0 ? c0 : c;
      const po = t === 0 ? b * H : (r - B) * H;
      for (let j = 0; j < H; j++) {
        const gi = sigmoid(gates[go + j]);
        const gf = sigmoid(gates[go + H + j]);
        const gg = Math.tanh(gates[go + 2 * H + j]);
        const gO = sigmoid(gates[go + 3 * H + j]);
        gates[go + j] = gi;
        gates[go + H + j] = gf;
        gates[go + 2 * H + j] = gg;
        gates[go + 3 * H + j] = gO;
        const cv = gf * prevC[po + j] + gi * gg;
        c[so + j] = cv;
        const tc = Math.tanh(c[so + j]);
        tanhC[so + j] = tc;
        h[so + j] = gO * tc;
      }
    }
  }
}

/**
 * Backward through the layer from ws.dhOut; leaves [dW_ih|dW_hh] in ws.dW, the
 * bias gradient in ws.db, and dx (if any) in ws.dx. Gradients into h0/c0 are
 * dropped (truncated BPTT).
 */
export async function backwardLayer(layer: number, p: LayerParams, ws: LayerWorkspace, mode: ThresholdMode, products: LayerBackwardProducts, counts: LayerCounts): Promise<void> {
  const { T, B, D, H, gates, c, tanhC, c0, dhOut, dzDense, dz, dhRec, dcRec, scratch } = ws;
  const G = 4 * H;
  dhRec.fill(0);
  dcRec.fill(0);
  await products.beginLayer?.({ layer, T, B, D, H, W: p.W });
  for (let t = T - 1; t >= 0; t--) {
    const row0 = t * B;
    for (let b = 0; b < B; b++) {
      const r = row0 + b;
      const go = r * G, so = r * H, ro = b * H;
      const prevC = t === 0 ? c0 : c;
      const po = t === 0 ? b * H : (r - B) * H;
      for (let j = 0; j < H; j++) {
        const gi = gates[go + j], gf = gates[go + H + j], gg = gates[go + 2 * H + j], gO = gates[go + 3 * H + j];
        const tc = tanhC[so + j];
        const dh = dhOut[so + j] + dhRec[ro + j];
        const dc = dcRec[ro + j] + dh * gO * (1 - tc * tc);
        dzDense[go + j] = dc * gg * gi * (1 - gi);
        dzDense[go + H + j] = dc * prevC[po + j] * gf * (1 - gf);
        dzDense[go + 2 * H + j] = dc * gi * (1 - gg * gg);
        dzDense[go + 3 * H + j] = dh * tc * gO * (1 - gO);
        // The cell path is not thresholded (the paper sparsifies dz only).
        dcRec[ro + j] = dc * gf;
      }
    }
    const theta = thresholdStep(mode, dzDense, dz, row0 * G, B * G, scratch);
    ws.thetas[t] = theta;
    counts.thetaSum += theta;
    counts.thetaSteps++;
    countZeros(dzDense, dz, row0 * G, B, H, counts);
    await products.hiddenGrad({ layer, t, B, D, H, dz, W: p.W, dhPrev: dhRec });
  }
  await products.inputWeightGrads({ layer, T, B, D, H, dz, W: p.W, act: ws.act, dW: ws.dW, dx: ws.dx });
  const db = ws.db;
  db.fill(0);
  for (let r = 0; r < T * B; r++) {
    const o = r * G;
    for (let j = 0; j < G; j++) db[j] += dz[o + j];
  }
}

function countZeros(before: Vec, after: Vec, off: number, B: number, H: number, counts: LayerCounts): void {
  for (let b = 0; b < B; b++) {
    const o = off + b * 4 * H;
    for (let g = 0; g < 4; g++) {
      let zb = 0, za = 0;
      const s = o + g * H;
      for (let j = 0; j < H; j++) {
        if (before[s + j] === 0) zb++;
        if (after[s + j] === 0) za++;
      }
      counts.zerosBefore[g] += zb;
      counts.zerosAfter[g] += za;
      counts.total[g] += H;
    }
  }
}
