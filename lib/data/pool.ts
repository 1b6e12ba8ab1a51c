/** Bounded concurrency for per-file async work (decode, encode, write). */

/**
 * Run `fn` over items with at most `limit` in flight; results keep the input order. After a
 * failure no new item starts, and the first error is thrown only once the calls in flight have
 * settled: a caller that cleans up on error (writeDirAtomic removing its temporary folder) must
 * not race writes still under way.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return out;
}
