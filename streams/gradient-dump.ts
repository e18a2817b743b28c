/**
 * The gradient dump of one training step (issue 2): one safetensors file with
 * everything needed to replay that step's backward products elsewhere (the
 * sparse engine, torch). Layout and names are documented in streams/README.md.
 */
import { UserError } from '../util/errors.ts';
import { readSafetensors, writeSafetensors, requireTensor, type Tensor, type Dtype } from './safetensors.ts';

type Vec = Float32Array | Float64Array;

export interface DumpMeta {
  step: number;
  seed: number;
  /** 'fixed' or 'target'. */
  thresholdMode: string;
  /** The fixed θ (0 in target mode: see theta_l{k}). */
  theta: number;
  targetSparsity: number | null;
  T: number;
  B: number;
  H: number;
  L: number;
  V: number;
  /** Embedding width of a word model (layer 0 reads E-wide embeddings, not one-hot V); absent or 0: one-hot. */
  E?: number;
  precision: 'float32' | 'float64';
}

export interface LayerDump {
  h0: Vec;
  c0: Vec;
  dzDense: Vec;
  dz: Vec;
  act: Vec;
  /** θ used at each BPTT time step t (index t), Float64. */
  theta: Float64Array;
}

export interface GradientDump {
  meta: DumpMeta;
  /** The parameters the step started from, under PyTorch names. */
  params: Map<string, Tensor>;
  /** Raw gradients (before clipping), same names as params. */
  grads: Map<string, Tensor>;
  inputs: Int32Array;
  targets: Int32Array;
  loss: number;
  layers: LayerDump[];
}

const floatDtype = (p: DumpMeta['precision']): Dtype => (p === 'float64' ? 'F64' : 'F32');

export function dumpFileName(step: number): string {
  return `step-${step}.safetensors`;
}

export function writeGradientDump(path: string, d: GradientDump): void {
  const { meta } = d;
  const { T, B, H, V } = meta;
  const dt = floatDtype(meta.precision);
  const t: Record<string, Tensor> = {};
  for (const [name, x] of d.params) t[name] = x;
  for (const [name, x] of d.grads) t[`grad.${name}`] = x;
  t.inputs = { dtype: 'I32', shape: [T, B], data: d.inputs };
  t.targets = { dtype: 'I32', shape: [T, B], data: d.targets };
  t.loss = { dtype: dt, shape: [], data: dt === 'F64' ? Float64Array.of(d.loss) : Float32Array.of(d.loss) };
  d.layers.forEach((l, k) => {
    const D = k === 0 ? meta.E || V : H;
    t[`h0_l${k}`] = { dtype: dt, shape: [B, H], data: l.h0 };
    t[`c0_l${k}`] = { dtype: dt, shape: [B, H], data: l.c0 };
    t[`dz_dense_l${k}`] = { dtype: dt, shape: [T, B, 4 * H], data: l.dzDense };
    t[`dz_l${k}`] = { dtype: dt, shape: [T, B, 4 * H], data: l.dz };
    t[`act_l${k}`] = { dtype: dt, shape: [T, B, D + H], data: l.act };
    t[`theta_l${k}`] = { dtype: 'F64', shape: [T], data: l.theta };
  });
  const m: Record<string, string> = {
    format: 'sparsegrad-gradient-dump-1',
    step: String(meta.step),
    seed: String(meta.seed),
    threshold_mode: meta.thresholdMode,
    theta: String(meta.theta),
    target_sparsity: meta.targetSparsity === null ? '' : String(meta.targetSparsity),
    T: String(T), B: String(B), H: String(H), L: String(meta.L), V: String(V),
    ...(meta.E ? { E: String(meta.E), input_size_l0: String(meta.E) } : {}),
    precision: meta.precision,
    gate_order: 'i,f,g,o',
  };
  writeSafetensors(path, t, m);
}

/** Reads and validates a dump: every tensor present with the shape its metadata implies. */
export function readGradientDump(path: string): GradientDump {
  const f = readSafetensors(path);
  const md = f.metadata;
  if (md.format !== 'sparsegrad-gradient-dump-1') throw new UserError(`${path}: not a sparsegrad gradient dump (metadata format is ${JSON.stringify(md.format)})`);
  const int = (k: string) => {
    const v = Number(md[k]);
    if (!Number.isSafeInteger(v) || v < 0) throw new UserError(`${path}: gradient dump metadata '${k}' is missing or not an integer`);
    return v;
  };
  if (md.precision !== 'float32' && md.precision !== 'float64') throw new UserError(`${path}: gradient dump metadata 'precision' is ${JSON.stringify(md.precision)}, expected float32 or float64; re-dump with 'sparsegrad train --dump-streams'`);
  const precision = md.precision;
  const meta: DumpMeta = {
    step: int('step'), seed: int('seed'), thresholdMode: md.threshold_mode ?? 'fixed', theta: Number(md.theta ?? 0),
    targetSparsity: md.target_sparsity ? Number(md.target_sparsity) : null,
    T: int('T'), B: int('B'), H: int('H'), L: int('L'), V: int('V'), precision,
    ...(md.E !== undefined ? { E: int('E') } : {}),
  };
  const { T, B, H, L, V, E } = meta;
  const dt = [floatDtype(precision)];
  const get = (name: string, shape: number[], dtypes: readonly Dtype[] = dt) => requireTensor(f, path, name, shape, dtypes).data;
  const params = new Map<string, Tensor>();
  const grads = new Map<string, Tensor>();
  for (const [name, shape] of paramShapes(V, H, L, E)) {
    params.set(name, { dtype: dt[0], shape, data: get(name, shape) });
    grads.set(name, { dtype: dt[0], shape, data: get(`grad.${name}`, shape) });
  }
  const layers: LayerDump[] = [];
  for (let k = 0; k < L; k++) {
    const D = k === 0 ? E || V : H;
    layers.push({
      h0: get(`h0_l${k}`, [B, H]) as Vec, c0: get(`c0_l${k}`, [B, H]) as Vec,
      dzDense: get(`dz_dense_l${k}`, [T, B, 4 * H]) as Vec, dz: get(`dz_l${k}`, [T, B, 4 * H]) as Vec,
      act: get(`act_l${k}`, [T, B, D + H]) as Vec,
      theta: get(`theta_l${k}`, [T], ['F64']) as Float64Array,
    });
  }
  return {
    meta, params, grads,
    inputs: get('inputs', [T, B], ['I32']) as Int32Array,
    targets: get('targets', [T, B], ['I32']) as Int32Array,
    loss: Number((get('loss', []) as Vec)[0]),
    layers,
  };
}

/** PyTorch names and shapes of the model's parameters (nn.LSTM `lstm`, nn.Linear `head`, nn.Embedding `embedding` when E > 0). */
export function paramShapes(V: number, H: number, L: number, E = 0): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (let k = 0; k < L; k++) {
    const D = k === 0 ? E || V : H;
    out.push([`lstm.weight_ih_l${k}`, [4 * H, D]], [`lstm.weight_hh_l${k}`, [4 * H, H]], [`lstm.bias_ih_l${k}`, [4 * H]], [`lstm.bias_hh_l${k}`, [4 * H]]);
  }
  out.push(['head.weight', [V, H]], ['head.bias', [V]]);
  if (E) out.push(['embedding.weight', [V, E]]);
  return out;
}
