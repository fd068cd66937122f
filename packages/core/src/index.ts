/**
 * @modeltrail/core: the TraceContext that carries a model's lineage, its codecs for every boundary
 * (env, MLflow tags, labels, annotations, baggage, telemetry, logs), detection from git and CI, the
 * error hierarchy, the per-call options every client method takes, and the credential providers.
 *
 * This entry is the public, semver-governed API. The transport and the other building blocks that
 * modeltrail's own packages share live in `@modeltrail/core/internal`, without a semver promise.
 * @packageDocumentation
 */
export * from "./auth/index.js";
export * from "./codecs/index.js";
export * from "./detect/index.js";
export * from "./errors/index.js";
export * from "./http/index.js";
export * from "./lineage/index.js";
export * from "./resolvers/index.js";
export * from "./trace/index.js";
export { VERSION } from "./version.js";
