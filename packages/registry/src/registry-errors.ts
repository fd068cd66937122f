import type { ApiErrorKind } from "@modeltrail/core";
import {
  createApiError,
  type ErrorResponseInfo,
  type HttpClientOptions,
  redactedExcerpt,
} from "@modeltrail/core/internal";

/** Error codes of the distribution spec and what kind of error each is. */
const CODE_KINDS: Record<string, { kind: ApiErrorKind; hint?: string }> = {
  BLOB_UNKNOWN: { kind: "not-found", hint: "The repository has no blob with this digest" },
  BLOB_UPLOAD_UNKNOWN: {
    kind: "not-found",
    hint: "The upload session expired or was cancelled; start the upload again",
  },
  BLOB_UPLOAD_INVALID: { kind: "bad-request" },
  MANIFEST_UNKNOWN: { kind: "not-found", hint: "The repository has no manifest with this tag or digest" },
  NAME_UNKNOWN: {
    kind: "not-found",
    hint: "The repository does not exist in this registry (check its name and the registry host)",
  },
  MANIFEST_BLOB_UNKNOWN: {
    kind: "bad-request",
    hint: "Push the manifest's config and layers before the manifest",
  },
  MANIFEST_INVALID: { kind: "bad-request" },
  DIGEST_INVALID: { kind: "bad-request", hint: "The uploaded content does not match its digest" },
  SIZE_INVALID: { kind: "bad-request" },
  NAME_INVALID: { kind: "bad-request" },
  TAG_INVALID: { kind: "bad-request" },
  UNAUTHORIZED: { kind: "unauthorized" },
  DENIED: { kind: "forbidden", hint: "The credentials may not perform this operation on the repository" },
  UNSUPPORTED: { kind: "other", hint: "The registry does not support this operation" },
  TOOMANYREQUESTS: { kind: "rate-limited" },
};

/** Service name of registry errors. */
export const REGISTRY_SERVICE = "oci-registry";

/**
 * Maps a registry error response (`{"errors":[{"code","message","detail"}]}`) to the modeltrail
 * error of its kind, with a hint for the distribution spec's error codes. Retry decisions stay with
 * the transport's status rules.
 */
export const mapRegistryError: NonNullable<HttpClientOptions["mapError"]> = (info: ErrorResponseInfo) => {
  const body = info.bodyJson as
    | { errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }> }
    | undefined;
  const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
  const code = typeof first?.code === "string" ? first.code : undefined;
  const known = code ? CODE_KINDS[code] : undefined;
  if (!known) return undefined;
  const detail =
    first?.detail !== undefined
      ? ` (${redactedExcerpt(JSON.stringify(first.detail) ?? String(first.detail), 200)})`
      : "";
  return {
    error: createApiError(
      {
        service: REGISTRY_SERVICE,
        status: info.status,
        method: info.method,
        url: info.url,
        serviceCode: code,
        serviceMessage:
          `${typeof first?.message === "string" ? first.message : ""}${detail}`.trim() || undefined,
        requestId: info.requestId,
        retryAfterSeconds: info.retryAfterSeconds,
        hint: known.hint,
      },
      known.kind === "other" ? undefined : known.kind,
    ),
  };
};
