/**
 * MAC accounting from the dz zero counts. Definitions (per layer l, gate g,
 * summed over all training steps; tokens = steps·T·B; D = input width, H = units):
 *   forward          = tokens · H · (D+H)                 (W·[x;h], both GEMMs)
 *   backward-data    = tokens · H · Dout  dense,  nnz_g · Dout  with zero dz skipped
 *                      (Dout = D+H; H for a layer 0 with one-hot input, which needs no dx)
 *   backward-weight  = tokens · H · (D+H) dense,  nnz_g · (D+H) with zero dz skipped
 * where nnz_g counts dz values ≠ 0 after thresholding. The redundant fraction
 * is (dense − performed) / dense over all three GEMMs of all LSTM layers; the
 * head is reported separately (the paper's claim is about the LSTM).
 */
import type { LayerCounts } from './lstm.ts';

export const GATES = ['i', 'f', 'g', 'o'] as const;

export interface MacPair {
  dense: number;
  sparse: number;
}

export interface GateAccount {
  dzTotal: number;
  sparsityBefore: number;
  sparsityAfter: number;
  forward: number;
  backwardData: MacPair;
  backwardWeight: MacPair;
}

export interface LayerAccount {
  layer: number;
  inputWidth: number;
  hidden: number;
  /** Mean θ over BPTT steps (constant in fixed mode). */
  meanTheta: number;
  sparsityBefore: number;
  sparsityAfter: number;
  gates: Record<(typeof GATES)[number], GateAccount>;
  forward: number;
  backwardData: MacPair;
  backwardWeight: MacPair;
}

export interface MacSummary {
  layers: LayerAccount[];
  lstm: { dense: number; performed: number; redundant: number; redundantFraction: number; sparsityBefore: number; sparsityAfter: number };
  head: { forward: number; backwardData: number; backwardWeight: number };
  /** Redundant fraction with the head's (dense) MACs included in the total. */
  redundantFractionWithHead: number;
}

/** `needsDx`: whether the layer's input takes a gradient (every layer but a one-hot layer 0). */
export function accountLayer(layer: number, D: number, H: number, c: LayerCounts, needsDx = layer > 0): LayerAccount {
  const dOut = needsDx ? D + H : H;
  const gates = {} as LayerAccount['gates'];
  let fwd = 0, bdD = 0, bdS = 0, bwD = 0, bwS = 0, zb = 0, za = 0, tot = 0;
  GATES.forEach((name, g) => {
    const total = c.total[g];
    const tokens = total / H;
    const nnz = total - c.zerosAfter[g];
    const acc: GateAccount = {
      dzTotal: total,
      sparsityBefore: ratio(c.zerosBefore[g], total),
      sparsityAfter: ratio(c.zerosAfter[g], total),
      forward: tokens * H * (D + H),
      backwardData: { dense: tokens * H * dOut, sparse: nnz * dOut },
      backwardWeight: { dense: tokens * H * (D + H), sparse: nnz * (D + H) },
    };
    gates[name] = acc;
    fwd += acc.forward;
    bdD += acc.backwardData.dense; bdS += acc.backwardData.sparse;
    bwD += acc.backwardWeight.dense; bwS += acc.backwardWeight.sparse;
    zb += c.zerosBefore[g]; za += c.zerosAfter[g]; tot += total;
  });
  return {
    layer, inputWidth: D, hidden: H,
    meanTheta: c.thetaSteps === 0 ? 0 : c.thetaSum / c.thetaSteps,
    sparsityBefore: ratio(zb, tot), sparsityAfter: ratio(za, tot),
    gates, forward: fwd,
    backwardData: { dense: bdD, sparse: bdS },
    backwardWeight: { dense: bwD, sparse: bwS },
  };
}

export function summarise(layers: LayerAccount[], headTokens: number, V: number, H: number): MacSummary {
  let dense = 0, performed = 0, zb = 0, za = 0, tot = 0;
  for (const l of layers) {
    dense += l.forward + l.backwardData.dense + l.backwardWeight.dense;
    performed += l.forward + l.backwardData.sparse + l.backwardWeight.sparse;
    for (const g of GATES) {
      const a = l.gates[g];
      tot += a.dzTotal;
      zb += a.sparsityBefore * a.dzTotal;
      za += a.sparsityAfter * a.dzTotal;
    }
  }
  const headMacs = headTokens * V * H;
  return {
    layers,
    lstm: { dense, performed, redundant: dense - performed, redundantFraction: ratio(dense - performed, dense), sparsityBefore: ratio(zb, tot), sparsityAfter: ratio(za, tot) },
    head: { forward: headMacs, backwardData: headMacs, backwardWeight: headMacs },
    redundantFractionWithHead: ratio(dense - performed, dense + 3 * headMacs),
  };
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}
