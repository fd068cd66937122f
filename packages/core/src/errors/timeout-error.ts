import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** A request or operation took longer than its timeout or deadline. */
export class TimeoutError extends ModelTrailError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options: ModelTrailErrorOptions = {}) {
    super("TIMEOUT", message, options);
    this.timeoutMs = timeoutMs;
  }
}
