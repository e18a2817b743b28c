/** Shared helpers of the engine RTL tests: seeds, random engine problems, the committed RTL. */
import { join } from 'node:path';
import { Rng } from '../../golden/rng.ts';
import type { EngineConfig } from '../../engine/config.ts';
import type { EngineProblem } from '../../engine/jobs.ts';
import { REPO_ROOT, locateTop } from '../../sim/rtl-locate.ts';

/** Seed for randomized tests: SPARSEGRAD_SEED replays a failure; printed so it can be. */
export function testSeed(what: string): number {
  const env = process.env.SPARSEGRAD_SEED;
  const seed = env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 2 ** 31) >>> 0;
  console.log(`      [${what}] seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
  return seed;
}

export const RTL_DIR = join(REPO_ROOT, 'rtl');

export function rtlFiles(preset: string, top: 'sparse_bwd_engine' | 'dense_bwd_engine'): string[] {
  return locateTop(RTL_DIR, top, preset);
}

export interface ProblemShape {
  R: number;
  K: number;
  S: number;
  /** Probability that a gradient value is drawn nonzero (before the threshold). */
  density: number;
  theta: number;
  /** Magnitude limit of nonzero g (≤ 2^(gBits−1)). */
  gMax?: number;
  /** Start G near the accumulator limits so weight-mode updates saturate. */
  nearSaturation?: boolean;
  /** Force every value of these vectors to zero (whole-vector skip, eov-only tokens). */
  zeroVectors?: number[];
}

/** A random problem that fits `cfg`, reproducible from `rng`. */
export function randomProblem(cfg: EngineConfig, rng: Rng, s: ProblemShape): EngineProblem {
  const gLim = 2 ** (cfg.gBits - 1);
  const gMax = s.gMax ?? gLim;
  const signed = (bits: number): number => rng.int(2 ** bits) - 2 ** (bits - 1);
  const g = new Int32Array(s.S * s.R);
  for (let i = 0; i < g.length; i++) {
    if (rng.next() >= s.density) continue;
    // Extremes on purpose now and then: −2^(gBits−1) has no positive twin.
    const pick = rng.next();
    g[i] = pick < 0.05 ? -gLim : pick < 0.1 ? gLim - 1 : Math.max(-gLim, Math.min(gLim - 1, rng.int(2 * gMax) - gMax));
  }
  for (const v of s.zeroVectors ?? []) g.fill(0, v * s.R, (v + 1) * s.R);
  const W = new Int32Array(s.R * s.K).map(() => signed(cfg.wBits));
  const a = new Int32Array(s.S * s.K).map(() => signed(cfg.aBits));
  const accMax = 2n ** BigInt(cfg.accBits - 1) - 1n;
  const G0 = new BigInt64Array(s.R * s.K).map(() => {
    if (s.nearSaturation) {
      const off = BigInt(rng.int(2 ** 30));
      return rng.next() < 0.5 ? accMax - off : -accMax - 1n + off;
    }
    return BigInt(rng.int(2 ** 30) - 2 ** 29) * BigInt(rng.int(1024));
  });
  return { R: s.R, K: s.K, S: s.S, theta: s.theta, g, W, a, G0 };
}
