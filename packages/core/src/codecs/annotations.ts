import { ValidationError } from "../errors/validation-error.js";
import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, decodeFlatJson, encodeFlatJson } from "./codec-support.js";

/** Options of {@link toAnnotations}. */
export interface AnnotationOptions extends CodecOptions {
  /**
   * The image creation time for `org.opencontainers.image.created` (RFC 3339). Use a fixed value
   * (e.g. from `SOURCE_DATE_EPOCH`) for reproducible images. Not part of the context: `fromAnnotations`
   * ignores it.
   */
  created?: Date | string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Encodes a context as annotations, usable both as OCI image annotations and as Kubernetes
 * annotations: `org.opencontainers.image.revision` (git SHA), `.source` (repository URL), `.created`
 * (only when `options.created` is given), and `modeltrail.dev/<section>.<field>` for everything else,
 * with `environment.runtime`, `data` and `extra` as JSON. Values are never shortened (labels are;
 * annotations keep the full value). Lossless: `fromAnnotations(toAnnotations(ctx))` equals `ctx`.
 * Throws ValidationError only when `created` is not a valid date.
 */
export function toAnnotations(ctx: TraceContext, options?: AnnotationOptions): Record<string, string> {
  const c = conventionsOf(options).annotations;
  const out = encodeFlatJson(ctx, c);
  if (c.created && options?.created !== undefined) out[c.created] = createdValue(options.created);
  return out;
}

function createdValue(created: Date | string): string {
  if (created instanceof Date) {
    if (Number.isNaN(created.getTime())) {
      throw new ValidationError("Invalid image creation time", {
        issues: [{ path: "created", message: "is an invalid Date" }],
      });
    }
    return created.toISOString();
  }
  if (!RFC3339.test(created) || Number.isNaN(Date.parse(created))) {
    throw new ValidationError("Invalid image creation time", {
      issues: [{ path: "created", message: "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z" }],
    });
  }
  return created;
}

/**
 * Decodes a context from OCI or Kubernetes annotations. Annotations not named by the conventions
 * (including `org.opencontainers.image.created`) are ignored; empty values count as absent.
 * Throws ValidationError naming each bad annotation (invalid value or JSON), or when the schema
 * version annotation is newer than this release (upgrade modeltrail).
 */
export function fromAnnotations(
  annotations: Readonly<Record<string, string | undefined>> | undefined,
  options?: CodecOptions,
): TraceContext {
  return decodeFlatJson("TraceContext in annotations", annotations ?? {}, conventionsOf(options).annotations);
}
