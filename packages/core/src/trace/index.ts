export { currentTraceContext, runWithTraceContext } from "./async-context.js";
export {
  type AnnotationConventions,
  type BaggageConventions,
  DEFAULT_CONVENTIONS,
  defineConventions,
  type EnvConventions,
  type FieldNames,
  type LabelConventions,
  type LogFieldConventions,
  type MlflowTagConventions,
  type OtelConventions,
  type ScalarField,
  type TraceConventions,
  type TraceConventionsOverride,
} from "./conventions.js";
export { classifyRunId, type RunIdKind, type RunIdOfContext, runIdOf } from "./run-id.js";
export {
  type CiProvider,
  type CiSection,
  type CodeSection,
  type DatasetRef,
  type DeploymentSection,
  type EnvironmentSection,
  type ImageSection,
  type JobPlatform,
  type JobSection,
  type ModelSection,
  type SectionPatch,
  TRACE_SCHEMA_VERSION,
  type TraceContextData,
  type TraceContextInput,
  type TraceContextPatch,
} from "./schema.js";
export {
  createTraceContext,
  type DeepReadonly,
  isTraceContext,
  parseTraceContext,
  TraceContext,
} from "./trace-context.js";
