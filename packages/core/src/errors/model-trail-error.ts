import { inspect } from "node:util";
import { redactText, redactValue } from "../redact.js";

/** Stable, machine-readable error codes. They never change meaning between releases. */
export type ErrorCode =
  | "CONFIG_ERROR"
  | "VALIDATION_ERROR"
  | "API_ERROR"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "SERVER_ERROR"
  | "TIMEOUT"
  | "ABORTED"
  | "NETWORK_ERROR"
  | "RESPONSE_TOO_LARGE";

/** Brand used by `isModelTrailError()` so that checks work across realms and duplicated installs. */
export const MODELTRAIL_ERROR_BRAND: unique symbol = Symbol.for("modeltrail.error") as never;

/** Options accepted by every modeltrail error. */
export interface ModelTrailErrorOptions {
  /** The underlying error. Its message is redacted before it is shown. */
  cause?: unknown;
  /** What the user can do about it; appended to the message. */
  hint?: string;
}

/**
 * Base class of every error modeltrail throws. Its `code` is stable; its message says what was
 * wrong and what to do; its message, `toJSON()` and `util.inspect()` output never contain secrets.
 */
export class ModelTrailError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Advice for the user, if any. */
  readonly hint: string | undefined;
  declare readonly [MODELTRAIL_ERROR_BRAND]: true;

  constructor(code: ErrorCode, message: string, options: ModelTrailErrorOptions = {}) {
    const full = options.hint ? `${message}. ${options.hint}` : message;
    super(
      redactText(full),
      options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) },
    );
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redactText(options.hint);
    Object.defineProperty(this, MODELTRAIL_ERROR_BRAND, { value: true, enumerable: false });
    if (this.stack) this.stack = redactText(this.stack);
  }

  /** A redacted, JSON-safe description of the error. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) {
      if (k === "hint" && v === undefined) continue;
      out[k] = redactValue(v);
    }
    if (this.cause !== undefined) out.cause = describeCause(this.cause);
    return out;
  }

  /** `util.inspect` shows the redacted JSON form rather than raw fields. */
  [inspect.custom](): string {
    return `${this.stack ?? `${this.name}: ${this.message}`}\n${inspect(this.toJSON(), { depth: 4 })}`;
  }
}

function describeCause(cause: unknown): unknown {
  if (cause instanceof ModelTrailError) return cause.toJSON();
  if (cause instanceof Error) return { name: cause.name, message: redactText(cause.message) };
  return redactValue(cause);
}

/** Causes are kept (for `instanceof` checks and codes) but their messages are redacted in place. */
function sanitizeCause(cause: unknown): unknown {
  if (cause instanceof Error && !(cause instanceof ModelTrailError)) {
    try {
      cause.message = redactText(cause.message);
      if (cause.stack) cause.stack = redactText(cause.stack);
    } catch {
      // frozen error objects: leave them, describeCause redacts on output
    }
  }
  return cause;
}
