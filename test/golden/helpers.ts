/** Shared helpers of the golden/ tests. */
import { Rng } from '../../golden/rng.ts';
import { zeroParams, flatParams, type Params, type Precision } from '../../golden/model.ts';
import { Network } from '../../golden/network.ts';

/** Seed for randomized tests: SPARSEGRAD_SEED replays a failure; printed so it can be. */
export function testSeed(what: string): number {
  const env = process.env.SPARSEGRAD_SEED;
  const seed = env !== undefined ? Number(env) : Math.floor(Math.random() * 2 ** 31);
  console.log(`      [${what}] seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
  return seed;
}

export interface Small {
  V: number; H: number; L: number; T: number; B: number;
  /** Embedding width (word-model input); absent: one-hot input. */
  E?: number;
}

/** A small network with random parameters, inputs, targets and non-zero initial state. */
export function smallNetwork(s: Small, seed: number, precision: Precision = 'float64', scale = 0.5): Network {
  const rng = new Rng(seed);
  const p: Params = zeroParams({ V: s.V, H: s.H, L: s.L, E: s.E }, precision);
  for (const { data } of flatParams(p)) for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  const net = new Network(p, s.T, s.B);
  for (let i = 0; i < s.T * s.B; i++) {
    net.inputs[i] = rng.int(s.V);
    net.targets[i] = rng.int(s.V);
  }
  for (const ws of net.layers) {
    for (let i = 0; i < ws.h0.length; i++) ws.h0[i] = rng.uniform(-0.5, 0.5);
    for (let i = 0; i < ws.c0.length; i++) ws.c0[i] = rng.uniform(-1, 1);
  }
  return net;
}
