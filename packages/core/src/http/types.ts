import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { CredentialProvider } from "../auth/credential-provider.js";
import type { ApiError } from "../errors/api-error.js";
import type { CallOptions } from "./call-options.js";
import type { RetryOptions } from "./retry-options.js";

export type { RetryOptions };

/** HTTP methods the transport sends. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** A query string value; arrays repeat the key, `undefined` omits it. */
export type QueryValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | ReadonlyArray<string | number | boolean>;

/** Everything the transport knows about an error response, for service-specific mapping. */
export interface ErrorResponseInfo {
  service: string;
  method: HttpMethod;
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The response body as text (at most 64 KiB). */
  bodyText: string;
  /** The body parsed as JSON when it was JSON, else undefined. */
  bodyJson: unknown;
  requestId: string | undefined;
  retryAfterSeconds: number | undefined;
}

/** Debug log sink. Every line is redacted before it reaches it. */
export type DebugLogger = (event: HttpLogEvent) => void;

/** One debug event emitted by the transport. */
export interface HttpLogEvent {
  type: "request" | "response" | "retry" | "error";
  method: HttpMethod;
  /** Redacted URL. */
  url: string;
  attempt: number;
  status?: number;
  delayMs?: number;
  durationMs?: number;
  /** Redacted request headers (on `request`). */
  headers?: Record<string, string | string[] | undefined>;
  /** Redacted error message (on `retry` / `error`). */
  message?: string;
}

/** Options of an `HttpClient`. */
export interface HttpClientOptions {
  /** Base URL every request path is resolved against, e.g. `http://127.0.0.1:5000`. */
  baseUrl: string | URL;
  /** Service name used in errors and logs (`mlflow`, `databricks`, ...). */
  service: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Authentication for every request. */
  credentials?: CredentialProvider | undefined;
  /** An undici dispatcher (Agent, Pool, MockAgent...). Default: a keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher;
  /** Timeout of one attempt in ms, until response headers and between body chunks (default 30 000). */
  timeoutMs?: number;
  /**
   * Largest response body read into memory (JSON, text) in bytes (default 64 MiB, at most
   * MAX_RESPONSE_BYTES_LIMIT); a larger one fails with ResponseTooLargeError before it is buffered.
   * Streamed bodies (`HttpResponse.body`, artifact downloads) are not limited by it.
   */
  maxResponseBytes?: number;
  /** Retry policy overrides. */
  retry?: Partial<RetryOptions>;
  /** Product token appended to the user agent, e.g. `my-tool/1.2`. */
  userAgent?: string;
  /**
   * Maps an error response to a service-specific ApiError; return undefined for the default mapping.
   * Can also declare an error retryable (e.g. Databricks "TEMPORARILY_UNAVAILABLE" in a 400).
   */
  mapError?: (info: ErrorResponseInfo) => { error?: ApiError; retryable?: boolean } | undefined;
  /** Receives redacted debug events. */
  logger?: DebugLogger;
  /** TLS: skip certificate verification (e.g. MLFLOW_TRACKING_INSECURE_TLS). */
  insecureTls?: boolean;
  /** TLS: PEM CA bundle to trust (e.g. MLFLOW_TRACKING_SERVER_CERT_PATH contents). */
  ca?: string | Buffer;
  /** TLS: PEM client certificate (chain) presented to the server (mutual TLS); needs `clientKey`. */
  clientCert?: string | Buffer;
  /** TLS: PEM private key of `clientCert`. Registered for redaction. */
  clientKey?: string | Buffer;
  /**
   * TLS: the name the server certificate is verified against (and sent as SNI) instead of the URL's
   * host, e.g. Kubernetes' `tls-server-name`.
   */
  servername?: string;
  /**
   * Sends every request through this proxy: `http://` or `https://` (HTTPS targets are tunnelled with
   * CONNECT) or `socks5://`. Credentials in the URL are used for the proxy and redacted everywhere.
   */
  proxyUrl?: string;
}

/**
 * One request: path, query, body, plus the per-call options every service method passes through
 * ({@link CallOptions}: signal, timeout, deadline, retry, headers). A body is JSON (`json`), or raw
 * bytes / a stream (`body`).
 */
export interface RequestOptions extends CallOptions {
  method?: HttpMethod;
  /** Path relative to the base URL (`/api/2.0/mlflow/runs/get`), or an absolute URL on the same origin. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Serialised as JSON with `content-type: application/json`. */
  json?: unknown;
  /**
   * A raw body. A Readable or AsyncIterable cannot be replayed, so such a request is only retried when
   * `body` is a function that creates a fresh body per attempt.
   */
  body?:
    | string
    | Uint8Array
    | Readable
    | AsyncIterable<Uint8Array>
    | (() => Readable | AsyncIterable<Uint8Array>);
  /** Allows retrying a non-idempotent request (POST/PATCH) that is safe to repeat. */
  retrySafe?: boolean;
  /** Do not throw for these statuses (e.g. `[404]` to test existence); the response is returned. */
  okStatuses?: ReadonlyArray<number>;
  /**
   * Longest wait in ms between two chunks of the response body (default: `timeoutMs`). `0` disables
   * it, for long-lived streams such as watches that stay quiet while nothing changes; bound those
   * with `signal` or a server-side timeout instead.
   */
  bodyTimeoutMs?: number;
}

/** A response whose body has not been read yet. Read it with `json()`/`text()` or consume `body`. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  url: string;
  /** The body as a Node stream; consume it or call `dump()`. */
  body: Readable;
  /** Reads the body (within the request's `maxResponseBytes`, else ResponseTooLargeError) and parses it. */
  json<T = unknown>(): Promise<T>;
  /** Reads the body as UTF-8 text, within the request's `maxResponseBytes`. */
  text(): Promise<string>;
  /** Reads the body as bytes, within the request's `maxResponseBytes`. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /**
   * Discards the body: up to 256 KiB are drained so that the connection can be reused, a longer
   * (or endless) body is cut off by closing the connection. Never throws.
   */
  dump(): Promise<void>;
}
