/**
 * An independent, deliberately naive LSTM LM forward/backward for tests: plain
 * nested loops over PyTorch-layout weights (W_ih and W_hh separate, as in the
 * safetensors files), per-step gradient accumulation, no GEMM, no workspaces.
 * dz elements with |dz| < θ are masked exactly as the paper describes.
 */
import type { Tensor } from '../../streams/safetensors.ts';

export interface RefInput {
  V: number; H: number; L: number; T: number; B: number;
  params: Map<string, Tensor>;
  inputs: Int32Array;
  targets: Int32Array;
  h0: Float64Array[];
  c0: Float64Array[];
  theta: number;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

export function referenceGrads(r: RefInput): { loss: number; grads: Map<string, Float64Array>; dz: Float64Array[] } {
  const { V, H, L, T, B, theta } = r;
  const P = (n: string) => r.params.get(n)!.data as Float64Array;
  const grads = new Map<string, Float64Array>();
  for (const [n, t] of r.params) grads.set(n, new Float64Array(t.data.length));
  // Forward, keeping everything per (layer, t, b).
  const xs: number[][][][] = [], hs: number[][][][] = [], cs: number[][][][] = [], gs: number[][][][] = [];
  for (let l = 0; l < L; l++) {
    const D = l === 0 ? V : H;
    const wih = P(`lstm.weight_ih_l${l}`), whh = P(`lstm.weight_hh_l${l}`), bih = P(`lstm.bias_ih_l${l}`), bhh = P(`lstm.bias_hh_l${l}`);
    xs.push([]); hs.push([]); cs.push([]); gs.push([]);
    for (let t = 0; t < T; t++) {
      xs[l].push([]); hs[l].push([]); cs[l].push([]); gs[l].push([]);
      for (let b = 0; b < B; b++) {
        const x = l === 0 ? Array.from({ length: V }, (_, v) => (v === r.inputs[t * B + b] ? 1 : 0)) : hs[l - 1][t][b];
        const hp = t === 0 ? Array.from(r.h0[l].subarray(b * H, b * H + H)) : hs[l][t - 1][b];
        const cp = t === 0 ? Array.from(r.c0[l].subarray(b * H, b * H + H)) : cs[l][t - 1][b];
        const z = new Array(4 * H).fill(0);
        for (let j = 0; j < 4 * H; j++) {
          let s = bih[j] + bhh[j];
          for (let k = 0; k < D; k++) s += wih[j * D + k] * x[k];
          for (let k = 0; k < H; k++) s += whh[j * H + k] * hp[k];
          z[j] = s;
        }
        const a = z.map((v, j) => (j >= 2 * H && j < 3 * H ? Math.tanh(v) : sig(v)));
        const c = cp.map((v, j) => a[H + j] * v + a[j] * a[2 * H + j]);
        const h = c.map((v, j) => a[3 * H + j] * Math.tanh(v));
        xs[l][t].push(x); hs[l][t].push(h); cs[l][t].push(c); gs[l][t].push(a);
      }
    }
  }
  const hw = P('head.weight'), hb = P('head.bias');
  const N = T * B;
  let loss = 0;
  const dhAbove: number[][][] = [];
  for (let t = 0; t < T; t++) {
    dhAbove.push([]);
    for (let b = 0; b < B; b++) {
      const h = hs[L - 1][t][b];
      const logits = Array.from({ length: V }, (_, v) => { let s = hb[v]; for (let k = 0; k < H; k++) s += hw[v * H + k] * h[k]; return s; });
      const m = Math.max(...logits);
      const ex = logits.map((z) => Math.exp(z - m));
      const sum = ex.reduce((p, q) => p + q, 0);
      const y = r.targets[t * B + b];
      loss += -(logits[y] - m - Math.log(sum));
      const dl = ex.map((e, v) => (e / sum - (v === y ? 1 : 0)) / N);
      const dh = new Array(H).fill(0);
      for (let v = 0; v < V; v++) {
        grads.get('head.bias')![v] += dl[v];
        for (let k = 0; k < H; k++) {
          grads.get('head.weight')![v * H + k] += dl[v] * h[k];
          dh[k] += dl[v] * hw[v * H + k];
        }
      }
      dhAbove[t].push(dh);
    }
  }
  const dzOut: Float64Array[] = [];
  for (let l = L - 1; l >= 0; l--) {
    const D = l === 0 ? V : H;
    const wih = P(`lstm.weight_ih_l${l}`), whh = P(`lstm.weight_hh_l${l}`);
    const gwih = grads.get(`lstm.weight_ih_l${l}`)!, gwhh = grads.get(`lstm.weight_hh_l${l}`)!;
    const gbih = grads.get(`lstm.bias_ih_l${l}`)!, gbhh = grads.get(`lstm.bias_hh_l${l}`)!;
    const dzAll = new Float64Array(T * B * 4 * H);
    const dxBelow: number[][][] = Array.from({ length: T }, () => Array.from({ length: B }, () => new Array(D).fill(0)));
    for (let b = 0; b < B; b++) {
      let dhNext = new Array(H).fill(0), dcNext = new Array(H).fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const a = gs[l][t][b], c = cs[l][t][b], x = xs[l][t][b];
        const hp = t === 0 ? Array.from(r.h0[l].subarray(b * H, b * H + H)) : hs[l][t - 1][b];
        const cp = t === 0 ? Array.from(r.c0[l].subarray(b * H, b * H + H)) : cs[l][t - 1][b];
        const dz = new Array(4 * H).fill(0);
        const dcPrev = new Array(H).fill(0);
        for (let j = 0; j < H; j++) {
          const dh = dhAbove[t][b][j] + dhNext[j];
          const tc = Math.tanh(c[j]);
          const dc = dcNext[j] + dh * a[3 * H + j] * (1 - tc * tc);
          dz[j] = dc * a[2 * H + j] * a[j] * (1 - a[j]);
          dz[H + j] = dc * cp[j] * a[H + j] * (1 - a[H + j]);
          dz[2 * H + j] = dc * a[j] * (1 - a[2 * H + j] ** 2);
          dz[3 * H + j] = dh * tc * a[3 * H + j] * (1 - a[3 * H + j]);
          dcPrev[j] = dc * a[H + j];
        }
        for (let j = 0; j < 4 * H; j++) if (Math.abs(dz[j]) < theta) dz[j] = 0;
        dzAll.set(dz, (t * B + b) * 4 * H);
        const dhPrev = new Array(H).fill(0);
        for (let j = 0; j < 4 * H; j++) {
          gbih[j] += dz[j];
          gbhh[j] += dz[j];
          for (let k = 0; k < D; k++) { gwih[j * D + k] += dz[j] * x[k]; dxBelow[t][b][k] += dz[j] * wih[j * D + k]; }
          for (let k = 0; k < H; k++) { gwhh[j * H + k] += dz[j] * hp[k]; dhPrev[k] += dz[j] * whh[j * H + k]; }
        }
        dhNext = dhPrev;
        dcNext = dcPrev;
      }
    }
    dzOut[l] = dzAll;
    if (l > 0) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) dhAbove[t][b] = dxBelow[t][b];
  }
  return { loss: loss / N, grads, dz: dzOut };
}
