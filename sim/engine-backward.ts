/**
 * The LSTM layer's backward products on the engine, for training with the
 * hardware in the loop (`train --backward rtl`): the trainer's pluggable
 * LayerBackwardProducts (golden/backward-products.ts) implemented by the
 * sparse engine, either its bit-exact model ('fixed') or the Verilated RTL
 * ('rtl'). Both quantize identically, so their loss curves are equal exactly
 * when the RTL is bit-exact; against the float products they differ by the
 * quantization error only.
 *
 * Per training step and layer, in bulk (one simulation each):
 *  - hiddenGrad, per time step t: dh_{t−1} = dz_t · W_hh, backward-data with S = B vectors;
 *  - inputWeightGrads: [dW_ih | dW_hh] = Σ dzᵀ act, backward-weight over S = T·B vectors,
 *    and dx = dz · W_ih, backward-data, when a layer below needs it.
 * dz arrives already thresholded by the trainer, so θ_q = 0 (it zeroes nothing
 * more); the engine still skips every zero row. Each tensor gets the
 * power-of-two scale of streams/quantize.ts, chosen per call.
 * In 'rtl' mode every product is also checked against the model, so a wrong
 * RTL stops training at the first wrong step instead of bending the curve.
 */
import { UserError } from '../util/errors.ts';
import type { BeginLayerArgs, HiddenGradArgs, InputWeightGradArgs, LayerBackwardProducts } from '../golden/backward-products.ts';
import { type EngineConfig, getPreset } from '../engine/config.ts';
import { type EngineMode, type EngineProblem } from '../engine/jobs.ts';
import { runEngine } from '../golden/engine-model/model.ts';
import type { Vec } from '../golden/model.ts';
import { quantize } from '../streams/quantize.ts';
import { describeMismatch } from './engine/compare.ts';
import { measureLayer } from './engine/measure.ts';
import { describeViolation } from './harness/rules.ts';
import { type CosimTestbenches, engineRtl, prepareEngineTestbenches } from './cosim.ts';
import { runSimJob } from './harness/run.ts';

export type EngineBackwardKind = 'fixed' | 'rtl';

export interface EngineBackwardStats {
  /** Engine runs (simulations in 'rtl' mode). */
  calls: number;
  /** Engine busy cycles summed over every call ('rtl' only). */
  cycles: number;
  macsIssued: number;
  macsSkipped: number;
}

/** Columns [c0, c0 + cols) of a row-major [rows, ld] matrix. */
function columns(m: Vec, rows: number, ld: number, c0: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = m[r * ld + c0 + c]!;
  return out;
}

export class EngineBackwardProducts implements LayerBackwardProducts {
  readonly stats: EngineBackwardStats = { calls: 0, cycles: 0, macsIssued: 0, macsSkipped: 0 };

  private constructor(
    readonly kind: EngineBackwardKind,
    readonly cfg: EngineConfig,
    private readonly benches?: CosimTestbenches,
    private readonly memLatency = 20,
  ) {}

  static async create(kind: EngineBackwardKind, preset: string, opts: { rtl?: string; memLatency?: number } = {}): Promise<EngineBackwardProducts> {
    const cfg = getPreset(preset);
    if (kind === 'fixed') return new EngineBackwardProducts(kind, cfg);
    const benches = await prepareEngineTestbenches(engineRtl(preset, opts.rtl, false));
    return new EngineBackwardProducts(kind, cfg, benches, opts.memLatency ?? 20);
  }

  beginLayer({ H }: BeginLayerArgs): void {
    if (4 * H > this.cfg.rMax) {
      throw new UserError(`--hidden ${H} gives R = 4H = ${4 * H} gradient rows but the engine takes at most rMax = ${this.cfg.rMax}; use a smaller --hidden or a larger engine preset`);
    }
  }

  /** y [S, K] of dz-rows × X (data) or G [R, K] (weight), as floats. */
  private async product(mode: EngineMode, g: Float64Array | Vec, S: number, R: number, x: Float64Array, K: number): Promise<Float64Array> {
    const qg = quantize(g, [S, R], this.cfg.gBits);
    const bits = mode === 'data' ? this.cfg.wBits : this.cfg.aBits;
    const qx = quantize(x, mode === 'data' ? [R, K] : [S, K], bits);
    const p: EngineProblem = { R, K, S, theta: 0, g: qg.q };
    if (mode === 'data') p.W = qx.q;
    else p.a = qx.q;
    let codes: BigInt64Array;
    if (this.kind === 'fixed') {
      const r = runEngine(this.cfg, p, mode);
      codes = (mode === 'data' ? r.y : r.G)!;
    } else {
      const tb = this.benches!.sparse;
      const m = await measureLayer(this.cfg, p, mode, (job) => runSimJob(tb, job), { memLatency: this.memLatency });
      if (!m.comparison.pass) {
        const first = m.comparison.mismatches[0];
        throw new Error(`the RTL differs from the engine model in a ${mode} product (${m.comparison.mismatchCount} values${first ? `; ${describeMismatch(first)}` : ''}${m.comparison.formatErrors[0] ? `; ${m.comparison.formatErrors[0]}` : ''})`);
      }
      if (m.violationCount > 0) throw new Error(`the RTL broke a bus rule in a ${mode} product (${m.violationCount} violations; ${describeViolation(m.violations[0]!)})`);
      codes = (mode === 'data' ? m.decoded.y : m.decoded.G)!;
      this.stats.cycles += m.cyclesBusy;
      this.stats.macsIssued += m.macsIssued;
      this.stats.macsSkipped += m.macsSkipped;
    }
    this.stats.calls++;
    const scale = 2 ** -(qg.exp + qx.exp);
    return Float64Array.from(codes, (v) => Number(v) * scale);
  }

  async hiddenGrad({ t, B, D, H, dz, W, dhPrev }: HiddenGradArgs): Promise<void> {
    const R = 4 * H;
    const g = dz.subarray(t * B * R, (t + 1) * B * R);
    const y = await this.product('data', g, B, R, columns(W, R, D + H, D, H), H);
    dhPrev.set(y);
  }

  async inputWeightGrads({ T, B, D, H, dz, W, act, dW, dx }: InputWeightGradArgs): Promise<void> {
    const R = 4 * H;
    const S = T * B;
    dW.set(await this.product('weight', dz.subarray(0, S * R), S, R, Float64Array.from(act.subarray(0, S * (D + H))), D + H));
    if (dx) dx.set(await this.product('data', dz.subarray(0, S * R), S, R, columns(W, R, D + H, 0, D), D));
  }
}
