/**
 * The matrix products of an LSTM layer's backward pass that consume the
 * thresholded gate gradients dz. They are the work the sparse engine does in
 * hardware, so they sit behind an interface: the float implementation below is
 * the default, and a co-simulated engine can replace it (`train --backward rtl`)
 * without the trainer knowing. Implementations may be asynchronous.
 *
 * Layouts (row-major): dz [T·B, 4H] (time-major, gate order i, f, g, o),
 * W = [W_ih | W_hh] [4H, D+H], act = [x_t; h_{t-1}] [T·B, D+H].
 */
import { gemm, gemmPacked, packB, type PackedB } from './kernels/gemm.ts';
import type { Vec } from './model.ts';

export interface HiddenGradArgs {
  layer: number;
  t: number;
  B: number;
  D: number;
  H: number;
  /** Thresholded dz of all steps; step t is rows [t·B, t·B+B). */
  dz: Vec;
  W: Vec;
  /** Output [B, H]: dh_{t-1} = dz_t · W_hh (overwritten). */
  dhPrev: Vec;
}

export interface InputWeightGradArgs {
  layer: number;
  T: number;
  B: number;
  D: number;
  H: number;
  dz: Vec;
  W: Vec;
  act: Vec;
  /** Output [4H, D+H]: Σ_t dz_tᵀ · act_t, i.e. [dW_ih | dW_hh] (overwritten). */
  dW: Vec;
  /** Output [T·B, D]: dz · W_ih, the gradient sent to the layer below; null for layer 0 (one-hot input). */
  dx: Vec | null;
}

export interface BeginLayerArgs {
  layer: number;
  T: number;
  B: number;
  D: number;
  H: number;
  W: Vec;
}

export interface LayerBackwardProducts {
  /** Called once per layer and step before its time loop (W is fixed until inputWeightGrads): set-up such as packing W or loading it into the engine. */
  beginLayer?(a: BeginLayerArgs): void | Promise<void>;
  /** Backward-data for the recurrence; called for t = T-1 … 0, each before dz_{t-1} is computed. */
  hiddenGrad(a: HiddenGradArgs): void | Promise<void>;
  /** Backward-weight (and backward-data towards the layer below) for all T steps at once, after the time loop. */
  inputWeightGrads(a: InputWeightGradArgs): void | Promise<void>;
}

/** Backward products that run on the engine (its bit-exact model or its RTL), with what they counted. */
export interface OffloadedBackwardProducts extends LayerBackwardProducts {
  readonly stats: { calls: number; cycles: number; macsIssued: number; macsSkipped: number };
}

/**
 * Makes engine-backed products for `train --backward fixed|rtl`. The engine and
 * its simulator live downstream of golden/, so golden/ never imports them: the
 * command table (cli/commands.ts) hands this factory in.
 */
export type EngineBackwardFactory = (kind: 'fixed' | 'rtl', preset: string, opts: { rtl?: string; memLatency?: number }) => Promise<OffloadedBackwardProducts>;

/**
 * Dense float products through the project's GEMM (zeros in dz are multiplied
 * like any value). W_hh is packed once per layer and step for the T recurrent
 * products; the packs are kept per layer and repacked, never reallocated.
 */
export class FloatBackwardProducts implements LayerBackwardProducts {
  private readonly whh = new Map<number, PackedB<Vec>>();

  beginLayer({ layer, D, H, W }: BeginLayerArgs): void {
    const operand = { transB: false, N: H, K: 4 * H, B: W, bOffset: D, ldb: D + H };
    const pack = this.whh.get(layer);
    if (pack && pack.N === H && pack.K === 4 * H && pack.precision === (W instanceof Float64Array ? 'float64' : 'float32')) pack.repack(operand);
    else {
      pack?.free();
      this.whh.set(layer, packB(operand));
    }
  }

  hiddenGrad({ layer, t, B, D, H, dz, W, dhPrev }: HiddenGradArgs): void {
    const pack = this.whh.get(layer);
    if (pack) {
      gemmPacked({ transA: false, M: B, alpha: 1, A: dz, aOffset: t * B * 4 * H, lda: 4 * H, beta: 0, C: dhPrev, ldc: H }, pack);
      return;
    }
    gemm({
      transA: false, transB: false, M: B, N: H, K: 4 * H, alpha: 1,
      A: dz, aOffset: t * B * 4 * H, lda: 4 * H,
      B: W, bOffset: D, ldb: D + H,
      beta: 0, C: dhPrev, ldc: H,
    });
  }

  inputWeightGrads({ T, B, D, H, dz, W, act, dW, dx }: InputWeightGradArgs): void {
    gemm({
      transA: true, transB: false, M: 4 * H, N: D + H, K: T * B, alpha: 1,
      A: dz, lda: 4 * H, B: act, ldb: D + H, beta: 0, C: dW, ldc: D + H,
    });
    if (dx) {
      gemm({
        transA: false, transB: false, M: T * B, N: D, K: 4 * H, alpha: 1,
        A: dz, lda: 4 * H, B: W, ldb: D + H, beta: 0, C: dx, ldc: D,
      });
    }
  }
}
