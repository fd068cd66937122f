import { SCALAR_FIELDS } from "../trace/conventions.js";
import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, getField } from "./codec-support.js";

/** An OpenTelemetry attribute value as modeltrail produces it. */
export type OtelAttributeValue = string | boolean | string[];

/**
 * Splits an image reference into name and tag: `reg.io:5000/org/app:1.2@sha256:…` gives
 * `{ name: "reg.io:5000/org/app", tag: "1.2" }`. Never throws.
 */
export function splitImageRef(ref: string): { name: string; tag?: string } {
  const at = ref.indexOf("@");
  const noDigest = at === -1 ? ref : ref.slice(0, at);
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  if (colon > slash) return { name: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
  return { name: noDigest };
}

/**
 * Encodes a context as OpenTelemetry resource or span attributes, using semantic-convention names
 * where one exists: `vcs.ref.head.revision`, `vcs.repository.url.full`, `vcs.ref.head.name`,
 * `cicd.pipeline.run.id`, `cicd.pipeline.run.url.full`, `cicd.pipeline.name`,
 * `deployment.environment.name`, `k8s.deployment.name`, `k8s.namespace.name`, `k8s.cluster.name`
 * (the deployment section is assumed to be Kubernetes; rename them with conventions otherwise),
 * `oci.manifest.digest` (image digest), `container.image.name` and `container.image.tags` (from the
 * image reference), `container.image.repo_digests`; everything else as `modeltrail.<section>.<field>`,
 * `modeltrail.environment.runtime.<key>`, `modeltrail.extra.<key>`, `modeltrail.data.names`.
 * One-way (telemetry is not read back). Never throws.
 */
export function toOtelAttributes(
  ctx: TraceContext,
  options?: CodecOptions,
): Record<string, OtelAttributeValue> {
  const c = conventionsOf(options).otel;
  const out: Record<string, OtelAttributeValue> = {};
  for (const field of SCALAR_FIELDS) {
    const value = getField(ctx, field);
    if (value === undefined) continue;
    for (const name of c.fields[field]) out[name] = value;
  }
  const ref = ctx.image?.ref;
  const digest = ctx.image?.digest;
  if (ref) {
    const { name, tag } = splitImageRef(ref);
    if (c.containerImageName && name) out[c.containerImageName] = name;
    if (c.containerImageTags && tag) out[c.containerImageTags] = [tag];
    if (c.containerImageRepoDigests && name && digest)
      out[c.containerImageRepoDigests] = [`${name}@${digest}`];
  }
  const runtime = ctx.environment?.runtime;
  if (c.runtimePrefix && runtime) {
    for (const [k, v] of Object.entries(runtime)) out[`${c.runtimePrefix}${k}`] = v;
  }
  if (c.extraPrefix && ctx.extra) {
    for (const [k, v] of Object.entries(ctx.extra)) out[`${c.extraPrefix}${k}`] = v;
  }
  if (c.dataNames && ctx.data) out[c.dataNames] = ctx.data.map((d) => d.name);
  return out;
}
