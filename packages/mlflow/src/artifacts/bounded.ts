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

/**
 * A counting semaphore: `run(fn)` waits (FIFO) until fewer than `limit` functions are running.
 * When `signal` aborts, every waiting call is rejected with its reason (one listener for all
 * waiters, so thousands of queued files cost nothing per file). Used to share one concurrency
 * budget between whole-file downloads and the byte ranges of large files.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ resolve: () => void; reject: (reason: unknown) => void }> = [];

  constructor(
    readonly limit: number,
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener(
      "abort",
      () => {
        for (const w of this.waiters.splice(0)) w.reject(signal.reason);
      },
      { once: true },
    );
  }

  /** Runs `fn` once a slot is free and releases the slot when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.resolve();
    }
  }

  private acquire(): Promise<void> {
    if (this.signal?.aborted) return Promise.reject(this.signal.reason);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({
        resolve: () => {
          this.active++;
          resolve();
        },
        reject,
      });
    });
  }
}
