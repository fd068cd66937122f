import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** The caller aborted the operation through its AbortSignal. */
export class AbortError extends ModelTrailError {
  constructor(message = "The operation was aborted", options: ModelTrailErrorOptions = {}) {
    super("ABORTED", message, options);
  }
}

/**
 * The error to throw for an aborted signal: its reason when that is already a modeltrail error (a
 * deadline's TimeoutError, say), else an AbortError saying that `what` was aborted, with the reason
 * (a DOMException, a string, anything passed to `controller.abort()`) as its cause. Never throws.
 */
export function abortErrorFor(signal: AbortSignal | undefined, what = "The operation"): ModelTrailError {
  const reason: unknown = signal?.reason;
  if (reason instanceof ModelTrailError) return reason;
  return new AbortError(`${what} was aborted by the caller`, reason === undefined ? {} : { cause: reason });
}

/**
 * Like `signal.throwIfAborted()`, but throws a modeltrail error (see {@link abortErrorFor}) instead of
 * the raw reason (a DOMException). Does nothing when `signal` is absent or not aborted.
 */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortErrorFor(signal, what);
}
