/** The seed of this area's randomized tests: printed, and replayed from SPARSEGRAD_SEED. */
export const seed = process.env.SPARSEGRAD_SEED !== undefined ? Number(process.env.SPARSEGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);

export function announceSeed(): void {
  console.log(`      seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
}
