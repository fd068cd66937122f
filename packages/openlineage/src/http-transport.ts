import {
  bearerToken,
  type CallOptions,
  ConfigError,
  type CredentialProvider,
  type RetryOptions,
} from "@modeltrail/core";
import { HttpClient } from "@modeltrail/core/internal";
import type { RunEvent } from "./run-event.js";

/** Options of {@link OpenLineageHttpTransport}. */
export interface OpenLineageHttpTransportOptions {
  /** Base URL of the OpenLineage endpoint's server, e.g. Marquez `http://marquez:5000`. */
  url: string;
  /** Path of the endpoint (default `/api/v1/lineage`, Marquez's; OpenLineage's spec names `/api/v1/lineage` too). */
  endpoint?: string | undefined;
  /**
   * API key, sent as `Authorization: Bearer <key>` as OpenLineage's own clients send their
   * `api_key` auth. Registered for redaction.
   */
  apiKey?: string | undefined;
  /** Any other authentication (bearer token source, OAuth2, ...); takes precedence over `apiKey`. */
  credentials?: CredentialProvider | undefined;
  /** Headers sent with every request (a secret one, e.g. `x-api-key`, is redacted from errors). */
  headers?: Record<string, string> | undefined;
  /** Timeout of one attempt in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** Retry policy overrides (default: core's, with retries on 429, 5xx and network errors). */
  retry?: Partial<RetryOptions> | undefined;
  /** An undici dispatcher (tests, proxies). */
  dispatcher?: ConstructorParameters<typeof HttpClient>[0]["dispatcher"];
}

/**
 * Sends RunEvents to an OpenLineage HTTP endpoint (Marquez `POST /api/v1/lineage`) over core's
 * transport: timeouts, retries with backoff (a POST of an event is safe to repeat: the run id and
 * event type make it idempotent for the backend), typed errors (`ApiError` subclasses for error
 * statuses, `TimeoutError`, `NetworkError`, `AbortError`) with secrets redacted.
 *
 * Throws ConfigError from the constructor for a URL that is not http(s) or an empty API key.
 */
export class OpenLineageHttpTransport {
  private readonly http: HttpClient;
  private readonly endpoint: string;

  constructor(options: OpenLineageHttpTransportOptions) {
    if (options.apiKey !== undefined && options.apiKey.trim() === "")
      throw new ConfigError("The OpenLineage API key is empty", {
        hint: "Pass the key, or leave apiKey out",
      });
    const endpoint = options.endpoint ?? "/api/v1/lineage";
    if (!endpoint.startsWith("/") || /[?#]/.test(endpoint))
      throw new ConfigError(`Invalid OpenLineage endpoint path "${endpoint}"`, {
        hint: "Pass a path starting with /, e.g. /api/v1/lineage",
      });
    this.endpoint = endpoint;
    this.http = new HttpClient({
      baseUrl: options.url,
      service: "openlineage",
      headers: options.headers,
      credentials: options.credentials ?? (options.apiKey ? bearerToken(options.apiKey.trim()) : undefined),
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  /**
   * POSTs one event. Resolves when the endpoint answered 2xx. Every per-call option goes to the
   * transport. Throws ApiError (e.g. 401 AuthenticationError, 400 with the endpoint's message),
   * TimeoutError, NetworkError or AbortError.
   */
  async emit(event: RunEvent, options: CallOptions = {}): Promise<void> {
    const res = await this.http.request({
      ...options,
      method: "POST",
      path: this.endpoint,
      json: event,
      retrySafe: true,
    });
    await res.text();
  }

  /** Closes the connections this transport opened. Never throws. */
  async close(): Promise<void> {
    await this.http.close();
  }
}
