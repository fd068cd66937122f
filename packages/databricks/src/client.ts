import {
  bearerToken,
  ConfigError,
  type CredentialProvider,
  type DatabricksAuthOptions,
  type DebugLogger,
  type RetryOptions,
  resolveDatabricksAuth,
} from "@modeltrail/core";
import { HttpClient, type HttpClientTestHooks, normalizeDatabricksHost } from "@modeltrail/core/internal";
import type { Dispatcher } from "undici";
import { mapDatabricksError } from "./errors.js";
import { JobsApi } from "./jobs-api.js";
import { RunsApi } from "./runs-api.js";

/** Options of `DatabricksClient`. */
export interface DatabricksClientOptions extends HttpClientTestHooks {
  /** Workspace URL, e.g. `https://adb-123.4.azuredatabricks.net` (a bare host name gets `https://`). */
  host: string;
  /** How requests authenticate (a PAT, OAuth M2M, Azure AD... provider from @modeltrail/core). */
  credentials?: CredentialProvider | undefined;
  /** A personal access token; shorthand for a bearer credential provider. Ignored when `credentials` is set. */
  token?: string | undefined;
  /** undici dispatcher (tests, proxies). Default: a keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher | undefined;
  /** Retry policy overrides (default: 4 retries on 408/429/5xx and resets, Retry-After honoured). */
  retry?: Partial<RetryOptions> | undefined;
  /** Timeout of one request attempt in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /**
   * Largest response body read into memory (JSON answers such as listings) in bytes (default
   * 64 MiB); a larger one fails with ResponseTooLargeError. Per call: `maxResponseBytes` in the
   * call options.
   */
  maxResponseBytes?: number | undefined;
  /** Receives redacted debug events of every request. */
  logger?: DebugLogger | undefined;
  /** Product token appended to the user agent, e.g. `my-ci/1.0`. */
  userAgent?: string | undefined;
}

/**
 * Options of `DatabricksClient.fromEnv`: the unified-auth settings of `resolveDatabricksAuth`
 * (`host`, `token`, `clientId`/`clientSecret`, `azureClientId`/`azureClientSecret`/`azureTenantId`,
 * `profile`, `configFile`, `authType`, `env`...), each overriding its environment variable and
 * config file key, plus the client options.
 */
export type DatabricksClientFromEnvOptions = Omit<DatabricksClientOptions, "host" | "token" | "retry"> &
  DatabricksAuthOptions;

/**
 * A Databricks workspace client for the Jobs API 2.2: `client.jobs` (create, reset, update, get,
 * list, delete, run-now) and `client.runs` (submit, get, get-output, cancel, list). It holds one
 * connection pool (close it with `close()`); Databricks error bodies are mapped onto the modeltrail
 * error hierarchy (see `mapDatabricksError`); idempotent requests are retried on 429/5xx with
 * Retry-After and on the transient messages the official SDKs retry.
 */
export class DatabricksClient {
  /** The workspace URL, normalised to its origin (`https://host[:port]`; see core's `normalizeDatabricksHost`). */
  readonly host: string;
  /** The HTTP transport (service name `databricks`), for endpoints this client does not wrap. */
  readonly http: HttpClient;
  /** Jobs: create, reset, update, get, list, delete, run-now. */
  readonly jobs: JobsApi;
  /** Job runs: submit, get, get-output, cancel, list. */
  readonly runs: RunsApi;
  private resolvedAuthType: string | undefined;
  private ownedCredentials: CredentialProvider | undefined;

  /** Creates a client. Throws ConfigError when `host` is missing, not a URL or not http(s). */
  constructor(options: DatabricksClientOptions) {
    this.host = normalizeDatabricksHost(options.host);
    let credentials = options.credentials;
    if (!credentials && options.token !== undefined)
      credentials = bearerToken(options.token, { kind: "pat" });
    this.resolvedAuthType = credentials?.kind;
    this.http = new HttpClient({
      baseUrl: this.host,
      service: "databricks",
      credentials,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
      mapError: mapDatabricksError,
    });
    this.jobs = new JobsApi(this.http);
    this.runs = new RunsApi(this.http);
  }

  /**
   * Creates a client with credentials resolved as the official Databricks SDKs resolve them (core's
   * `resolveDatabricksAuth`): explicit options, then `DATABRICKS_HOST` with `DATABRICKS_TOKEN` (PAT),
   * `DATABRICKS_USERNAME`/`DATABRICKS_PASSWORD` (basic), `DATABRICKS_CLIENT_ID`/
   * `DATABRICKS_CLIENT_SECRET` (OAuth M2M) or `ARM_CLIENT_ID`/`ARM_CLIENT_SECRET` (Azure service
   * principal), then a `~/.databrickscfg` profile when one is named (`DATABRICKS_CONFIG_PROFILE`) or
   * nothing else is set. Several methods at once need `DATABRICKS_AUTH_TYPE`. No request is made
   * until the first API call, except to find the workspace URL from `DATABRICKS_AZURE_RESOURCE_ID`
   * when no host is set.
   *
   * @throws ConfigError listing every method tried and what it lacked, or naming the methods
   * configured at once; errors of `resolveDatabricksAuth`.
   */
  static async fromEnv(options: DatabricksClientFromEnvOptions = {}): Promise<DatabricksClient> {
    if (options.credentials) {
      const host = options.host ?? (options.env ?? process.env).DATABRICKS_HOST;
      if (!host)
        throw new ConfigError("No Databricks workspace URL configured", { sources: ["DATABRICKS_HOST"] });
      return new DatabricksClient({ ...options, host, credentials: options.credentials });
    }
    const auth = await resolveDatabricksAuth(options);
    const client = new DatabricksClient({ ...options, host: auth.host, credentials: auth.provider });
    client.resolvedAuthType = auth.authType;
    client.ownedCredentials = auth.provider;
    return client;
  }

  /** The auth method in use: `pat`, `basic`, `oauth-m2m`, `azure-client-secret`, or the provider's `kind`. */
  get authType(): string | undefined {
    return this.resolvedAuthType;
  }

  /** Closes the connection pool (when the client created it) and the credential provider `fromEnv` created. */
  async close(): Promise<void> {
    await this.http.close();
    await this.ownedCredentials?.close?.();
  }
}
