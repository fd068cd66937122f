import { type ApiError, type ApiErrorInit, type ApiErrorKind, ConflictError } from "@modeltrail/core";
import { createApiError, type ErrorResponseInfo } from "@modeltrail/core/internal";

/** One cause of a Kubernetes `Status` (a field that is invalid, a field manager that conflicts). */
export interface KubeStatusCause {
  reason: string | undefined;
  message: string | undefined;
  field: string | undefined;
}

/** A Kubernetes `kind: Status` failure, as the API server sends it with an error status. */
export interface KubeStatus {
  kind: "Status";
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
    retryAfterSeconds?: number;
  };
}

/** How Kubernetes' `Status.reason` values map onto the modeltrail error kinds. */
export const KUBE_REASON_KINDS: Readonly<Record<string, ApiErrorKind>> = Object.freeze({
  BadRequest: "bad-request",
  Invalid: "bad-request",
  Unauthorized: "unauthorized",
  Forbidden: "forbidden",
  NotFound: "not-found",
  AlreadyExists: "conflict",
  Conflict: "conflict",
  TooManyRequests: "rate-limited",
  InternalError: "server",
  ServiceUnavailable: "server",
  ServerTimeout: "server",
  Timeout: "server",
});

const HINTS: Readonly<Record<string, string>> = {
  NotFound: "Check the name and the namespace",
  AlreadyExists: "Use the existing object, or apply instead of create",
  Invalid: "Fix the fields listed",
  Forbidden: "The kubeconfig user lacks RBAC permission for this; check `kubectl auth can-i`",
  Expired: "The resource version is too old; list again",
  Gone: "The resource version is too old; list again",
};

/** A field that a server-side apply could not take because another field manager owns it. */
export interface ApplyConflict {
  /** The field path, e.g. `.spec.template.spec.containers[name="web"].image`. */
  field: string;
  /** The field manager that owns it, e.g. `kubectl`. */
  manager: string | undefined;
  /** The API server's message for this field. */
  message: string;
}

/**
 * A server-side apply was refused because fields in the manifest are owned by other field managers
 * (HTTP 409 with `FieldManagerConflict` causes). `conflicts` lists each field with its owner; the
 * message lists them too. Apply with `force: true` to take ownership, or leave those fields out.
 */
export class ApplyConflictError extends ConflictError {
  /** Each conflicting field with the manager that owns it. */
  readonly conflicts: ApplyConflict[];
  constructor(init: ApiErrorInit, conflicts: ApplyConflict[] = []) {
    super(init);
    this.name = "ApplyConflictError";
    this.conflicts = conflicts;
  }
}

/** True for a Kubernetes `kind: Status` object. Never throws. */
export function isKubeStatus(value: unknown): value is KubeStatus {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "Status";
}

/** The causes of a Status, cleaned up. */
export function statusCauses(status: KubeStatus): KubeStatusCause[] {
  return (status.details?.causes ?? []).map((c) => ({
    reason: typeof c.reason === "string" ? c.reason : undefined,
    message: typeof c.message === "string" ? c.message : undefined,
    field: typeof c.field === "string" ? c.field : undefined,
  }));
}

/** `conflict with "kubectl" using apps/v1` -> `kubectl`. */
function managerOf(message: string | undefined): string | undefined {
  return message?.match(/conflict with "([^"]*)"/)?.[1];
}

/**
 * Maps a Kubernetes error response (`kind: Status`) onto the modeltrail hierarchy, for HttpClient's
 * `mapError`: the `reason` picks the class (NotFound -> NotFoundError, Invalid -> BadRequestError
 * listing each invalid field, AlreadyExists/Conflict -> ConflictError, TooManyRequests ->
 * RateLimitError honouring `details.retryAfterSeconds`, ...); an apply conflict becomes an
 * {@link ApplyConflictError} listing each field with its owner. Returns undefined for a body that is
 * not a Status (the transport's default mapping applies). Never throws.
 */
export function mapKubeError(info: ErrorResponseInfo): { error: ApiError; retryable?: boolean } | undefined {
  const status = info.bodyJson;
  if (!isKubeStatus(status)) return undefined;
  const reason = typeof status.reason === "string" && status.reason !== "" ? status.reason : undefined;
  const message = typeof status.message === "string" ? status.message : undefined;
  const causes = statusCauses(status);
  const retryAfter =
    info.retryAfterSeconds ??
    (typeof status.details?.retryAfterSeconds === "number" ? status.details.retryAfterSeconds : undefined);
  const conflicts: ApplyConflict[] = causes
    .filter((c) => c.reason === "FieldManagerConflict")
    .map((c) => ({
      field: c.field ?? "(unknown field)",
      manager: managerOf(c.message),
      message: c.message ?? "",
    }));
  const init: ApiErrorInit = {
    service: info.service,
    status: info.status,
    method: info.method,
    url: info.url,
    serviceCode: reason,
    serviceMessage: message,
    requestId: info.requestId,
    retryAfterSeconds: retryAfter,
    ...(reason && HINTS[reason] ? { hint: HINTS[reason] } : {}),
  };
  if (info.status === 409 && conflicts.length > 0) {
    const lines = conflicts.map(
      (c) => `\n  - ${c.field}: owned by ${c.manager ? `"${c.manager}"` : "another manager"}`,
    );
    return {
      error: new ApplyConflictError(
        {
          ...init,
          message: `Server-side apply (${info.method} ${init.url}) conflicts with ${conflicts.length} field${conflicts.length === 1 ? "" : "s"} owned by other field managers:${lines.join("")}`,
          hint: "Apply with force: true to take ownership of them, or leave them out of the manifest",
        },
        conflicts,
      ),
    };
  }
  if (reason === "Invalid" && causes.length > 0) {
    init.serviceMessage = `${message ?? "invalid"}${causes.map((c) => `\n  - ${c.field ?? "(object)"}: ${c.message ?? c.reason ?? ""}`).join("")}`;
  }
  const kind = (reason && KUBE_REASON_KINDS[reason]) || undefined;
  const error = createApiError(init, kind);
  return { error, ...(retryAfter !== undefined && info.status === 429 ? { retryable: true } : {}) };
}
