import type { HttpMethod, RetryOptions } from "./types.js";

/** Default retry policy: 4 retries, 250 ms base, 20 s cap, Retry-After honoured up to 2 minutes. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 120_000,
  statuses: Object.freeze([408, 429, 500, 502, 503, 504]),
});

/** Methods that are safe to repeat without side effects piling up. */
const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/** True when a method may be retried without the caller marking the request retry-safe. */
export function isIdempotentMethod(method: HttpMethod): boolean {
  return IDEMPOTENT.has(method);
}

/** Low-level error codes that mean "the connection failed; the request may not have been processed". */
const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** True when a low-level error code describes a transient connection failure. */
export function isRetryableNetworkCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * Delay before retry number `retry` (0-based) with exponential backoff and full jitter:
 * a uniformly random value in [0, min(maxDelayMs, baseDelayMs * 2^retry)].
 */
export function backoffDelay(
  retry: number,
  policy: RetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Merges partial retry options over the defaults. */
export function resolveRetryOptions(...parts: Array<Partial<RetryOptions> | undefined>): RetryOptions {
  return Object.assign({}, DEFAULT_RETRY, ...parts.filter(Boolean)) as RetryOptions;
}
