import {
  ConfigError,
  type CredentialProvider,
  type DebugLogger,
  HttpClient,
  type HttpClientTestHooks,
  type RetryOptions,
  registerSecret,
} from "@modeltrail/core";
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
  /** Receives redacted debug events of every request. */
  logger?: DebugLogger | undefined;
  /** Product token appended to the user agent, e.g. `my-ci/1.0`. */
  userAgent?: string | undefined;
}

/** Options of `DatabricksClient.fromEnv`. */
export interface DatabricksClientFromEnvOptions extends Omit<DatabricksClientOptions, "host"> {
  /** Overrides `DATABRICKS_HOST`. */
  host?: string | undefined;
  /** The environment to read (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * A Databricks workspace client for the Jobs API 2.2: `client.jobs` (create, reset, update, get,
 * list, delete, run-now) and `client.runs` (submit, get, get-output, cancel, list). It holds one
 * connection pool (close it with `close()`); Databricks error bodies are mapped onto the modeltrail
 * error hierarchy (see `mapDatabricksError`); idempotent requests are retried on 429/5xx with
 * Retry-After and on the transient messages the official SDKs retry.
 */
export class DatabricksClient {
  /** The workspace URL, normalised (`https://host`, no trailing slash). */
  readonly host: string;
  /** The HTTP transport (service name `databricks`), for endpoints this client does not wrap. */
  readonly http: HttpClient;
  /** Jobs: create, reset, update, get, list, delete, run-now. */
  readonly jobs: JobsApi;
  /** Job runs: submit, get, get-output, cancel, list. */
  readonly runs: RunsApi;

  /** Creates a client. Throws ConfigError when `host` is missing or not a URL. */
  constructor(options: DatabricksClientOptions) {
    this.host = normalizeDatabricksHost(options.host);
    let credentials = options.credentials;
    if (!credentials && options.token !== undefined) credentials = patCredentials(options.token);
    this.http = new HttpClient({
      baseUrl: this.host,
      service: "databricks",
      credentials,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
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
   * Creates a client from the environment: `DATABRICKS_HOST` and a personal access token in
   * `DATABRICKS_TOKEN` (explicit options win). Throws ConfigError naming the missing variable.
   */
  static async fromEnv(options: DatabricksClientFromEnvOptions = {}): Promise<DatabricksClient> {
    const env = options.env ?? process.env;
    const host = options.host ?? env.DATABRICKS_HOST;
    if (!host)
      throw new ConfigError("No Databricks workspace URL configured", { sources: ["DATABRICKS_HOST"] });
    const token = options.token ?? env.DATABRICKS_TOKEN;
    if (!options.credentials && !token)
      throw new ConfigError(
        "No Databricks credentials configured: tried explicit credentials and a personal access token",
        { sources: ["DATABRICKS_TOKEN"] },
      );
    return new DatabricksClient({ ...options, host, token });
  }

  /** Closes the connection pool (when the client created it). */
  async close(): Promise<void> {
    await this.http.close();
  }
}

/**
 * Normalises a workspace URL: adds `https://` to a bare host name and removes trailing slashes.
 * Throws ConfigError when it is empty or not a URL.
 */
export function normalizeDatabricksHost(host: string | undefined): string {
  const raw = (host ?? "").trim();
  if (raw === "")
    throw new ConfigError("No Databricks workspace URL configured", { sources: ["DATABRICKS_HOST"] });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`Invalid Databricks workspace URL "${raw}"`, {
      hint: "Use the workspace URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net",
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function patCredentials(token: string): CredentialProvider {
  const value = token.trim();
  if (value === "") throw new ConfigError("The Databricks token is empty", { sources: ["DATABRICKS_TOKEN"] });
  registerSecret(value);
  return { kind: "pat", getAuthHeaders: async () => ({ authorization: `Bearer ${value}` }) };
}
