export { currentTraceContext, runWithTraceContext } from "./async-context.js";
export {
  ANNOTATION_PREFIX,
  type AnnotationConventions,
  type BaggageConventions,
  DEFAULT_CONVENTIONS,
  defineConventions,
  type EnvConventions,
  type FieldNames,
  isValidK8sKey,
  type LabelConventions,
  type LogFieldConventions,
  type MlflowTagConventions,
  type OtelConventions,
  SCALAR_FIELDS,
  type ScalarField,
  type TraceConventions,
  type TraceConventionsOverride,
} from "./conventions.js";
export { classifyRunId, type RunIdKind, type RunIdOfContext, runIdOf } from "./run-id.js";
export * from "./schema.js";
export { stripUrlCredentials } from "./strip-url-credentials.js";
export {
  assertReadableVersion,
  createTraceContext,
  type DeepReadonly,
  isTraceContext,
  parseTraceContext,
  TraceContext,
} from "./trace-context.js";
