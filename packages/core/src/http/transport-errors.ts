import { AbortError } from "../errors/abort-error.js";
import { ModelTrailError } from "../errors/model-trail-error.js";
import { NetworkError } from "../errors/network-error.js";
import { TimeoutError } from "../errors/timeout-error.js";
import { redactUrl } from "../redact.js";

/** Reads the low-level code (`ECONNRESET`, `UND_ERR_SOCKET`, ...) of an error or of its causes. */
export function lowLevelCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code.length > 0) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why a request was stopped from outside: the caller's signal, or the overall deadline. */
export interface StopReason {
  aborted: boolean;
  deadlineExceeded: boolean;
  deadlineMs: number | undefined;
}

/**
 * Turns an error thrown while sending a request or reading its body into a modeltrail error:
 * AbortError for the caller's signal, TimeoutError for timeouts and the deadline, NetworkError
 * for connection failures. modeltrail errors pass through unchanged.
 */
export function toTransportError(
  err: unknown,
  request: { service: string; method: string; url: string; timeoutMs: number },
  stop: StopReason = { aborted: false, deadlineExceeded: false, deadlineMs: undefined },
): ModelTrailError {
  if (err instanceof ModelTrailError) return err;
  const where = `${request.service} ${request.method} ${redactUrl(request.url)}`;
  if (stop.deadlineExceeded) {
    return new TimeoutError(
      `${where} did not complete within its deadline of ${stop.deadlineMs} ms`,
      stop.deadlineMs ?? 0,
      {
        cause: err,
        hint: "Raise deadlineMs or check that the service is reachable and healthy",
      },
    );
  }
  if (stop.aborted) return new AbortError(`${where} was aborted by the caller`, { cause: err });
  const code = lowLevelCode(err);
  if (
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT" ||
    code === "UND_ERR_CONNECT_TIMEOUT"
  ) {
    return new TimeoutError(`${where} timed out after ${request.timeoutMs} ms (${code})`, request.timeoutMs, {
      cause: err,
      hint: "Raise timeoutMs or check that the service is reachable and healthy",
    });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new NetworkError(`${where} failed: ${detail}${code ? ` (${code})` : ""}`, code, {
    cause: err,
    hint: "Check the URL, that the service is running and reachable, and proxy/TLS settings",
  });
}
