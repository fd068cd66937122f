import { redactText, redactUrl } from "../redact.js";
import { type ErrorCode, ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** What is known about a failed API call. */
export interface ApiErrorInit extends ModelTrailErrorOptions {
  /** The service that answered: `mlflow`, `databricks`, `oci-registry`, `kubernetes`, `azure-ad`, ... */
  service: string;
  /** HTTP status code. */
  status: number;
  /** HTTP method of the request. */
  method: string;
  /** URL of the request (redacted before it is stored). */
  url: string;
  /** The service's own error code (`RESOURCE_DOES_NOT_EXIST`, `INVALID_PARAMETER_VALUE`, ...). */
  serviceCode?: string | undefined;
  /** The service's own error message. */
  serviceMessage?: string | undefined;
  /** The request id the service reported (x-request-id, x-databricks-request-id, ...). */
  requestId?: string | undefined;
  /** Seconds the service asked us to wait (Retry-After). */
  retryAfterSeconds?: number | undefined;
  /** Overrides the generated message. */
  message?: string;
}

/** An HTTP API answered with an error status. Subclasses exist per status class. */
export class ApiError extends ModelTrailError {
  /** The service that answered. */
  readonly service: string;
  /** HTTP status code. */
  readonly status: number;
  /** HTTP method. */
  readonly method: string;
  /** Redacted request URL. */
  readonly url: string;
  /** The service's own error code, when it sent one. */
  readonly serviceCode: string | undefined;
  /** The service's own error message (redacted). */
  readonly serviceMessage: string | undefined;
  /** Request id reported by the service. */
  readonly requestId: string | undefined;
  /** Seconds the service asked to wait before retrying. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: ApiErrorInit, code: ErrorCode = "API_ERROR") {
    const url = redactUrl(init.url);
    const detail = [init.serviceCode, init.serviceMessage].filter(Boolean).join(": ");
    const rid = init.requestId ? ` (request id ${init.requestId})` : "";
    const message =
      init.message ??
      `${init.service} ${init.method} ${url} failed with HTTP ${init.status}${detail ? `: ${detail}` : ""}${rid}`;
    super(code, message, { cause: init.cause, hint: init.hint ?? defaultHint(init.status, init.service) });
    this.service = init.service;
    this.status = init.status;
    this.method = init.method;
    this.url = url;
    this.serviceCode = init.serviceCode;
    this.serviceMessage = init.serviceMessage === undefined ? undefined : redactText(init.serviceMessage);
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

function defaultHint(status: number, service: string): string | undefined {
  if (status === 401)
    return `Check the credentials configured for ${service}; they are missing, wrong or expired`;
  if (status === 403)
    return `The credentials for ${service} are valid but lack permission for this operation`;
  if (status === 429) return `${service} is rate limiting; retry later or lower the request rate`;
  if (status >= 500) return `${service} had a server-side failure; retry later`;
  return undefined;
}

/** HTTP 400: the request was malformed or had an invalid parameter. */
export class BadRequestError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "BAD_REQUEST");
  }
}
/** HTTP 401: credentials missing, invalid or expired. */
export class UnauthorizedError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "UNAUTHORIZED");
  }
}
/** HTTP 403: authenticated but not allowed. */
export class ForbiddenError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "FORBIDDEN");
  }
}
/** HTTP 404 (or a service's equivalent): the resource does not exist. */
export class NotFoundError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "NOT_FOUND");
  }
}
/** HTTP 409 (or a service's "already exists"): the resource conflicts with an existing one. */
export class ConflictError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "CONFLICT");
  }
}
/** HTTP 429: rate limited. `retryAfterSeconds` says how long to wait when the service said. */
export class RateLimitError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "RATE_LIMITED");
  }
}
/** HTTP 5xx: the service failed. */
export class ServerError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init, "SERVER_ERROR");
  }
}

/** Kinds of API error a service-specific mapper can ask for, independent of the HTTP status. */
export type ApiErrorKind =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "rate-limited"
  | "server"
  | "other";

/** Picks the error kind for an HTTP status. */
export function apiErrorKindForStatus(status: number): ApiErrorKind {
  if (status === 400) return "bad-request";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate-limited";
  if (status >= 500) return "server";
  return "other";
}

/**
 * Creates the ApiError subclass for a kind (defaults to the kind of `init.status`). Services use the
 * explicit kind when their status code lies, e.g. MLflow's `RESOURCE_ALREADY_EXISTS` arrives as 400
 * but is a conflict.
 */
export function createApiError(
  init: ApiErrorInit,
  kind: ApiErrorKind = apiErrorKindForStatus(init.status),
): ApiError {
  switch (kind) {
    case "bad-request":
      return new BadRequestError(init);
    case "unauthorized":
      return new UnauthorizedError(init);
    case "forbidden":
      return new ForbiddenError(init);
    case "not-found":
      return new NotFoundError(init);
    case "conflict":
      return new ConflictError(init);
    case "rate-limited":
      return new RateLimitError(init);
    case "server":
      return new ServerError(init);
    default:
      return new ApiError(init);
  }
}
