import type { TraceContext } from "../trace/trace-context.js";
import type { CodecOptions } from "./codec-support.js";
import { toOtelAttributes } from "./otel.js";

/**
 * Longest attribute value (and key) OpenTelemetry's SDKs accept in `OTEL_RESOURCE_ATTRIBUTES`: the
 * JavaScript SDK's resource detector discards the whole variable when one is longer.
 */
export const OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH = 255;

/**
 * Encodes a context as the value of `OTEL_RESOURCE_ATTRIBUTES` for a serving process: the string
 * attributes of {@link toOtelAttributes} (the same names: semantic conventions where one exists,
 * `modeltrail.*` otherwise) as `key=value` pairs joined by `,`, keys and values percent-encoded
 * (UTF-8) as the OpenTelemetry spec asks, so `,`, `=`, `%`, spaces and any other text survive an SDK's
 * parsing. Left out, so that an SDK never discards the whole variable: array attributes
 * (`container.image.tags`, `container.image.repo_digests`, `modeltrail.data.names`: the variable
 * holds strings only; set them in code if needed) and values longer than
 * {@link OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH} characters (a long URL; the full value stays in the
 * annotations and env). Booleans are written as `true` / `false`. Never throws.
 *
 * @example
 * ```ts
 * // in the deploy step: the serving container's env
 * env.OTEL_RESOURCE_ATTRIBUTES = toOtelResourceAttributes(ctx);
 * env.OTEL_SERVICE_NAME = "churn-serving";
 * ```
 */
export function toOtelResourceAttributes(ctx: TraceContext, options?: CodecOptions): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(toOtelAttributes(ctx, options))) {
    if (Array.isArray(value)) continue;
    const text = String(value);
    if (text.length > OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH || key.length > OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH)
      continue;
    pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return pairs.join(",");
}
