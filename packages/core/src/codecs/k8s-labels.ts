import { createHash } from "node:crypto";
import { SCALAR_FIELDS } from "../trace/conventions.js";
import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, fieldString, getField } from "./codec-support.js";

/** Longest Kubernetes label value. */
export const MAX_LABEL_VALUE_LENGTH = 63;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const HASH_LENGTH = 8;

/**
 * True when `value` is a valid Kubernetes label value: empty, or at most 63 characters of
 * `[A-Za-z0-9._-]` starting and ending with an alphanumeric. Never throws.
 */
export function isValidLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && LABEL_VALUE.test(value);
}

/**
 * Turns any string into a valid Kubernetes label value, deterministically. A valid value is
 * returned unchanged. Otherwise runs of disallowed characters become `-`, non-alphanumerics are
 * trimmed from both ends, the result is cut to 54 characters and suffixed with `-` and the first 8
 * hex digits of the SHA-256 of the original value (just the hash when nothing is left), so that
 * two different originals do not share a label value. Never throws.
 */
export function sanitizeLabelValue(value: string): string {
  if (isValidLabelValue(value)) return value;
  const hash = createHash("sha256").update(value, "utf8").digest("hex").slice(0, HASH_LENGTH);
  const trim = (s: string) => s.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
  const body = trim(
    trim(value.replace(/[^A-Za-z0-9._-]+/g, "-")).slice(0, MAX_LABEL_VALUE_LENGTH - HASH_LENGTH - 1),
  );
  return body ? `${body}-${hash}` : hash;
}

/**
 * Encodes selected fields of a context as Kubernetes labels (by default git SHA, branch, CI run id,
 * job id and run id, model name, version and MLflow run id, environment name, deployment revision,
 * under `modeltrail.dev/<section>.<field>`), each value made valid with {@link sanitizeLabelValue}.
 * Labels are for selecting; they are one-way (there is no `fromK8sLabels`): put
 * {@link toAnnotations} next to them, which keeps every full value under the same keys.
 * Never throws.
 */
export function toK8sLabels(ctx: TraceContext, options?: CodecOptions): Record<string, string> {
  const c = conventionsOf(options).labels;
  const out: Record<string, string> = {};
  for (const field of SCALAR_FIELDS) {
    const value = getField(ctx, field);
    if (value === undefined) continue;
    for (const name of c.fields[field]) out[name] = sanitizeLabelValue(fieldString(value));
  }
  return out;
}
