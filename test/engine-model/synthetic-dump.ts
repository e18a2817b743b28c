/** A small gradient dump in the layout of issue 2 (the names the exporter reads), from a seeded generator. */
import { writeSafetensors, type Tensor } from '../../streams/safetensors.ts';

export interface SyntheticDump {
  T: number; B: number; H: number; D: number; R: number; K: number;
  thetas: Float64Array;
  dzDense: Float32Array;
  dz: Float32Array;
  wih: Float32Array;
  whh: Float32Array;
  act: Float32Array;
}

export function writeSyntheticDump(file: string, seed: number, thetas = Float64Array.from([0.02, 0.03, 0.02])): SyntheticDump {
  const T = thetas.length, B = 2, H = 4, D = 5, R = 4 * H, K = D + H;
  let state = seed >>> 0;
  const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const f32 = (n: number, s: number) => Float32Array.from({ length: n }, () => rnd() * s);
  const dzDense = f32(T * B * R, 0.1);
  const dz = dzDense.map((v, i) => (Math.abs(v) < thetas[Math.floor(i / (B * R))]! ? 0 : v));
  const wih = f32(R * D, 1), whh = f32(R * H, 0.5), act = f32(T * B * K, 2);
  const t = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'F32', shape, data });
  writeSafetensors(file, {
    'dz_dense_l0': t([T, B, R], dzDense), 'dz_l0': t([T, B, R], dz), 'act_l0': t([T, B, K], act),
    'lstm.weight_ih_l0': t([R, D], wih), 'lstm.weight_hh_l0': t([R, H], whh),
    'theta_l0': { dtype: 'F64', shape: [T], data: thetas },
  }, { theta: '0' });
  return { T, B, H, D, R, K, thetas, dzDense, dz, wih, whh, act };
}
