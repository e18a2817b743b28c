/**
 * One LSTM layer of a gradient dump → the engine's integer tensors, and the
 * engine's integer results → float, checked against the float golden.
 * Layouts (streams/QUANTIZATION.md): q_g [S = T·B, R = 4H] from dz_dense_l{k},
 * q_W [R, K = D + H] = [weight_ih | weight_hh], q_a [S, K] from act_l{k}.
 */
import { UserError } from '../util/errors.ts';
import type { EngineProblem } from '../engine/jobs.ts';
import { readFileSync } from 'node:fs';
import { decodeSafetensors, floatData, requireTensor, type SafetensorsFile } from './safetensors.ts';
import {
  concatColumns,
  dequantize,
  type ErrorStats,
  floatBackwardData,
  floatBackwardWeight,
  type FloatArray,
  quantize,
  type QuantizedTensor,
  quantizeTheta,
  relativeError,
} from './quantize.ts';

/** The float tensors of one layer that the engine needs, with their sizes. */
export interface LayerFloats {
  layer: number;
  T: number;
  B: number;
  H: number;
  D: number;
  /** θ of every BPTT time step (length T); all equal for a fixed threshold. */
  theta: Float64Array;
  /** dz before thresholding [T, B, 4H]: what the engine's threshold unit sees. */
  dzDense: FloatArray;
  /** dz after the trainer's thresholding [T, B, 4H]: the float reference for g'. */
  dz: FloatArray;
  weightIh: FloatArray;
  weightHh: FloatArray;
  /** [x_t; h_{t−1}] [T, B, D + H]. */
  act: FloatArray;
  /** The trainer's dW_ih, dW_hh (raw, before clipping), when the dump holds them. */
  gradWeightIh?: FloatArray;
  gradWeightHh?: FloatArray;
}

export interface Widths {
  gBits: number;
  wBits: number;
  aBits: number;
}

export interface QuantizedLayer {
  layer: number;
  T: number;
  B: number;
  R: number;
  K: number;
  S: number;
  g: QuantizedTensor;
  W: QuantizedTensor;
  a: QuantizedTensor;
  /** θ and θ_q of every time step (length T). */
  theta: Float64Array;
  thetaQ: number[];
  /** Fractional bits of y (= g.exp + W.exp) and of G (= g.exp + a.exp). */
  yExp: number;
  GExp: number;
  /** Codes moved by threshold-consistent rounding (see alignWithThreshold). */
  boundaryAdjusted: number;
  /** Elements where the engine's threshold (on codes) and the trainer's (on floats) still disagree about zero (0 unless θ_q saturates). */
  thresholdDisagreements: number;
}

export interface ForcedExponents {
  g?: number;
  W?: number;
  a?: number;
}

function firstMetadata(f: SafetensorsFile, keys: readonly string[]): string | undefined {
  for (const k of keys) if (f.metadata[k] !== undefined) return f.metadata[k];
  return undefined;
}

function sizeFromMeta(f: SafetensorsFile, file: string, keys: readonly string[], fallback: number | undefined): number {
  const raw = firstMetadata(f, keys);
  const v = raw !== undefined ? Number(raw) : fallback;
  if (v === undefined || !Number.isInteger(v) || v < 1) throw new UserError(`${file}: cannot tell ${keys[0]} from the dump; is this a file from 'sparsegrad train --dump-streams'?`);
  return v;
}

/** Reads layer `layer` of a gradient dump (layout of issue 2 / streams/gradient-dump.ts). */
export function readDumpLayer(path: string, layer = 0): LayerFloats {
  let bytes: Uint8Array;
  try {
    // A plain Uint8Array copy: Buffer.slice shares memory, and decodeSafetensors slices
    // its input expecting copies (readSafetensors passes the Buffer straight through).
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UserError(`${path}: cannot read gradient dump (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
  }
  return layerFromDump(decodeSafetensors(bytes, path), path, layer);
}

export function layerFromDump(f: SafetensorsFile, file: string, layer = 0): LayerFloats {
  const dzT = f.tensors.get(`dz_dense_l${layer}`);
  if (!dzT) {
    const layers = [...f.tensors.keys()].filter((n) => n.startsWith('dz_dense_l')).map((n) => n.slice('dz_dense_l'.length));
    throw new UserError(`${file}: no tensor 'dz_dense_l${layer}'${layers.length ? ` (the dump has layers ${layers.join(', ')})` : ''}; pick an existing layer or dump with 'sparsegrad train --dump-streams'`);
  }
  if (dzT.shape.length !== 3 || dzT.shape[2]! % 4 !== 0) throw new UserError(`${file}: dz_dense_l${layer} has shape [${dzT.shape.join(', ')}], expected [T, B, 4H]`);
  const [T, B, R] = dzT.shape as [number, number, number];
  const H = R / 4;
  const wih = f.tensors.get(`lstm.weight_ih_l${layer}`);
  const D = sizeFromMeta(f, file, [`input_size_l${layer}`], wih?.shape[1]);
  const F = ['F32', 'F64'] as const;
  const get = (name: string, shape: number[]) => floatData(requireTensor(f, file, name, shape, F), Float64Array);
  // θ per time step (tensor theta_l{k}, target-sparsity mode varies it); older dumps: metadata 'theta'.
  let theta: Float64Array;
  if (f.tensors.has(`theta_l${layer}`)) theta = get(`theta_l${layer}`, [T]);
  else theta = new Float64Array(T).fill(Number(firstMetadata(f, ['theta']) ?? NaN));
  const badTheta = theta.findIndex((v) => !(v >= 0) || !Number.isFinite(v));
  if (badTheta >= 0) throw new UserError(`${file}: the dump records no valid θ for time step ${badTheta} (tensor theta_l${layer} or metadata 'theta'); re-dump with 'sparsegrad train --dump-streams'`);
  const opt = (name: string, shape: number[]) => (f.tensors.has(name) ? get(name, shape) : undefined);
  checkDumpMetadata(f, file, layer, { T, B, H, D });
  return {
    layer, T, B, H, D, theta,
    dzDense: get(`dz_dense_l${layer}`, [T, B, R]),
    dz: get(`dz_l${layer}`, [T, B, R]),
    weightIh: get(`lstm.weight_ih_l${layer}`, [R, D]),
    weightHh: get(`lstm.weight_hh_l${layer}`, [R, H]),
    act: get(`act_l${layer}`, [T, B, D + H]),
    gradWeightIh: opt(`grad.lstm.weight_ih_l${layer}`, [R, D]),
    gradWeightHh: opt(`grad.lstm.weight_hh_l${layer}`, [R, H]),
  };
}

/**
 * A dump written by `train --dump-streams` states its sizes in its metadata
 * (streams/README.md); a file whose metadata and tensors disagree was edited
 * or mixed from two dumps, and which of them to believe cannot be told.
 */
function checkDumpMetadata(f: SafetensorsFile, file: string, layer: number, sizes: { T: number; B: number; H: number; D: number }): void {
  const md = f.metadata;
  if (md.format !== 'sparsegrad-gradient-dump-1') return;
  const disagree = (what: string, stated: string, actual: number | string) =>
    new UserError(`${file}: gradient dump metadata says ${what} = ${stated} but the tensors say ${actual}; the file was edited or mixed from two dumps: re-dump with 'sparsegrad train --dump-streams'`);
  const expect: [string, number][] = [['T', sizes.T], ['B', sizes.B], ['H', sizes.H]];
  // Layer 0 reads one-hot V-wide input, or E-wide embeddings in a word model's dump (metadata E).
  if (layer === 0) expect.push(md.E !== undefined ? ['E', sizes.D] : ['V', sizes.D]);
  for (const [k, actual] of expect) {
    if (md[k] !== undefined && Number(md[k]) !== actual) throw disagree(k, md[k]!, actual);
  }
  if (md.L !== undefined && !(Number.isInteger(Number(md.L)) && layer < Number(md.L))) throw disagree('L', md.L, `a layer ${layer}`);
  const dtype = f.tensors.get(`dz_dense_l${layer}`)!.dtype;
  const stated = md.precision === 'float64' ? 'F64' : md.precision === 'float32' ? 'F32' : undefined;
  if (md.precision !== undefined && stated !== dtype) throw disagree('precision', md.precision, dtype);
}

export function quantizeLayer(l: LayerFloats, w: Widths, forced: ForcedExponents = {}): QuantizedLayer {
  const R = 4 * l.H;
  const K = l.D + l.H;
  const S = l.T * l.B;
  const g = quantize(l.dzDense, [S, R], w.gBits, forced.g);
  const W = quantize(concatColumns(l.weightIh, l.D, l.weightHh, l.H, R), [R, K], w.wBits, forced.W);
  const a = quantize(l.act, [S, K], w.aBits, forced.a);
  const thetaQ = [...l.theta].map((th) => quantizeTheta(th, g.exp, w.gBits));
  const boundaryAdjusted = alignWithThreshold(g, l.dzDense, l.theta, thetaQ, l.B * R);
  let thresholdDisagreements = 0;
  for (let i = 0; i < g.q.length; i++) {
    const t = Math.floor(i / (l.B * R));
    const engineZero = Math.abs(g.q[i]!) < thetaQ[t]! || g.q[i] === 0;
    if (engineZero !== (l.dz[i] === 0)) thresholdDisagreements++;
  }
  return {
    layer: l.layer, T: l.T, B: l.B, R, K, S, g, W, a, theta: l.theta, thetaQ,
    yExp: g.exp + W.exp, GExp: g.exp + a.exp, boundaryAdjusted, thresholdDisagreements,
  };
}

/**
 * Threshold-consistent rounding. A value within half an LSB of θ can round to the other
 * side of θ_q (θ·2^e = 3221.2, θ_q = 3222, x·2^e = 3221.3 → 3221: kept by the trainer,
 * zeroed by the engine). Such codes are moved to the nearest code on the float's side
 * (±θ_q or ±(θ_q − 1)), an error below one LSB, so the engine zeroes exactly what the
 * trainer zeroed. Returns how many codes moved.
 */
function alignWithThreshold(g: QuantizedTensor, x: FloatArray, theta: Float64Array, thetaQ: number[], perStep: number): number {
  const hi = 2 ** (g.bits - 1) - 1;
  let moved = 0;
  for (let i = 0; i < g.q.length; i++) {
    const t = Math.floor(i / perStep);
    const tq = thetaQ[t]!;
    if (tq === 0) continue;
    const q = g.q[i]!;
    const sign = x[i]! < 0 ? -1 : 1;
    const floatKeeps = !(Math.abs(x[i]!) < theta[t]!);
    if (floatKeeps && Math.abs(q) < tq && tq <= hi) {
      g.q[i] = sign * tq;
      moved++;
    } else if (!floatKeeps && Math.abs(q) >= tq) {
      g.q[i] = sign * (tq - 1);
      moved++;
    }
  }
  return moved;
}

/** θ_q of every vector (s = t·B + b), as the engine problem takes it; a single number when θ is fixed. */
export function thetaPerVector(q: QuantizedLayer): number | number[] {
  if (q.thetaQ.every((v) => v === q.thetaQ[0])) return q.thetaQ[0]!;
  return Array.from({ length: q.S }, (_, s) => q.thetaQ[Math.floor(s / q.B)]!);
}

/** The engine's input for this layer (both modes: g, W and a). */
export function toEngineProblem(q: QuantizedLayer): EngineProblem {
  return { R: q.R, K: q.K, S: q.S, theta: thetaPerVector(q), g: q.g.q, W: q.W.q, a: q.a.q };
}

/** Float references: y = dz · [W_ih | W_hh] and G = Σ dz ⊗ act (or the trainer's own dW when dumped). */
export function floatReferences(l: LayerFloats): { y: Float64Array; G: Float64Array } {
  const R = 4 * l.H;
  const K = l.D + l.H;
  const S = l.T * l.B;
  const W = concatColumns(l.weightIh, l.D, l.weightHh, l.H, R);
  const y = floatBackwardData(l.dz, W, S, R, K);
  const G = l.gradWeightIh && l.gradWeightHh
    ? concatColumns(l.gradWeightIh, l.D, l.gradWeightHh, l.H, R)
    : floatBackwardWeight(l.dz, l.act, S, R, K);
  return { y, G };
}

export interface GoldenComparison {
  /** dx_t and dh_{t−1} (y) against the float golden. */
  data?: ErrorStats;
  /** dW = [dW_ih | dW_hh] (G) against the float golden. */
  weight?: ErrorStats;
}

/** Dequantizes engine results and measures their error against the float golden. */
export function compareWithGolden(l: LayerFloats, q: QuantizedLayer, results: { y?: BigInt64Array; G?: BigInt64Array }): GoldenComparison {
  const ref = floatReferences(l);
  const out: GoldenComparison = {};
  if (results.y) out.data = relativeError(dequantize(results.y, q.yExp), ref.y);
  if (results.G) out.weight = relativeError(dequantize(results.G, q.GExp), ref.G);
  return out;
}

/**
 * The first `steps` time steps of a layer, for shorter simulations. The dumped dW covers
 * all steps, so it is dropped and the reference is recomputed from the kept dz and act.
 */
export function firstTimeSteps(l: LayerFloats, steps: number): LayerFloats {
  if (steps >= l.T) return l;
  const R = 4 * l.H;
  const K = l.D + l.H;
  const n = steps * l.B;
  return {
    ...l,
    T: steps,
    theta: l.theta.slice(0, steps),
    dzDense: l.dzDense.slice(0, n * R),
    dz: l.dz.slice(0, n * R),
    act: l.act.slice(0, n * K),
    gradWeightIh: undefined,
    gradWeightHh: undefined,
  };
}
