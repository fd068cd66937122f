import { redactUrl } from "../redact.js";
import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** What is known about a response body that exceeded the limit for bodies read into memory. */
export interface ResponseTooLargeErrorInit extends ModelTrailErrorOptions {
  /** The service that answered. */
  service: string;
  /** HTTP method of the request. */
  method: string;
  /** URL of the request (redacted before it is stored). */
  url: string;
  /** The limit that was exceeded, in bytes. */
  limitBytes: number;
  /** The size the response announced (Content-Length), when it did. */
  announcedBytes?: number | undefined;
}

/**
 * A response body was larger than the limit for bodies read into memory (`maxResponseBytes`,
 * 64 MiB by default). It was refused before being buffered: from its Content-Length when it
 * announced one, else as soon as the bytes read passed the limit. Raise `maxResponseBytes` on the
 * client or for the call when such a response is expected.
 */
export class ResponseTooLargeError extends ModelTrailError {
  /** The service that answered. */
  readonly service: string;
  /** HTTP method of the request. */
  readonly method: string;
  /** Redacted request URL. */
  readonly url: string;
  /** The limit that was exceeded, in bytes. */
  readonly limitBytes: number;
  /** The size the response announced (Content-Length), when it did. */
  readonly announcedBytes: number | undefined;

  constructor(init: ResponseTooLargeErrorInit) {
    const url = redactUrl(init.url);
    const size =
      init.announcedBytes === undefined
        ? `more than ${formatBytes(init.limitBytes)}`
        : `${formatBytes(init.announcedBytes)} (Content-Length)`;
    super(
      "RESPONSE_TOO_LARGE",
      `${init.service} ${init.method} ${url} answered with a body of ${size}, over the limit of ${formatBytes(init.limitBytes)} for responses read into memory`,
      {
        cause: init.cause,
        hint:
          init.hint ??
          "If a response this large is expected, raise maxResponseBytes on the client or for this call; otherwise check the URL and the server",
      },
    );
    this.service = init.service;
    this.method = init.method;
    this.url = url;
    this.limitBytes = init.limitBytes;
    this.announcedBytes = init.announcedBytes;
  }
}

/** `67108864 bytes (64 MiB)`: exact bytes, plus a binary unit when it reads better. */
function formatBytes(n: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = "";
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  if (unit === "") return `${n} bytes`;
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${n} bytes (${shown} ${unit})`;
}
