import { readFileSync } from "node:fs";
import {
  basicAuth,
  bearerToken,
  ConfigError,
  type CredentialProvider,
  type DatabricksAuthOptions,
  resolveDatabricksAuth,
} from "@modeltrail/core";
import { redactUrl, registerSecret } from "@modeltrail/core/internal";

/** Where the client's settings come from: explicit options win over the environment. */
export interface MlflowConnectionOptions {
  /** Tracking server URI: `http(s)://host[:port][/prefix]`, `databricks` or `databricks://PROFILE` (`MLFLOW_TRACKING_URI`). */
  trackingUri?: string | undefined;
  /** Bearer token (`MLFLOW_TRACKING_TOKEN`). */
  token?: string | undefined;
  /** Basic auth user (`MLFLOW_TRACKING_USERNAME`). */
  username?: string | undefined;
  /** Basic auth password (`MLFLOW_TRACKING_PASSWORD`). */
  password?: string | undefined;
  /** A credential provider; overrides token and basic auth. */
  credentials?: CredentialProvider | undefined;
  /** Skip TLS certificate verification (`MLFLOW_TRACKING_INSECURE_TLS`). */
  insecureTls?: boolean | undefined;
  /** PEM file with the CA to trust (`MLFLOW_TRACKING_SERVER_CERT_PATH`). */
  serverCertPath?: string | undefined;
  /** Options for Databricks auth resolution when the URI is `databricks[://PROFILE]`. */
  databricks?: DatabricksAuthOptions | undefined;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
}

/** Connection settings after resolution. */
export interface ResolvedMlflowConnection {
  /** `http` for a tracking server, `databricks` for a Databricks workspace. */
  kind: "http" | "databricks";
  /** Base URL of the REST API (scheme, host, port and path prefix; no credentials). */
  baseUrl: string;
  /** The tracking URI as configured, redacted. */
  trackingUri: string;
  /** Authentication, when configured. */
  credentials: CredentialProvider | undefined;
  /** Skip TLS verification. */
  insecureTls: boolean;
  /** CA bundle contents. */
  ca: Buffer | undefined;
  /** The Databricks config profile, for `databricks://PROFILE`. */
  databricksProfile?: string | undefined;
}

const URI_VAR = "MLFLOW_TRACKING_URI";

/** Splits `databricks` / `databricks://PROFILE` URIs; undefined for anything else. */
export function parseDatabricksTrackingUri(uri: string): { profile: string | undefined } | undefined {
  if (uri === "databricks") return { profile: undefined };
  const m = /^databricks:\/\/([^/:]*)(?::[^/]*)?\/?$/.exec(uri);
  if (!m) return undefined;
  return { profile: m[1] === "" ? undefined : m[1] };
}

/**
 * Resolves the connection settings of an HTTP(S) tracking server synchronously.
 * Throws ConfigError when `MLFLOW_TRACKING_URI` is missing, not http(s) (local stores such as
 * `file:` or `sqlite:` are not reachable over REST), a Databricks URI (use `resolveMlflowConnection`),
 * or when the TLS or basic auth settings are inconsistent.
 */
export function resolveHttpConnection(options: MlflowConnectionOptions = {}): ResolvedMlflowConnection {
  const env = options.env ?? process.env;
  const raw = (options.trackingUri ?? env[URI_VAR] ?? "").trim();
  if (raw === "") {
    throw new ConfigError("No MLflow tracking server configured", { sources: [URI_VAR] });
  }
  if (parseDatabricksTrackingUri(raw)) {
    throw new ConfigError(
      `The tracking URI "${raw}" points at Databricks, whose credentials are resolved asynchronously`,
      { hint: "Use `await MlflowClient.fromEnv()` (or resolveMlflowConnection) instead of the constructor" },
    );
  }
  // The URL parser silently drops tabs, newlines and trailing control characters: refuse, don't repair.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    throw new ConfigError(
      `${options.trackingUri !== undefined ? "The trackingUri option" : URI_VAR} ("${displayUri(raw)}") contains control characters (tab, newline, NUL, ...)`,
      {
        sources: options.trackingUri !== undefined ? [] : [URI_VAR],
        hint: "Remove them; a URL never holds them",
      },
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw notHttp(raw);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw notHttp(raw);

  let credentials = options.credentials;
  // Credentials embedded in the URI (`https://user:pass@host`) become basic auth and leave the URL.
  let uriUser: string | undefined;
  let uriPassword: string | undefined;
  if (url.username || url.password) {
    registerSecret(url.password);
    uriUser = decodeUserinfo(url.username, "user name", raw, options.trackingUri !== undefined);
    uriPassword = decodeUserinfo(url.password, "password", raw, options.trackingUri !== undefined);
    registerSecret(uriPassword);
    url.username = "";
    url.password = "";
  }
  const token = options.token ?? env.MLFLOW_TRACKING_TOKEN;
  const username = options.username ?? env.MLFLOW_TRACKING_USERNAME ?? uriUser;
  const password = options.password ?? env.MLFLOW_TRACKING_PASSWORD ?? uriPassword;
  registerSecret(token);
  registerSecret(password);
  if (!credentials) {
    if (username && password !== undefined && password !== "") {
      credentials = basicAuth(username, password);
    } else if (username && !password) {
      throw new ConfigError("MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not", {
        sources: ["MLFLOW_TRACKING_PASSWORD"],
      });
    } else if (password && !username) {
      throw new ConfigError("MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not", {
        sources: ["MLFLOW_TRACKING_USERNAME"],
      });
    } else if (token && token.trim() !== "") {
      credentials = bearerToken(token);
    }
  }

  const insecureTls =
    options.insecureTls ?? parseBool(env.MLFLOW_TRACKING_INSECURE_TLS, "MLFLOW_TRACKING_INSECURE_TLS");
  const certPath = options.serverCertPath ?? nonEmpty(env.MLFLOW_TRACKING_SERVER_CERT_PATH);
  if (insecureTls && certPath) {
    throw new ConfigError(
      "MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both set; they contradict each other",
      { hint: "Unset MLFLOW_TRACKING_INSECURE_TLS to verify the server with the given certificate" },
    );
  }
  let ca: Buffer | undefined;
  if (certPath) {
    try {
      ca = readFileSync(certPath);
    } catch (err) {
      throw new ConfigError(`Cannot read the server certificate "${certPath}"`, {
        sources: ["MLFLOW_TRACKING_SERVER_CERT_PATH"],
        hint: "Point MLFLOW_TRACKING_SERVER_CERT_PATH at a readable PEM file",
        cause: err,
      });
    }
  }

  return {
    kind: "http",
    baseUrl: url.toString().replace(/\/+$/, ""),
    trackingUri: displayUri(raw),
    credentials,
    insecureTls,
    ca,
  };
}

/**
 * Resolves the connection settings from options and the `MLFLOW_TRACKING_*` environment variables.
 * `databricks` and `databricks://PROFILE` use core's Databricks unified auth (PAT, OAuth M2M, Azure
 * service principal, `~/.databrickscfg` profiles). Throws ConfigError naming the variable that is
 * missing or malformed.
 */
export async function resolveMlflowConnection(
  options: MlflowConnectionOptions = {},
): Promise<ResolvedMlflowConnection> {
  const env = options.env ?? process.env;
  const raw = (options.trackingUri ?? env[URI_VAR] ?? "").trim();
  const databricks = parseDatabricksTrackingUri(raw);
  if (!databricks) return resolveHttpConnection(options);
  const auth = await resolveDatabricksAuth({
    env,
    ...(databricks.profile ? { profile: databricks.profile } : {}),
    ...options.databricks,
  });
  return {
    kind: "databricks",
    baseUrl: auth.host.replace(/\/+$/, ""),
    trackingUri: raw,
    credentials: options.credentials ?? auth.provider,
    insecureTls: options.insecureTls ?? false,
    ca: undefined,
    databricksProfile: databricks.profile,
  };
}

function notHttp(raw: string): ConfigError {
  return new ConfigError(
    `MLFLOW_TRACKING_URI "${displayUri(raw)}" is not an http(s) tracking server, "databricks" or "databricks://PROFILE"`,
    {
      sources: [URI_VAR],
      hint: "modeltrail talks to a tracking server over REST; start `mlflow server` and set MLFLOW_TRACKING_URI=http://host:port",
    },
  );
}

/**
 * Percent-decodes the user name or password of a tracking URI. Throws ConfigError naming the setting
 * (never the value) when it is not valid percent-encoding, e.g. a `%` that is not followed by two hex digits.
 */
function decodeUserinfo(value: string, part: string, raw: string, explicit: boolean): string {
  try {
    return decodeURIComponent(value);
  } catch {
    const where = explicit ? "The trackingUri option" : URI_VAR;
    throw new ConfigError(
      `${where} ("${displayUri(raw)}") has a ${part} that is not valid percent-encoding`,
      {
        sources: explicit ? [] : [URI_VAR],
        hint: "Write a % in the user name or password as %25 (percent-encode it), or set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD instead of putting them in the URI",
      },
    );
  }
}

/** A tracking URI as shown in messages: its password (whatever characters it holds) redacted. */
function displayUri(raw: string): string {
  return redactUrl(raw);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** Parses a boolean env var like MLflow does (`true`/`false`/`1`/`0`, case-insensitive). */
function parseBool(value: string | undefined, name: string): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return false;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ConfigError(`${name}="${value}" is not a boolean`, {
    sources: [name],
    hint: `Set ${name} to true or false`,
  });
}
