/**
 * Parameters of the character LSTM language model, stored the way the kernels
 * want them and converted to PyTorch's nn.LSTM names/layout at the file
 * boundary (see streams/README.md).
 *
 * Each layer keeps [W_ih | W_hh] side by side as one row-major [4H, D+H]
 * matrix: the forward pass multiplies [x_t; h_{t-1}] by it, the backward-weight
 * GEMM produces its gradient in one product over all T steps, and the sparse
 * engine sees exactly the matrix the paper's backward pass uses. Gate order of
 * the 4H rows is PyTorch's: i, f, g, o.
 */
import type { Rng } from './rng.ts';
import type { Tensor, SafetensorsFile } from '../streams/safetensors.ts';
import { requireTensor, floatData } from '../streams/safetensors.ts';

export type Precision = 'float32' | 'float64';
export type Vec = Float32Array | Float64Array;

export interface ModelShape {
  /** Vocabulary size: the input alphabet of layer 0 and the output width of the head. */
  V: number;
  H: number;
  L: number;
  /**
   * Embedding width: when set (> 0), layer 0 reads a learned V×E embedding
   * (nn.Embedding as `embedding`) instead of a one-hot vector, so its input
   * width is E, not V.
   */
  E?: number;
}

/** Input width of layer 0: the embedding width, or V for the one-hot input. */
export function inputWidth0(shape: ModelShape): number {
  return shape.E ? shape.E : shape.V;
}

export interface LayerParams {
  /** Input width: V for layer 0, H above. */
  D: number;
  /** [4H, D+H] = [W_ih | W_hh]. */
  W: Vec;
  bIh: Vec;
  bHh: Vec;
}

export interface Params {
  shape: ModelShape;
  precision: Precision;
  layers: LayerParams[];
  /** [V, H] */
  headW: Vec;
  headB: Vec;
  /** [V, E] when the model has an embedding input, else null. */
  embedding: Vec | null;
}

export function allocVec(precision: Precision, n: number): Vec {
  return precision === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function zeroParams(shape: ModelShape, precision: Precision): Params {
  const { V, H, L } = shape;
  const layers: LayerParams[] = [];
  for (let l = 0; l < L; l++) {
    const D = l === 0 ? inputWidth0(shape) : H;
    layers.push({ D, W: allocVec(precision, 4 * H * (D + H)), bIh: allocVec(precision, 4 * H), bHh: allocVec(precision, 4 * H) });
  }
  const embedding = shape.E ? allocVec(precision, V * shape.E) : null;
  return { shape, precision, layers, headW: allocVec(precision, V * H), headB: allocVec(precision, V), embedding };
}

/**
 * PyTorch's default initialisation: U(-1/√H, 1/√H) for every LSTM and head
 * parameter, N(0, 1) for an embedding (nn.Embedding's), drawn last so a model
 * without one draws exactly the numbers it always drew.
 */
export function initParams(p: Params, rng: Rng): void {
  const k = 1 / Math.sqrt(p.shape.H);
  for (const v of flatParams(p)) {
    if (v.data === p.embedding) continue;
    for (let i = 0; i < v.data.length; i++) v.data[i] = rng.uniform(-k, k);
  }
  if (p.embedding) {
    // Box–Muller: two uniforms per pair of normals; 1 − u keeps the logarithm finite.
    const e = p.embedding;
    for (let i = 0; i < e.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - rng.next())), a = 2 * Math.PI * rng.next();
      e[i] = r * Math.cos(a);
      if (i + 1 < e.length) e[i + 1] = r * Math.sin(a);
    }
  }
}

/** Every parameter array, in a fixed order (used for clipping, updates and checks). */
export function flatParams(p: Params): { name: string; data: Vec }[] {
  const out: { name: string; data: Vec }[] = [];
  p.layers.forEach((l, k) => {
    out.push({ name: `lstm.W_l${k}`, data: l.W }, { name: `lstm.bias_ih_l${k}`, data: l.bIh }, { name: `lstm.bias_hh_l${k}`, data: l.bHh });
  });
  out.push({ name: 'head.weight', data: p.headW }, { name: 'head.bias', data: p.headB });
  if (p.embedding) out.push({ name: 'embedding.weight', data: p.embedding });
  return out;
}

export function parameterCount(shape: ModelShape): number {
  const { V, H, L } = shape;
  let n = V * H + V + (shape.E ? V * shape.E : 0);
  for (let l = 0; l < L; l++) n += 4 * H * ((l === 0 ? inputWidth0(shape) : H) + H) + 8 * H;
  return n;
}

/** Copies columns [c0, c0+w) of a row-major [rows, ld] matrix. */
function columns(src: Vec, rows: number, ld: number, c0: number, w: number, precision: Precision): Vec {
  const out = allocVec(precision, rows * w);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * ld + c0, r * ld + c0 + w), r * w);
  return out;
}

function tensor(data: Vec, shape: number[]): Tensor {
  return { dtype: data instanceof Float64Array ? 'F64' : 'F32', shape, data };
}

/** The parameters under PyTorch's names (nn.LSTM as `lstm`, nn.Linear as `head`), each a copy. */
export function paramTensors(p: Params, prefix = ''): Map<string, Tensor> {
  const { H, V } = p.shape;
  const m = new Map<string, Tensor>();
  p.layers.forEach((l, k) => {
    m.set(`${prefix}lstm.weight_ih_l${k}`, tensor(columns(l.W, 4 * H, l.D + H, 0, l.D, p.precision), [4 * H, l.D]));
    m.set(`${prefix}lstm.weight_hh_l${k}`, tensor(columns(l.W, 4 * H, l.D + H, l.D, H, p.precision), [4 * H, H]));
    m.set(`${prefix}lstm.bias_ih_l${k}`, tensor(l.bIh.slice(), [4 * H]));
    m.set(`${prefix}lstm.bias_hh_l${k}`, tensor(l.bHh.slice(), [4 * H]));
  });
  m.set(`${prefix}head.weight`, tensor(p.headW.slice(), [V, H]));
  m.set(`${prefix}head.bias`, tensor(p.headB.slice(), [V]));
  if (p.embedding) m.set(`${prefix}embedding.weight`, tensor(p.embedding.slice(), [V, p.shape.E!]));
  return m;
}

/** Fills p from a safetensors file with PyTorch names; shape mismatches are UserErrors naming the tensor. */
export function loadParams(p: Params, f: SafetensorsFile, file: string): void {
  const { H, V } = p.shape;
  const like = p.precision === 'float64' ? Float64Array : Float32Array;
  const get = (name: string, shape: number[]) => floatData(requireTensor(f, file, name, shape, ['F32', 'F64']), like as never) as Vec;
  p.layers.forEach((l, k) => {
    const wih = get(`lstm.weight_ih_l${k}`, [4 * H, l.D]);
    const whh = get(`lstm.weight_hh_l${k}`, [4 * H, H]);
    for (let r = 0; r < 4 * H; r++) {
      l.W.set(wih.subarray(r * l.D, (r + 1) * l.D), r * (l.D + H));
      l.W.set(whh.subarray(r * H, (r + 1) * H), r * (l.D + H) + l.D);
    }
    l.bIh.set(get(`lstm.bias_ih_l${k}`, [4 * H]));
    l.bHh.set(get(`lstm.bias_hh_l${k}`, [4 * H]));
  });
  p.headW.set(get('head.weight', [V, H]));
  p.headB.set(get('head.bias', [V]));
  if (p.embedding) p.embedding.set(get('embedding.weight', [V, p.shape.E!]));
}
