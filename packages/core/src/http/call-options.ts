import type { RetryOptions } from "./types.js";

/**
 * Per-call options that every service method of every modeltrail client accepts as its last
 * argument, and that reach the HTTP transport unchanged: cancel with `signal`, bound one attempt
 * with `timeoutMs` and all attempts together with `deadlineMs`, tune or disable retries with
 * `retry`, add `headers` (secret header values are redacted from errors and logs like the
 * client's own credentials), and bound a response read into memory with `maxResponseBytes`.
 */
export interface CallOptions {
  /** Aborts the call (and any retry wait); the call rejects with an AbortError. */
  signal?: AbortSignal | undefined;
  /** Timeout of one attempt in ms, until response headers and between body chunks. */
  timeoutMs?: number | undefined;
  /** Overall deadline for all attempts together, in ms from the start of the call. */
  deadlineMs?: number | undefined;
  /** Retry policy overrides for this call; `{ maxRetries: 0 }` disables retries. */
  retry?: Partial<RetryOptions> | undefined;
  /** Extra request headers for this call. */
  headers?: Record<string, string> | undefined;
  /**
   * Largest response body read into memory (JSON, text) for this call, in bytes; a larger one fails
   * with ResponseTooLargeError before it is buffered. Default: the client's (64 MiB unless set).
   */
  maxResponseBytes?: number | undefined;
}
