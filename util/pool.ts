/** Bounded concurrency for independent async work: results in input order, whatever order they finish in. */

/** A fixed number of workers taking the next item until none are left; results keep input order. */
export async function pool<T, R>(items: readonly T[], workers: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
  return out;
}
