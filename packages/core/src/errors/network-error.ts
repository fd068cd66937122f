import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** The connection failed before an HTTP response arrived (refused, reset, DNS, TLS). */
export class NetworkError extends ModelTrailError {
  /** The low-level error code, e.g. `ECONNRESET`, `ECONNREFUSED`, `UND_ERR_SOCKET`. */
  readonly causeCode: string | undefined;
  constructor(message: string, causeCode: string | undefined, options: ModelTrailErrorOptions = {}) {
    super("NETWORK_ERROR", message, options);
    this.causeCode = causeCode;
  }
}
