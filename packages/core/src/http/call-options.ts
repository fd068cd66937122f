import type { RetryOptions } from "./retry-options.js";

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
  /**
   * Called once for every HTTP request the call sends (each attempt of each request: retries,
   * pages and redirects count), before it is sent, with the service, method and redacted URL.
   * `trace()` counts requests with it. It must not throw (what it throws is ignored).
   */
  onRequest?: ((event: RequestEvent) => void) | undefined;
}

/** What {@link CallOptions.onRequest} is told about one request. */
export interface RequestEvent {
  /** The service the client talks to (`mlflow`, `databricks`, `oci-registry`, `kubernetes`, ...). */
  service: string;
  method: string;
  /** The URL, with credentials and secret query values redacted. */
  url: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
}

/** Every key of {@link CallOptions}: what `pickCallOptions` copies. */
export const CALL_OPTION_KEYS = [
  "signal",
  "timeoutMs",
  "deadlineMs",
  "retry",
  "headers",
  "maxResponseBytes",
  "onRequest",
] as const satisfies ReadonlyArray<keyof CallOptions>;

// A key added to CallOptions but not to CALL_OPTION_KEYS fails to compile here.
type MissingCallOptionKeys = Exclude<keyof CallOptions, (typeof CALL_OPTION_KEYS)[number]>;
const everyCallOptionKeyListed: [MissingCallOptionKeys] extends [never] ? true : MissingCallOptionKeys = true;
void everyCallOptionKeyListed;

/**
 * The per-call options of an options object that may hold more (a method's own options extend
 * CallOptions): exactly the CallOptions keys that are set, nothing else, so a method's option named
 * like a request field can never reach the transport as one.
 */
export function pickCallOptions(options: CallOptions | undefined): CallOptions {
  const picked: Record<string, unknown> = {};
  if (!options) return picked;
  for (const key of CALL_OPTION_KEYS) {
    const value = options[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked as CallOptions;
}

/**
 * Starts a call that makes several requests (a lookup then a create, a paged listing, a download of
 * many files): returns its CallOptions with `deadlineMs` counting down from now, so every request
 * made with them shares the caller's one deadline instead of getting a fresh one. Options without a
 * deadline are returned as they are (picked). Spreading the result reads the time left at that moment.
 */
export function startCall(options: CallOptions | undefined): CallOptions {
  const picked = pickCallOptions(options);
  const { deadlineMs } = picked;
  if (deadlineMs === undefined) return picked;
  const end = Date.now() + deadlineMs;
  const { deadlineMs: _fixed, ...rest } = picked;
  return Object.defineProperty(rest, "deadlineMs", {
    enumerable: true,
    get: () => Math.max(0, end - Date.now()),
  }) as CallOptions;
}
