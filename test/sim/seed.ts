/** Seed of this test run: SPARSEGRAD_SEED replays one; printed so a failure can be replayed. */
export function testSeed(what: string): number {
  const env = process.env.SPARSEGRAD_SEED;
  const seed = env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 2 ** 31) >>> 0;
  console.log(`      [${what}] seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
  return seed;
}

/** A small deterministic generator for test data (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
