import type { ApiError, DebugLogger, RetryOptions } from "@modeltrail/core";
import {
  createApiError,
  type ErrorResponseInfo,
  HttpClient,
  loadUndiciParts,
} from "@modeltrail/core/internal";
import type { Dispatcher } from "undici";

/** Transport settings of the cloud-storage requests (the client's own, by default). */
export interface StorageTransportOptions {
  /** Timeout of one attempt in ms (default 30 000; a stalled body fails after this long without data). */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
  /** undici dispatcher for storage requests (default: one keep-alive Agent for all of them). */
  dispatcher?: Dispatcher | undefined;
  logger?: DebugLogger | undefined;
  userAgent?: string | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/**
 * Maps an error of a cloud store onto the modeltrail hierarchy: Azure and S3 answer with XML
 * (`<Error><Code>AuthenticationFailed</Code><Message>...`), ADLS Gen2 and GCS with JSON
 * (`{"error":{"code":..., "message":...}}`). Never throws; undefined leaves the default mapping.
 */
export function mapStorageError(info: ErrorResponseInfo): { error: ApiError } | undefined {
  let code: string | undefined;
  let message: string | undefined;
  const xmlCode = /<Code>([^<]{1,200})<\/Code>/.exec(info.bodyText);
  if (xmlCode) {
    code = xmlCode[1];
    message = /<Message>([^<]{1,2000})<\/Message>/.exec(info.bodyText)?.[1]?.split("\n")[0];
  } else if (typeof info.bodyJson === "object" && info.bodyJson !== null) {
    const err = (info.bodyJson as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof err?.code === "string") code = err.code;
    else if (typeof err?.code === "number") code = String(err.code);
    if (typeof err?.message === "string") message = err.message.split("\n")[0];
  }
  code ??= info.headers["x-ms-error-code"];
  if (code === undefined) return undefined;
  const expired = info.status === 403 || info.status === 401;
  return {
    error: createApiError({
      service: info.service,
      status: info.status,
      method: info.method,
      url: info.url,
      serviceCode: code,
      serviceMessage: message,
      requestId: info.requestId,
      retryAfterSeconds: info.retryAfterSeconds,
      ...(expired
        ? {
            hint: "The signed URI was refused: it may have expired or lack a permission; fetch new credentials and retry",
          }
        : {}),
    }),
  };
}

/**
 * The HTTP side of cloud-storage transfers: one connection pool (created on first use), and an
 * HttpClient per signed URI that sends the credential's headers with every request. No modeltrail
 * or workspace credentials are ever sent to a store.
 */
export class StorageTransport {
  private agent: Dispatcher | undefined;
  private readonly owned: boolean;

  constructor(private readonly options: StorageTransportOptions = {}) {
    this.agent = options.dispatcher;
    this.owned = options.dispatcher === undefined;
  }

  /** An HttpClient for requests on `signedUri` (absolute URLs), sending `headers` with each. */
  async client(signedUri: string, headers: Record<string, string> = {}): Promise<HttpClient> {
    if (this.agent === undefined) {
      const { Agent } = await loadUndiciParts();
      this.agent ??= new Agent({ keepAliveTimeout: 10_000, connections: 64 });
    }
    const o = this.options;
    return new HttpClient({
      baseUrl: new URL(signedUri).origin,
      service: "cloud-storage",
      dispatcher: this.agent,
      headers,
      mapError: mapStorageError,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.userAgent ? { userAgent: o.userAgent } : {}),
      ...(o.sleep ? { sleep: o.sleep } : {}),
    } as ConstructorParameters<typeof HttpClient>[0]);
  }

  /** Closes the connection pool if this transport created it. */
  async close(): Promise<void> {
    if (this.owned && this.agent) await this.agent.close();
    if (this.owned) this.agent = undefined;
  }
}
