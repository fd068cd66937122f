import type { ApiErrorKind } from "@modeltrail/core";
import { createApiError, type ErrorResponseInfo, redactedExcerpt } from "@modeltrail/core/internal";

/**
 * Messages the official Databricks SDKs (Go, Python, Java) treat as transient: the request reached
 * a workspace whose backend was not ready, and the same request succeeds a little later.
 */
export const DATABRICKS_TRANSIENT_MESSAGES: ReadonlyArray<RegExp> = Object.freeze([
  /com\.databricks\.backend\.manager\.util\.UnknownWorkerEnvironmentException/,
  /does not have any associated worker environments/,
  /There is no worker environment with id/,
  /Unknown worker environment/,
  /ClusterNotReadyException/,
  /worker env .* not found/,
  /Timed out after /,
  /deadline exceeded/,
  /Unexpected error/,
  /Please try again later or try a faster operation\./,
  /RPC token bucket limit has been exceeded/,
]);

/** Databricks `error_code` values whose meaning differs from (or refines) the HTTP status. */
const ERROR_CODE_KINDS: Readonly<Record<string, ApiErrorKind>> = {
  RESOURCE_DOES_NOT_EXIST: "not-found",
  NOT_FOUND: "not-found",
  RESOURCE_ALREADY_EXISTS: "conflict",
  ALREADY_EXISTS: "conflict",
  RESOURCE_CONFLICT: "conflict",
  ABORTED: "conflict",
  PERMISSION_DENIED: "forbidden",
  UNAUTHENTICATED: "unauthorized",
  RESOURCE_EXHAUSTED: "rate-limited",
  REQUEST_LIMIT_EXCEEDED: "rate-limited",
  TOO_MANY_REQUESTS: "rate-limited",
  TEMPORARILY_UNAVAILABLE: "server",
  INTERNAL_ERROR: "server",
  DEADLINE_EXCEEDED: "server",
  DATA_LOSS: "server",
  UNKNOWN: "server",
};

/**
 * Endpoints that answer "does not exist" with HTTP 400 `INVALID_PARAMETER_VALUE` instead of 404,
 * with the message that identifies it (the same overrides as the official SDKs).
 */
const NOT_FOUND_OVERRIDES: ReadonlyArray<{ path: RegExp; message: RegExp }> = [
  { path: /\/api\/2\.\d\/jobs\/get$/, message: /Job .* does not exist/ },
  {
    path: /\/api\/2\.\d\/jobs\/runs\/get(-output)?$/,
    message: /(Run .* does not exist|Run: .* in job: .* doesn't exist)/,
  },
];

/** The parts of a Databricks error body: `{ error_code, message }` (plus older shapes). */
export interface DatabricksErrorBody {
  errorCode: string | undefined;
  message: string | undefined;
}

/**
 * Reads a Databricks error body. Understands the standard `{ error_code, message }` shape, the
 * API 1.2 `{ error }` shape, SCIM's `{ detail, status }` and a plain `ERROR_CODE: message` text.
 * Never throws.
 */
export function parseDatabricksErrorBody(bodyJson: unknown, bodyText: string): DatabricksErrorBody {
  if (bodyJson !== null && typeof bodyJson === "object" && !Array.isArray(bodyJson)) {
    const body = bodyJson as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
    let errorCode = str(body.error_code);
    let message = str(body.message) ?? str(body.error);
    const detail = str(body.detail);
    if (detail !== undefined) {
      message = [str(body.scimType), detail === "null" ? "SCIM API Internal Error" : detail]
        .filter(Boolean)
        .join(" ");
      if (body.status !== undefined) errorCode = `SCIM_${String(body.status)}`;
    }
    return { errorCode, message };
  }
  const match = /^([A-Z_]+): (.*)$/s.exec(bodyText.trim());
  if (match) return { errorCode: match[1], message: match[2] };
  const text = bodyText.trim();
  return { errorCode: undefined, message: text.length > 0 ? redactedExcerpt(text, 300) : undefined };
}

/** True when a Databricks error message is one the official SDKs retry (see `DATABRICKS_TRANSIENT_MESSAGES`). */
export function isTransientDatabricksMessage(message: string | undefined): boolean {
  return message !== undefined && DATABRICKS_TRANSIENT_MESSAGES.some((re) => re.test(message));
}

/**
 * Maps a Databricks error response onto the modeltrail error hierarchy, for `HttpClient`'s
 * `mapError`: `RESOURCE_DOES_NOT_EXIST` and the 400 "Job/Run ... does not exist" answers of
 * `jobs/get` and `jobs/runs/get` become NotFoundError, `RESOURCE_ALREADY_EXISTS` ConflictError,
 * `PERMISSION_DENIED` ForbiddenError, and so on. Transient messages (see
 * `DATABRICKS_TRANSIENT_MESSAGES`) are declared retryable; otherwise the transport decides from the
 * status (429 and 5xx are retried). Never throws.
 */
export function mapDatabricksError(info: ErrorResponseInfo): {
  error: ReturnType<typeof createApiError>;
  retryable?: boolean;
} {
  const { errorCode, message } = parseDatabricksErrorBody(info.bodyJson, info.bodyText);
  let kind: ApiErrorKind | undefined = errorCode ? ERROR_CODE_KINDS[errorCode] : undefined;
  if (info.status === 400 && errorCode === "INVALID_PARAMETER_VALUE" && message !== undefined) {
    const path = safePathname(info.url);
    if (NOT_FOUND_OVERRIDES.some((o) => o.path.test(path) && o.message.test(message))) kind = "not-found";
  }
  const error = createApiError(
    {
      service: info.service,
      status: info.status,
      method: info.method,
      url: info.url,
      serviceCode: errorCode,
      serviceMessage: message,
      requestId: info.requestId,
      retryAfterSeconds: info.retryAfterSeconds,
      ...(kind === "not-found" && info.status !== 404
        ? { hint: "Check the id; the job or run may have been deleted or belong to another workspace" }
        : {}),
    },
    kind,
  );
  return isTransientDatabricksMessage(message) ? { error, retryable: true } : { error };
}

function safePathname(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
