/**
 * The seed of a randomized test: $SPARSEGRAD_SEED when set (to replay a
 * failure), otherwise a fresh one. Printed either way so a failure can be replayed.
 */
export function testSeed(label: string): number {
  const fromEnv = process.env.SPARSEGRAD_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Math.floor(Math.random() * 0x7fffffff);
  if (!Number.isInteger(seed)) throw new Error(`SPARSEGRAD_SEED must be an integer, got '${fromEnv}'`);
  console.log(`      ${label}: seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
  return seed;
}
