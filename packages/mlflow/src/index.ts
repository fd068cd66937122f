/**
 * @modeltrail/mlflow: an MLflow client (tracking, model registry, artifacts) with traceable model
 * registration.
 * @packageDocumentation
 */
export {
  type CallOptions,
  filterIdentifier,
  filterLiteral,
  MLFLOW_API,
  type PageOptions,
} from "./api-path.js";
export * from "./artifacts/index.js";
export { MlflowClient, type MlflowClientOptions } from "./client.js";
export type { MlflowClientParts } from "./client-parts.js";
export {
  type MlflowConnectionOptions,
  parseDatabricksTrackingUri,
  type ResolvedMlflowConnection,
  resolveHttpConnection,
  resolveMlflowConnection,
} from "./config.js";
export * from "./databricks/index.js";
export { MLFLOW_ERROR_KINDS, mapMlflowError } from "./errors.js";
export { type CreateExperimentOptions, Experiments, type SearchExperimentsOptions } from "./experiments.js";
export {
  DEFAULT_LOG_BATCH_LIMITS,
  type LogBatchChunk,
  type LogBatchInput,
  type LogBatchLimits,
  type LogBatchOptions,
  logBatch,
  type MetricInput,
  prepareLogBatch,
  splitLogBatch,
} from "./log-batch.js";
export {
  DATASET_CONTEXT_TAG,
  type DatasetInputSpec,
  type DatasetInputWire,
  logInputs,
  prepareDatasetInputs,
} from "./log-inputs.js";
export { findLoggedModelOfRun, type LoggedModelInfo } from "./logged-models.js";
export {
  type CreateRegisteredModelOptions,
  RegisteredModels,
  type SearchRegisteredModelsOptions,
  validateRegistryTags,
} from "./model-registry.js";
export {
  type CreateModelVersionOptions,
  ModelVersions,
  type SearchModelVersionsOptions,
} from "./model-versions.js";
export {
  type CreateRunOptions,
  type RunStatus,
  Runs,
  type SearchRunsOptions,
  type UpdateRunOptions,
} from "./runs.js";
export { type KeyValue, recordToTags, tagsToRecord } from "./schemas/common.js";
export type { ModelVersion, RegisteredModel } from "./schemas/registry.js";
export type { Dataset, DatasetInput, Experiment, Metric, Run, RunInfo } from "./schemas/tracking.js";
export { type MlflowTraceResolverOptions, mlflowTraceResolver } from "./trace-resolver.js";
export {
  type FindModelVersionsOptions,
  findModelVersions,
  type ModelVersionQuery,
  modelVersionFilter,
  type RegisterModelClient,
  type RegisterModelOptions,
  type RegisterModelResult,
  registerModel,
  type TraceCodecOptions,
  tagRun,
  traceOfModelVersion,
  traceTagName,
} from "./traceability.js";
export * from "./unity-catalog/index.js";
export {
  ACCEPTED_URI_FORMS,
  joinArtifactUri,
  mlflowArtifactsProxyPath,
  type ParsedMlflowUri,
  parseMlflowUri,
  type ResolvedArtifactLocation,
  resolveArtifactLocation,
  resolveModelVersion,
  type UriResolverDeps,
} from "./uris.js";
export {
  checkKey,
  checkTag,
  codePointLength,
  MLFLOW_LIMITS,
  type TagsInput,
  type TagTarget,
  validateTags,
} from "./validation.js";
