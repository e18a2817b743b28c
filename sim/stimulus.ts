/**
 * Where the engine's input comes from: a gradient dump of the golden trainer
 * (quantized by streams/quantize-layer.ts) or one of the synthetic edge cases
 * of issue 5. Every source yields the same thing, a quantized problem, plus the
 * float layer when there is a golden to compare the dequantized results with.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../util/errors.ts';
import type { EngineConfig } from '../engine/config.ts';
import type { EngineProblem } from '../engine/jobs.ts';
import { type LayerFloats, type QuantizedLayer, quantizeLayer, readDumpLayer, toEngineProblem } from '../streams/quantize-layer.ts';

export const SYNTHETIC_KINDS = [
  'random',
  'zeros',
  'dense',
  'first',
  'last',
  'saturate',
  'theta0',
  'thetamax',
  'rk1',
  'rkmax',
  'tiled',
  'hostile',
] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

export interface Stimulus {
  /** What it is, for reports: `synthetic:random`, or the dump's file name and layer. */
  source: string;
  problem: EngineProblem & { W: Int32Array; a: Int32Array };
  /** Present for dumps: scales, θ, and the float layer for the golden comparison. */
  quantized?: QuantizedLayer;
  floats?: LayerFloats;
  /** Drive the engine with the hostile host (sim/engine/hostile.ts) instead of the polite driver. */
  hostile?: boolean;
}

/** xorshift32, uniform in [0, 1): synthetic stimuli must be identical for the same seed everywhere; `salt` keeps users' streams apart. */
export function xorshift32(seed: number, salt = 0x9e3779b9): () => number {
  let s = (seed ^ salt) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function signedRange(bits: number): { lo: number; hi: number } {
  return { lo: -(2 ** (bits - 1)), hi: 2 ** (bits - 1) - 1 };
}

/** The shapes each kind uses: small enough for tests, but with tails (R % P, K % N ≠ 0). */
function shapeOf(cfg: EngineConfig, kind: SyntheticKind): { R: number; K: number; S: number } {
  const R = Math.min(cfg.rMax, 4 * 13 + 1);
  const K = Math.min(cfg.kMax, 2 * cfg.N + 1);
  switch (kind) {
    case 'rk1':
      return { R: 1, K: 1, S: 3 };
    case 'rkmax':
      return { R: cfg.rMax, K: cfg.kMax, S: 2 };
    case 'tiled':
      return { R, K: cfg.kMax + Math.max(1, Math.floor(cfg.kMax / 2)) + 1, S: 4 };
    default:
      return { R, K, S: 6 };
  }
}

export function syntheticStimulus(cfg: EngineConfig, kind: SyntheticKind, seed: number): Stimulus {
  if (!(SYNTHETIC_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`unknown synthetic stimulus '${kind}'; use one of: ${SYNTHETIC_KINDS.join(', ')}`);
  }
  const next = xorshift32(seed);
  const { R, K, S } = shapeOf(cfg, kind);
  const g = signedRange(cfg.gBits);
  const w = signedRange(cfg.wBits);
  const a = signedRange(cfg.aBits);
  const uniform = (r: { lo: number; hi: number }) => r.lo + Math.floor(next() * (r.hi - r.lo + 1));
  const thetaMid = 2 ** (cfg.gBits - 4);
  // Mostly small gradients below θ, a fifth large: about the 80 % sparsity the paper reports.
  const sparseG = () => (next() < 0.2 ? Math.sign(next() - 0.5) * (thetaMid + Math.floor(next() * (g.hi - thetaMid))) : Math.floor((next() - 0.5) * 2 * thetaMid));

  const gArr = new Int32Array(S * R);
  const W = new Int32Array(R * K).map(() => uniform(w));
  const act = new Int32Array(S * K).map(() => uniform(a));
  let theta = thetaMid;
  let G0: BigInt64Array | undefined;
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < R; j++) {
      let v: number;
      switch (kind) {
        case 'zeros':
          v = 0;
          break;
        case 'dense':
          v = (next() < 0.5 ? -1 : 1) * (thetaMid + Math.floor(next() * (g.hi - thetaMid)));
          break;
        case 'first':
          v = j === 0 ? g.hi : 0;
          break;
        case 'last':
          v = j === R - 1 ? g.lo : 0;
          break;
        case 'saturate':
          v = next() < 0.5 ? g.lo : g.hi;
          break;
        default:
          v = sparseG();
      }
      gArr[s * R + j] = v;
    }
  }
  if (kind === 'theta0') theta = 0;
  if (kind === 'thetamax') theta = 2 ** cfg.gBits - 1;
  if (kind === 'saturate') {
    // Extreme operands, and G starting next to both rails, so saturation is hit in both modes.
    W.forEach((_, i) => (W[i] = i % 3 === 0 ? w.lo : w.hi));
    act.forEach((_, i) => (act[i] = i % 2 === 0 ? a.lo : a.hi));
    const rail = (1n << BigInt(cfg.accBits - 1)) - 1n;
    G0 = new BigInt64Array(R * K).map((_, i) => (i % 2 === 0 ? rail - 5n : -rail + 5n));
  }
  const problem: Stimulus['problem'] = { R, K, S, theta, g: gArr, W, a: act };
  if (G0) problem.G0 = G0;
  // `hostile` is the `random` problem under a host that writes every register while the engine works.
  return kind === 'hostile' ? { source: `synthetic:${kind}`, problem, hostile: true } : { source: `synthetic:${kind}`, problem };
}

/** The dump files a --streams argument names: the file itself, or every *.safetensors in the folder. */
export function dumpFiles(streams: string): string[] {
  if (!existsSync(streams)) throw new UserError(`--streams ${streams}: no such file or folder; point it at a dump from 'sparsegrad train --dump-streams DIR'`);
  if (statSync(streams).isDirectory()) {
    const files = readdirSync(streams)
      .filter((f) => f.endsWith('.safetensors'))
      .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
      .map((f) => join(streams, f));
    if (files.length === 0) throw new UserError(`--streams ${streams}: the folder holds no .safetensors dumps; write some with 'sparsegrad train --dump-streams ${streams}'`);
    return files;
  }
  return [streams];
}

export function dumpStimulus(cfg: EngineConfig, file: string, layer: number): Stimulus {
  const floats = readDumpLayer(file, layer);
  const q = quantizeLayer(floats, { gBits: cfg.gBits, wBits: cfg.wBits, aBits: cfg.aBits });
  if (q.R > cfg.rMax) {
    throw new UserError(`${file}: layer ${layer} has R = 4H = ${q.R} gradient rows but this engine takes at most rMax = ${cfg.rMax}; use a larger --preset (e.g. wide) or dump a smaller model`);
  }
  return {
    // The base name only: reports must not depend on where the dump sits (flow stages it in a temp folder).
    source: `${basename(file)}#l${layer}`,
    problem: toEngineProblem(q) as Stimulus['problem'],
    quantized: q,
    floats,
  };
}
