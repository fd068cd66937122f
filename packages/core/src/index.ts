/**
 * @modeltrail/core: the TraceContext that carries a model's lineage, its codecs for every boundary
 * (env, MLflow tags, labels, annotations, baggage, telemetry, logs), detection from git and CI, the
 * HTTP transport, the error hierarchy and the credential providers shared by every modeltrail package.
 * @packageDocumentation
 */
export * from "./auth/index.js";
export * from "./codecs/index.js";
export * from "./detect/index.js";
export * from "./errors/index.js";
export * from "./http/index.js";
export {
  isSecretHeader,
  REDACTION_MARKER,
  redactedExcerpt,
  redactHeaders,
  redactText,
  redactUrl,
  redactValue,
  registerSecret,
  registerSecretHeaderValue,
} from "./redact.js";
export * from "./resolvers/index.js";
export { assertSupportedNode, isNodeVersionAtLeast, REQUIRED_NODE_VERSION } from "./runtime/node-version.js";
export * from "./trace/index.js";
export { VERSION } from "./version.js";
