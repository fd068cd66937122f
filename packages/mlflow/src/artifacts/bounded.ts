/**
 * Runs `worker` over `items` with at most `limit` running at once. On the first failure the shared
 * signal is aborted (so the other workers stop early), the remaining items are not started, and the
 * first error is rethrown once every running worker has settled.
 */
export async function runBounded<T>(
  items: ReadonlyArray<T>,
  limit: number,
  worker: (item: T, index: number, signal: AbortSignal) => Promise<void>,
  outerSignal?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outerSignal?.reason);
  if (outerSignal?.aborted) onAbort();
  else outerSignal?.addEventListener("abort", onAbort, { once: true });
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (firstError === undefined && !controller.signal.aborted && next < items.length) {
      const index = next++;
      try {
        await worker(items[index] as T, index, controller.signal);
      } catch (error) {
        if (firstError === undefined) firstError = { error };
        controller.abort(error);
      }
    }
  };
  try {
    const lanes = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    outerSignal?.removeEventListener("abort", onAbort);
  }
  if (firstError !== undefined) throw firstError.error;
  if (outerSignal?.aborted) throw outerSignal.reason;
}
