/** Retry policy. Delays use exponential backoff with full jitter, capped, and honour Retry-After. */
export interface RetryOptions {
  /** Retries after the first attempt (default 4). 0 disables retries. */
  maxRetries: number;
  /** Base delay of the backoff in ms (default 250): attempt n waits random(0, min(max, base * 2^n)). */
  baseDelayMs: number;
  /** Upper bound for one delay in ms (default 20 000). A longer Retry-After is honoured up to `maxRetryAfterMs`. */
  maxDelayMs: number;
  /** Longest Retry-After honoured, in ms (default 120 000); a longer one fails the request instead. */
  maxRetryAfterMs: number;
  /** Status codes that are retried (default 408, 429, 500, 502, 503, 504). */
  statuses: ReadonlyArray<number>;
}
