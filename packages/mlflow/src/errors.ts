import type { ApiError, ApiErrorKind } from "@modeltrail/core";
import {
  createApiError,
  type ErrorResponseInfo,
  redactedExcerpt,
  redactText,
} from "@modeltrail/core/internal";

/**
 * How MLflow's `error_code` values map onto the modeltrail error kinds. MLflow sends some codes
 * with a misleading HTTP status (`RESOURCE_ALREADY_EXISTS` arrives as 400), so the code wins.
 */
export const MLFLOW_ERROR_KINDS: Readonly<Record<string, ApiErrorKind>> = Object.freeze({
  RESOURCE_DOES_NOT_EXIST: "not-found",
  NOT_FOUND: "not-found",
  ENDPOINT_NOT_FOUND: "not-found",
  RESOURCE_ALREADY_EXISTS: "conflict",
  ALREADY_EXISTS: "conflict",
  RESOURCE_CONFLICT: "conflict",
  ABORTED: "conflict",
  INVALID_PARAMETER_VALUE: "bad-request",
  INVALID_REQUEST: "bad-request",
  BAD_REQUEST: "bad-request",
  MALFORMED_REQUEST: "bad-request",
  INVALID_STATE: "bad-request",
  PERMISSION_DENIED: "forbidden",
  UNAUTHENTICATED: "unauthorized",
  REQUEST_LIMIT_EXCEEDED: "rate-limited",
  RESOURCE_EXHAUSTED: "rate-limited",
  TEMPORARILY_UNAVAILABLE: "server",
  INTERNAL_ERROR: "server",
  DEADLINE_EXCEEDED: "server",
});

/** MLflow error codes that are worth retrying whatever their HTTP status. */
const RETRYABLE_CODES = new Set(["TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED"]);

/** Hints shown with some MLflow error codes. */
const HINTS: Readonly<Record<string, string>> = {
  RESOURCE_DOES_NOT_EXIST: "Check the name or id; it may have been deleted or belong to another server",
  RESOURCE_ALREADY_EXISTS: "Use the existing resource or choose another name",
  INVALID_PARAMETER_VALUE: "Fix the request parameter the message names",
};

/**
 * Maps an MLflow error response (`{"error_code": "...", "message": "..."}`) onto the modeltrail
 * error hierarchy, for `HttpClient`'s `mapError` option. Returns undefined when the body is not an
 * MLflow error, so that the transport's default mapping applies. Never throws.
 */
export function mapMlflowError(
  info: ErrorResponseInfo,
): { error: ApiError; retryable?: boolean } | undefined {
  const body = info.bodyJson;
  if (typeof body !== "object" || body === null) return undefined;
  const { error_code: code, message } = body as { error_code?: unknown; message?: unknown };
  if (typeof code !== "string" || code === "") return undefined;
  const kind = MLFLOW_ERROR_KINDS[code];
  const error = createApiError(
    {
      service: info.service,
      status: info.status,
      method: info.method,
      url: info.url,
      serviceCode: code,
      serviceMessage: typeof message === "string" ? trimMessage(message) : undefined,
      requestId: info.requestId,
      retryAfterSeconds: info.retryAfterSeconds,
      ...(HINTS[code] ? { hint: HINTS[code] } : {}),
    },
    kind,
  );
  return RETRYABLE_CODES.has(code) ? { error, retryable: true } : { error };
}

/** MLflow messages can carry whole SQL statements; keep the first useful part (redacted before it is cut). */
function trimMessage(message: string): string {
  const safe = redactText(message);
  const cut = safe.indexOf("\n[SQL:");
  return redactedExcerpt(cut > 0 ? safe.slice(0, cut) : safe, 2000);
}
