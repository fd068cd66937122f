import { constants as bufferConstants } from "node:buffer";
import { Readable } from "node:stream";
import { setTimeout as sleepTimer } from "node:timers/promises";
import type { Dispatcher } from "undici";
import type { z } from "zod";
import type { AuthRequestContext, CredentialProvider } from "../auth/credential-provider.js";
import { type ApiError, createApiError } from "../errors/api-error.js";
import { ConfigError } from "../errors/config-error.js";
import { ModelTrailError } from "../errors/model-trail-error.js";
import { ResponseTooLargeError } from "../errors/response-too-large-error.js";
import { ValidationError } from "../errors/validation-error.js";
import {
  isSecretHeader,
  redactedExcerpt,
  redactHeaders,
  redactText,
  redactUrl,
  registerSecret,
  registerSecretHeaderValue,
} from "../redact.js";
import { assertSupportedNode } from "../runtime/node-version.js";
import { type CallOptions, pickCallOptions } from "./call-options.js";
import { createHttpResponse, normalizeHeaders, readBody } from "./http-response.js";
import { parseRetryAfter } from "./retry-after.js";
import {
  backoffDelay,
  isIdempotentMethod,
  isRetryableNetworkCode,
  resolveRetryOptions,
} from "./retry-policy.js";
import { readRangeOverSocket, SinkError, type SocketRangeOutcome } from "./socket-range.js";
import { lowLevelCode, type StopReason, toTransportError } from "./transport-errors.js";
import type {
  ErrorResponseInfo,
  HttpClientOptions,
  HttpLogEvent,
  HttpMethod,
  HttpResponse,
  QueryValue,
  RequestOptions,
  RetryOptions,
} from "./types.js";
import { loadUndiciParts, loadUndiciProxyParts } from "./undici-parts.js";
import { userAgent } from "./user-agent.js";

/** Response headers that carry a request id, in order of preference. */
const REQUEST_ID_HEADERS = [
  "x-request-id",
  "x-databricks-request-id",
  "x-ms-request-id",
  "x-amz-request-id",
  "docker-distribution-api-version-request-id",
  "x-correlation-id",
];

const MAX_ERROR_BODY = 64 * 1024;

/** Default of `maxResponseBytes`: response bodies read into memory (JSON, text) may hold 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Highest `maxResponseBytes` accepted: the longest string V8 can hold (about 512 MiB), since a body
 * read into memory is decoded into one string; stream larger bodies from `HttpResponse.body`.
 */
export const MAX_RESPONSE_BYTES_LIMIT: number = bufferConstants.MAX_STRING_LENGTH;

/** Options of `HttpClient.json`: a request plus an optional zod schema for the response. */
export type JsonRequestOptions<T> = RequestOptions & { schema?: z.ZodType<T> };

/**
 * What a service method knows about one JSON endpoint, for `HttpClient.get/post/put/patch/delete`:
 * the query, the JSON body, the response schema, whether a POST/PATCH may be retried, and statuses
 * that are answers rather than errors. The per-call options come separately.
 */
export interface JsonCall<T> {
  query?: Record<string, QueryValue>;
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown;
  /** Validates (and types) the response. */
  schema?: z.ZodType<T>;
  /** Allows retrying a POST/PATCH that is safe to repeat. */
  retrySafe?: boolean;
  /** Statuses returned as answers instead of thrown. */
  okStatuses?: ReadonlyArray<number>;
}

/** Options of `HttpClient.readRange`: one byte range of a GET, and the sink its bytes go to. */
export interface ReadRangeOptions extends CallOptions {
  /** Path relative to the base URL, or an absolute URL on the same origin. */
  path: string;
  query?: Record<string, QueryValue>;
  /** First byte of the range. */
  start: number;
  /** Last byte of the range (inclusive). */
  end: number;
  /** Size of the whole resource; the server's Content-Range total must equal it when given. */
  total?: number | undefined;
  /** Longest wait in ms between two reads of the body (default: `timeoutMs`); 0: none. */
  bodyTimeoutMs?: number;
  /**
   * Takes the next bytes. `chunk` is a view of a buffer that is reused for the next read: write or
   * copy it before the returned promise resolves; nothing more is read until it does.
   */
  write: (chunk: Buffer) => Promise<void>;
}

/** Hooks that make retry timing deterministic in tests. */
export interface HttpClientTestHooks {
  /** Replaces the wait between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Replaces Math.random for the jitter. */
  random?: () => number;
}

/** A failed attempt that may be retried. */
interface AttemptFailure {
  error: ModelTrailError;
  retryable: boolean;
  retryAfterMs: number | undefined;
  unauthorized: boolean;
}

/**
 * The HTTP transport every modeltrail service client uses. Holds one connection pool; sends JSON
 * or streaming bodies; applies credentials; retries idempotent requests (and those marked
 * `retrySafe`) on 408/429/5xx and connection failures with exponential backoff, full jitter and
 * Retry-After; enforces a per-attempt timeout and an optional overall deadline; maps error
 * responses onto the modeltrail error hierarchy with secrets redacted.
 */
export class HttpClient {
  /** Base URL every path is resolved against (without trailing slash). */
  readonly baseUrl: URL;
  /** Service name used in errors and logs. */
  readonly service: string;
  private readonly pathPrefix: string;
  private readonly options: HttpClientOptions;
  private dispatcher: Dispatcher | undefined;
  private dispatcherPromise: Promise<Dispatcher> | undefined;
  private readonly ownsDispatcher: boolean;
  private readonly proxy: URL | undefined;
  private readonly retry: RetryOptions;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly ua: string;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  /**
   * Creates a client. Throws ConfigError when `baseUrl` is not an http(s) URL or `maxResponseBytes`
   * is not a whole number from 1 to MAX_RESPONSE_BYTES_LIMIT.
   */
  constructor(options: HttpClientOptions & HttpClientTestHooks) {
    let base: URL;
    try {
      base = new URL(String(options.baseUrl));
    } catch {
      throw new ConfigError(`Invalid ${options.service} base URL "${redactUrl(String(options.baseUrl))}"`, {
        hint: "Use an absolute http:// or https:// URL",
      });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new ConfigError(`Unsupported ${options.service} URL scheme "${base.protocol}"`, {
        hint: "Use an http:// or https:// URL",
      });
    }
    this.pathPrefix = base.pathname.replace(/\/+$/, "");
    this.baseUrl = base;
    this.service = options.service;
    this.options = options;
    this.retry = resolveRetryOptions(options.retry);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const problem = maxResponseBytesProblem(maxResponseBytes);
    if (problem !== undefined) {
      throw new ConfigError(`Invalid maxResponseBytes for ${options.service}: ${problem}`, {
        hint: `Pass a whole number of bytes from 1 to ${MAX_RESPONSE_BYTES_LIMIT} (default ${DEFAULT_MAX_RESPONSE_BYTES})`,
      });
    }
    this.maxResponseBytes = maxResponseBytes;
    this.ua = userAgent(options.userAgent);
    this.sleep = options.sleep ?? ((ms, signal) => sleepTimer(ms, undefined, { signal }));
    this.random = options.random ?? Math.random;
    this.dispatcher = options.dispatcher;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.proxy =
      options.proxyUrl === undefined ? undefined : parseProxyUrl(options.proxyUrl, options.service);
    if (options.clientKey !== undefined) registerSecret(String(options.clientKey).trim());
    if ((options.clientCert === undefined) !== (options.clientKey === undefined)) {
      throw new ConfigError(
        `The ${options.service} client was given a TLS client ${options.clientCert === undefined ? "key without a certificate" : "certificate without a key"}`,
        { hint: "Pass both clientCert and clientKey (PEM), or neither" },
      );
    }
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      if (isSecretHeader(k)) registerSecretHeaderValue(v);
    }
  }

  /**
   * The dispatcher given in the options, or one created on first use: a keep-alive Agent with the
   * TLS settings, or a proxy agent (`proxyUrl`) that applies them to the target connection.
   */
  private getDispatcher(): Promise<Dispatcher> {
    if (this.dispatcher) return Promise.resolve(this.dispatcher);
    // undici is loaded on first use (and only its Agent and request; the proxy agents only with a
    // proxy), so importing @modeltrail/core (codecs, TraceContext) stays cheap.
    this.dispatcherPromise ??= (async () => {
      const tls = tlsConnectOptions(this.options);
      const pool = { keepAliveTimeout: 10_000, connections: 64 };
      const proxy = this.proxy;
      if (proxy === undefined) {
        const { Agent } = await loadUndiciParts();
        this.dispatcher = new Agent({ ...pool, ...(tls ? { connect: tls } : {}) });
        return this.dispatcher;
      }
      const { ProxyAgent, Socks5ProxyAgent } = await loadUndiciProxyParts();
      if (proxy.protocol === "socks5:") {
        const { username, password } = proxy;
        const bare = new URL(proxy);
        bare.username = "";
        bare.password = "";
        this.dispatcher = new Socks5ProxyAgent(bare, {
          ...pool,
          ...(username ? { username: decodeURIComponent(username) } : {}),
          ...(password ? { password: decodeURIComponent(password) } : {}),
          ...(tls ? { requestTls: tls } : {}),
        });
      } else {
        this.dispatcher = new ProxyAgent({ ...pool, uri: proxy.href, ...(tls ? { requestTls: tls } : {}) });
      }
      return this.dispatcher;
    })();
    return this.dispatcherPromise;
  }

  /** Builds the absolute URL of a path (keeping any path prefix of the base URL) and query. */
  url(path: string, query?: Record<string, QueryValue>): URL {
    const url = /^https?:\/\//i.test(path)
      ? new URL(path)
      : new URL(`${this.baseUrl.origin}${this.pathPrefix}${path.startsWith("/") ? path : `/${path}`}`);
    if (query) {
      for (const [key, value] of Object.entries(query)) {
        if (value === undefined || value === null) continue;
        if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
        else url.searchParams.append(key, String(value));
      }
    }
    return url;
  }

  /**
   * Sends a request and returns the response with its body unread; its `json()`, `text()` and
   * `arrayBuffer()` read at most `maxResponseBytes` (the call's, else the client's). Throws an
   * ApiError subclass for an error status (unless listed in `okStatuses`), TimeoutError, AbortError
   * or NetworkError; ValidationError for an invalid `maxResponseBytes`; ConfigError on a Node.js
   * older than `REQUIRED_NODE_VERSION`.
   */
  async request(options: RequestOptions): Promise<HttpResponse> {
    assertSupportedNode();
    const method: HttpMethod =
      options.method ?? (options.json !== undefined || options.body ? "POST" : "GET");
    const url = this.url(options.path, options.query);
    const maxResponseBytes = options.maxResponseBytes ?? this.maxResponseBytes;
    const problem = maxResponseBytesProblem(maxResponseBytes);
    if (problem !== undefined) {
      throw new ValidationError(`Invalid maxResponseBytes for ${this.service} ${method} ${redactUrl(url)}`, {
        issues: [{ path: "maxResponseBytes", message: problem }],
        hint: `Pass a whole number of bytes from 1 to ${MAX_RESPONSE_BYTES_LIMIT}`,
      });
    }
    const policy = options.retry ? resolveRetryOptions(this.options.retry, options.retry) : this.retry;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const replayable =
      options.body === undefined ||
      typeof options.body === "function" ||
      typeof options.body === "string" ||
      options.body instanceof Uint8Array;
    const mayRetry = replayable && (options.retrySafe === true || isIdempotentMethod(method));
    const sameOrigin = url.origin === this.baseUrl.origin;

    const { signal, deadlineSignal, stopReason } = callSignal(options);
    const describe = { service: this.service, method, url: url.toString(), timeoutMs };

    let retries = 0;
    let refreshedAuth = false;
    let forceRefresh = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw toTransportError(signal.reason, describe, stopReason());
      const started = Date.now();
      let failure: AttemptFailure;
      try {
        const headers = await this.buildHeaders(options, sameOrigin, { signal, forceRefresh });
        forceRefresh = false;
        this.log(() => ({
          type: "request",
          method,
          url: redactUrl(url),
          attempt,
          headers: redactHeaders(headers),
        }));
        if (options.onRequest) {
          try {
            options.onRequest({ service: this.service, method, url: redactUrl(url), attempt });
          } catch {
            // an observer must not fail the request
          }
        }
        const [undici, dispatcher] = await Promise.all([loadUndiciParts(), this.getDispatcher()]);
        const res = await undici.request(dispatcher, {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          body: this.buildBody(options),
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: options.bodyTimeoutMs ?? timeoutMs,
        });
        const resHeaders = normalizeHeaders(res.headers as Record<string, string | string[] | undefined>);
        this.log(() => ({
          type: "response",
          method,
          url: redactUrl(url),
          attempt,
          status: res.statusCode,
          durationMs: Date.now() - started,
        }));
        const ok =
          (res.statusCode >= 200 && res.statusCode < 300) || options.okStatuses?.includes(res.statusCode);
        if (ok) {
          return createHttpResponse(
            res.statusCode,
            resHeaders,
            url.toString(),
            res.body as unknown as Readable,
            (err) => toTransportError(err, describe, stopReason()),
            {
              maxBytes: maxResponseBytes,
              tooLarge: (announcedBytes) =>
                new ResponseTooLargeError({
                  service: this.service,
                  method,
                  url: url.toString(),
                  limitBytes: maxResponseBytes,
                  announcedBytes,
                }),
            },
          );
        }
        failure = await this.errorFailure(
          method,
          url,
          res.statusCode,
          resHeaders,
          res.body as unknown as Readable,
          policy,
        );
      } catch (err) {
        if (signal?.aborted) throw toTransportError(err, describe, stopReason());
        const code = lowLevelCode(err);
        failure = {
          error: toTransportError(err, describe, stopReason()),
          retryable: err instanceof ModelTrailError ? false : isRetryableNetworkCode(code),
          retryAfterMs: undefined,
          unauthorized: false,
        };
      }

      if (failure.unauthorized && this.options.credentials && !refreshedAuth && replayable) {
        refreshedAuth = true;
        forceRefresh = true;
        this.log(() => ({
          type: "retry",
          method,
          url: redactUrl(url),
          attempt,
          message: "401: refreshing credentials",
        }));
        continue;
      }
      if (!failure.retryable || !mayRetry || retries >= policy.maxRetries) throw failure.error;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs)
        throw failure.error;
      const delay = failure.retryAfterMs ?? backoffDelay(retries, policy, this.random);
      if (
        options.deadlineMs !== undefined &&
        deadlineSignal &&
        Date.now() + delay > started + options.deadlineMs
      ) {
        // The next attempt could not start before the deadline: report the real failure now.
        throw failure.error;
      }
      retries++;
      this.log(() => ({
        type: "retry",
        method,
        url: redactUrl(url),
        attempt,
        delayMs: delay,
        message: failure.error.message,
      }));
      try {
        await this.sleep(delay, signal);
      } catch (err) {
        throw toTransportError(err, describe, stopReason());
      }
    }
  }

  /**
   * Sends a request and parses the JSON response, validating it with `schema` when given. The body
   * is read incrementally and refused past `maxResponseBytes` (the call's, else the client's,
   * default 64 MiB) before it is all buffered. Throws ResponseTooLargeError for a larger body,
   * ValidationError when the body is not JSON or does not match the schema, plus everything
   * `request` throws.
   */
  async json<T = unknown>(options: JsonRequestOptions<T>): Promise<T> {
    const res = await this.request({
      ...options,
      headers: { accept: "application/json", ...options.headers },
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text.trim().length === 0 ? {} : JSON.parse(text);
    } catch {
      throw new ValidationError(
        `${this.service} returned a response that is not valid JSON (HTTP ${res.status} from ${redactUrl(res.url)}): ${redactedExcerpt(text, 200)}`,
        { hint: "Check that the URL points at the service's API and not at a proxy or login page" },
      );
    }
    if (!options.schema) return parsed as T;
    const result = options.schema.safeParse(parsed);
    if (!result.success) {
      throw ValidationError.fromZod(`response from ${this.service} ${redactUrl(res.url)}`, result.error, {
        hint: "The service answered with an unexpected shape; check the server version",
      });
    }
    return result.data;
  }

  /**
   * One JSON call of a service method (`GET path`), the way every service method makes its
   * requests: what the method knows of the endpoint in `call`, and the caller's per-call options in
   * `options` (signal, timeoutMs, deadlineMs, retry, headers, maxResponseBytes), which may be the
   * method's whole options object: only the CallOptions keys are read. Throws what `json` throws.
   */
  get<T = unknown>(path: string, call: JsonCall<T> = {}, options?: CallOptions): Promise<T> {
    return this.send("GET", path, call, options);
  }

  /** `POST path` as one JSON call of a service method; see `get`. Retried only with `retrySafe`. */
  post<T = unknown>(path: string, call: JsonCall<T> = {}, options?: CallOptions): Promise<T> {
    return this.send("POST", path, call, options);
  }

  /** `PUT path` as one JSON call of a service method; see `get`. */
  put<T = unknown>(path: string, call: JsonCall<T> = {}, options?: CallOptions): Promise<T> {
    return this.send("PUT", path, call, options);
  }

  /** `PATCH path` as one JSON call of a service method; see `get`. Retried only with `retrySafe`. */
  patch<T = unknown>(path: string, call: JsonCall<T> = {}, options?: CallOptions): Promise<T> {
    return this.send("PATCH", path, call, options);
  }

  /** `DELETE path` as one JSON call of a service method; see `get`. */
  delete<T = unknown>(path: string, call: JsonCall<T> = {}, options?: CallOptions): Promise<T> {
    return this.send("DELETE", path, call, options);
  }

  private send<T>(
    method: HttpMethod,
    path: string,
    call: JsonCall<T>,
    options: CallOptions | undefined,
  ): Promise<T> {
    return this.json<T>({ ...call, ...pickCallOptions(options), method, path });
  }

  /**
   * Reads bytes `start`..`end` of `GET path` into `write` over a connection of its own whose reads
   * all reuse one 256 KiB buffer (see `readRangeOverSocket`): unlike `request`, whose body stream
   * allocates a buffer per read that waits for the garbage collector, memory stays the same however
   * many bytes are read. Sends the client's headers and credentials, and its TLS settings. Returns
   * `{ kind: "declined" }`, before anything was given to `write`, when this client sends through a
   * proxy or a dispatcher of the caller's, or when the server's answer is anything but a plain 206 of
   * exactly that range (an error status, a redirect, a changed resource): ask again with `request`,
   * which maps the answer onto the error hierarchy and retries. Not retried itself. Throws
   * NetworkError (also for a body cut short), TimeoutError, AbortError, the error of `write`
   * unchanged, and ConfigError on a Node.js older than `REQUIRED_NODE_VERSION`.
   */
  async readRange(options: ReadRangeOptions): Promise<SocketRangeOutcome> {
    assertSupportedNode();
    if (!this.ownsDispatcher || this.proxy !== undefined) {
      return {
        kind: "declined",
        status: undefined,
        reason: this.proxy ? "sent through a proxy" : "sent through the caller's dispatcher",
      };
    }
    const url = this.url(options.path, options.query);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const { signal, stopReason } = callSignal(options);
    const describe = { service: this.service, method: "GET", url: url.toString(), timeoutMs };
    const started = Date.now();
    try {
      const headers = await this.buildHeaders(
        { path: options.path, ...(options.headers ? { headers: options.headers } : {}) },
        url.origin === this.baseUrl.origin,
        { signal, forceRefresh: false },
      );
      this.log(() => ({
        type: "request",
        method: "GET",
        url: redactUrl(url),
        attempt: 1,
        headers: redactHeaders({ ...headers, range: `bytes=${options.start}-${options.end}` }),
      }));
      if (options.onRequest) {
        try {
          options.onRequest({ service: this.service, method: "GET", url: redactUrl(url), attempt: 1 });
        } catch {
          // an observer must not fail the request
        }
      }
      const outcome = await readRangeOverSocket({
        url,
        headers,
        start: options.start,
        end: options.end,
        total: options.total,
        tls: tlsConnectOptions(this.options),
        headersTimeoutMs: timeoutMs,
        bodyTimeoutMs: options.bodyTimeoutMs ?? timeoutMs,
        signal,
        write: options.write,
      });
      this.log(() => ({
        type: "response",
        method: "GET",
        url: redactUrl(url),
        attempt: 1,
        status: outcome.kind === "done" ? 206 : (outcome.status ?? 0),
        durationMs: Date.now() - started,
      }));
      return outcome;
    } catch (err) {
      if (err instanceof SinkError) throw err.error;
      throw toTransportError(err, describe, stopReason());
    }
  }

  /** Closes the connection pool if this client created it. */
  async close(): Promise<void> {
    if (!this.ownsDispatcher) return;
    if (this.dispatcherPromise) await (await this.dispatcherPromise).close();
    this.dispatcherPromise = undefined;
    this.dispatcher = undefined;
  }

  private async buildHeaders(
    options: RequestOptions,
    sameOrigin: boolean,
    auth: AuthRequestContext,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = { "user-agent": this.ua };
    for (const [k, v] of Object.entries(this.options.headers ?? {})) headers[k.toLowerCase()] = v;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      // A secret given as a header (`x-api-key`, `authorization`, ...) is redacted like the client's own credentials.
      if (isSecretHeader(k)) registerSecretHeaderValue(v);
      headers[k.toLowerCase()] = v;
    }
    // Credentials only go to the configured origin, never to a URL on another host.
    if (this.options.credentials && sameOrigin && headers.authorization === undefined) {
      const authHeaders = await (this.options.credentials as CredentialProvider).getAuthHeaders(auth);
      for (const [k, v] of Object.entries(authHeaders)) {
        headers[k.toLowerCase()] = v;
        // Whatever a provider sends is secret, even if a server echoes it back in an error body.
        registerSecretHeaderValue(v);
      }
    }
    return headers;
  }

  private buildBody(options: RequestOptions): string | Uint8Array | Readable | undefined {
    if (options.json !== undefined) return JSON.stringify(options.json);
    const body = options.body;
    if (body === undefined) return undefined;
    const value = typeof body === "function" ? body() : body;
    if (typeof value === "string" || value instanceof Uint8Array || value instanceof Readable) return value;
    return Readable.from(value);
  }

  private async errorFailure(
    method: HttpMethod,
    url: URL,
    status: number,
    headers: Record<string, string>,
    body: Readable,
    policy: RetryOptions,
  ): Promise<AttemptFailure> {
    let bodyText = "";
    try {
      bodyText = (await readBody(body, MAX_ERROR_BODY)).toString("utf8");
    } catch {
      // the body of an error response is informative only
    }
    let bodyJson: unknown;
    try {
      bodyJson = bodyText.length > 0 ? JSON.parse(bodyText) : undefined;
    } catch {
      bodyJson = undefined;
    }
    const retryAfterMs = parseRetryAfter(headers["retry-after"]);
    const requestId = REQUEST_ID_HEADERS.map((h) => headers[h]).find((v) => v !== undefined);
    const info: ErrorResponseInfo = {
      service: this.service,
      method,
      url: url.toString(),
      status,
      headers,
      bodyText,
      bodyJson,
      requestId,
      retryAfterSeconds: retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
    };
    const mapped = this.options.mapError?.(info);
    const error = mapped?.error ?? defaultApiError(info);
    const retryable = mapped?.retryable ?? policy.statuses.includes(status);
    this.log(() => ({
      type: "error",
      method,
      url: redactUrl(url),
      attempt: 0,
      status,
      message: error.message,
    }));
    // A service may say how long to wait in its error body (Kubernetes: details.retryAfterSeconds).
    const waitMs =
      retryAfterMs ?? (error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000);
    return { error, retryable, retryAfterMs: waitMs, unauthorized: status === 401 };
  }

  /** Emits a debug event; the event is only built when a logger is configured. */
  private log(build: () => HttpLogEvent): void {
    if (!this.options.logger) return;
    try {
      const event = build();
      this.options.logger({ ...event, ...(event.message ? { message: redactText(event.message) } : {}) });
    } catch {
      // a failing logger must not fail the request
    }
  }
}

/** Node TLS connect options from the client's TLS settings, or undefined when there are none. */
function tlsConnectOptions(options: HttpClientOptions): Record<string, unknown> | undefined {
  const { insecureTls, ca, clientCert, clientKey, servername } = options;
  if (!insecureTls && !ca && !clientCert && !servername) return undefined;
  return {
    rejectUnauthorized: !insecureTls,
    ...(ca ? { ca } : {}),
    ...(clientCert ? { cert: clientCert, key: clientKey } : {}),
    ...(servername ? { servername } : {}),
  };
}

/** Parses and checks a proxy URL; its password is registered for redaction. Throws ConfigError. */
function parseProxyUrl(raw: string, service: string): URL {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    throw new ConfigError(`The ${service} proxy URL "${redactUrl(raw)}" contains control characters`, {
      hint: "Remove them (tab, newline, NUL, ...); a URL never holds them",
    });
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`Invalid ${service} proxy URL "${redactUrl(raw)}"`, {
      hint: "Use http://host:port, https://host:port or socks5://host:port",
    });
  }
  if (!["http:", "https:", "socks5:"].includes(url.protocol)) {
    throw new ConfigError(`Unsupported ${service} proxy URL scheme "${url.protocol}"`, {
      hint: "Use an http://, https:// or socks5:// proxy URL",
    });
  }
  registerSecret(url.password);
  for (const [part, value] of [
    ["user name", url.username],
    ["password", url.password],
  ] as const) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      throw new ConfigError(
        `The ${service} proxy URL "${redactUrl(raw)}" has a ${part} that is not valid percent-encoding`,
        { hint: "Write a % in the user name or password as %25 (percent-encode it)" },
      );
    }
    if (part === "password") registerSecret(decoded);
  }
  return url;
}

/**
 * The default mapping of an error response: common JSON error shapes, then the status class. A
 * redirect (3xx with Location) is never followed: it becomes an ApiError naming where it pointed.
 */
export function defaultApiError(info: ErrorResponseInfo): ApiError {
  const body = (info.bodyJson ?? {}) as Record<string, unknown>;
  const firstError = Array.isArray(body.errors)
    ? (body.errors[0] as Record<string, unknown> | undefined)
    : undefined;
  const serviceCode = pickString(
    body.error_code,
    body.code,
    firstError?.code,
    typeof body.error === "string" ? body.error : undefined,
  );
  const serviceMessage =
    pickString(
      body.message,
      body.error_description,
      firstError?.message,
      (body.error as Record<string, unknown> | undefined)?.message,
    ) ?? (info.bodyJson === undefined && info.bodyText ? redactedExcerpt(info.bodyText, 300) : undefined);
  const location = info.status >= 300 && info.status < 400 ? info.headers.location : undefined;
  return createApiError({
    service: info.service,
    status: info.status,
    method: info.method,
    url: info.url,
    serviceCode,
    serviceMessage:
      location !== undefined ? `redirect to ${redactedExcerpt(redactUrl(location), 500)}` : serviceMessage,
    requestId: info.requestId,
    retryAfterSeconds: info.retryAfterSeconds,
    ...(location !== undefined
      ? {
          hint: "modeltrail does not follow redirects, so that credentials never go to another address; configure the client with the address the server redirects to",
        }
      : {}),
  });
}

/** Why a `maxResponseBytes` value is unusable, or undefined when it is fine. */
function maxResponseBytesProblem(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    return `expected a whole number of bytes of at least 1, got ${String(value)}`;
  if (value > MAX_RESPONSE_BYTES_LIMIT)
    return `${value} is over ${MAX_RESPONSE_BYTES_LIMIT}, the longest string a body read into memory can become; stream the body instead`;
  return undefined;
}

function pickString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === "string" && v.length > 0) return v;
  return undefined;
}

/**
 * One call's abort signal: the caller's `signal` and, with `deadlineMs`, a deadline timer, combined;
 * `stopReason` says afterwards which of them stopped the call (for the error it becomes).
 */
function callSignal(options: { signal?: AbortSignal | undefined; deadlineMs?: number | undefined }): {
  signal: AbortSignal | undefined;
  deadlineSignal: AbortSignal | undefined;
  stopReason: () => StopReason;
} {
  const deadlineSignal =
    options.deadlineMs !== undefined ? AbortSignal.timeout(options.deadlineMs) : undefined;
  const signals = [options.signal, deadlineSignal].filter((s): s is AbortSignal => s !== undefined);
  const signal =
    signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  const stopReason = (): StopReason => ({
    aborted: options.signal?.aborted ?? false,
    deadlineExceeded: deadlineSignal?.aborted === true && !(options.signal?.aborted ?? false),
    deadlineMs: options.deadlineMs,
  });
  return { signal, deadlineSignal, stopReason };
}
