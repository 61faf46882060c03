/**
 * Fan-out with a bound: one AWS call per item (a workflow start per peering, say) with at most
 * `limit` in flight, so a long list takes a fraction of its one-by-one time without exceeding the
 * service's rate quota or the client's sockets.
 */

/** An item whose run failed, with what it threw. */
export interface ItemFailure<T> {
  item: T;
  error: unknown;
}

/**
 * Runs `run` on every item, in the items' order, with at most `limit` runs in flight at once, and
 * resolves once every run has settled. A failure stops nothing: the others still run, and the
 * failures are returned in the items' order (none: every run succeeded), for the caller to decide.
 */
export async function settleEach<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<unknown>,
): Promise<ItemFailure<T>[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer: ${limit}`);
  const failed: (ItemFailure<T> | undefined)[] = new Array(items.length);
  let next = 0;
  // Each lane takes the next item as soon as its run settles; JavaScript runs one lane at a time
  // between awaits, so no two take the same item.
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      try {
        await run(item);
      } catch (error) {
        failed[index] = { item, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return failed.filter((failure): failure is ItemFailure<T> => failure !== undefined);
}
