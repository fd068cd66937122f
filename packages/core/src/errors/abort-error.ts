import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** The caller aborted the operation through its AbortSignal. */
export class AbortError extends ModelTrailError {
  constructor(message = "The operation was aborted", options: ModelTrailErrorOptions = {}) {
    super("ABORTED", message, options);
  }
}
