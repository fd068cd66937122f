export {
  DatabricksClient,
  type DatabricksClientFromEnvOptions,
  type DatabricksClientOptions,
} from "./client.js";
export type { DeployContext } from "./deploy-context.js";
export {
  DEPLOY_TAGS,
  type DeployJobOptions,
  type DeployJobResult,
  deployJob,
  GIT_SHA_PARAMETER,
} from "./deploy-job.js";
export {
  classifyDynamicValuePath,
  DEPRECATED_DYNAMIC_VALUES,
  DOCUMENTED_DYNAMIC_VALUES,
  DYNAMIC_TIME_ARGUMENTS,
  DYNAMIC_VALUE_NAMESPACES,
  type DynamicTimeArgument,
  type DynamicValueContext,
  type DynamicValueKind,
  type DynamicValueReference,
  dynamicValueReferencePattern,
  findDynamicValueReferences,
  formatDynamicTime,
  resolveDynamicValue,
  type SubstituteDynamicValuesOptions,
  splitDynamicValuePath,
  substituteDynamicValues,
} from "./dynamic-values.js";
export {
  DATABRICKS_TRANSIENT_MESSAGES,
  type DatabricksErrorBody,
  isTransientDatabricksMessage,
  mapDatabricksError,
  parseDatabricksErrorBody,
} from "./errors.js";
export {
  MAX_IDEMPOTENCY_TOKEN_LENGTH,
  type RunTokenInput,
  runIdempotencyToken,
} from "./idempotency.js";
export {
  detectJobContext,
  type JobContextResult,
  type ReadJobContextOptions,
  readJobContext,
} from "./job-context.js";
export {
  type JobSettings,
  JobSettingsSchema,
  type JobTask,
  KNOWN_TASK_TYPES,
  RUN_IF_CONDITIONS,
  type RunIf,
  TaskSchema,
} from "./job-settings/job-settings-schema.js";
export {
  findJobSettingsIssues,
  MAX_JOB_TAGS,
  validateJobSettings,
} from "./job-settings/validate-job-settings.js";
export {
  type CallOptions,
  JobsApi,
  type ListJobsOptions,
  type RunNowOptions,
  type UpdateJobOptions,
} from "./jobs-api.js";
export { createLocalIdGenerator } from "./local/local-ids.js";
export { LocalJobRun } from "./local/local-job-run.js";
export { LocalJobRunner, type LocalRunsApi } from "./local/local-job-runner.js";
export {
  type LocalRunEnvironment,
  localRunEnvironmentSchema,
} from "./local/local-run-environment.js";
export {
  LOCAL_RUN_RECORD_KIND,
  type LocalRunRecord,
  localRunRecordSchema,
  readLocalRunRecord,
} from "./local/local-run-record.js";
export type {
  LocalJobRunnerOptions,
  LocalRunEvent,
  LocalRunOptions,
  LocalRunOutput,
  LocalTaskOutputChunk,
} from "./local/local-run-types.js";
export { TASK_VALUES_FILE_ENV } from "./local/local-task-attempts.js";
export { NODE_TASK_EXTENSIONS } from "./local/task-command.js";
export {
  type LocalJobTraceResolverOptions,
  localJobTraceResolver,
  toLocalJobRun,
} from "./local-trace-resolver.js";
export { type RunJobOptions, type RunJobResult, runJob } from "./run-job.js";
export {
  classifyRun,
  type FailedTask,
  isRunTerminal,
  type RunOutcome,
  type RunOutcomeKind,
  runLifecycleState,
} from "./run-outcome.js";
export { type GetRunOptions, type ListRunsOptions, RunsApi, type SubmitRunOptions } from "./runs-api.js";
export {
  createJobResponseSchema,
  type Job,
  jobSchema,
  listJobsResponseSchema,
  type RunNowResponse,
  runNowResponseSchema,
} from "./schemas/api/job.js";
export { type ApiJobSettings, apiJobSettingsSchema } from "./schemas/api/job-settings-shape.js";
export {
  listRunsResponseSchema,
  type Run,
  type RunTask,
  runSchema,
  runStateSchema,
  runStatusSchema,
  runTaskSchema,
  submitRunResponseSchema,
} from "./schemas/api/run.js";
export { type RunOutput, runOutputSchema } from "./schemas/api/run-output.js";
export { diffJobSettings } from "./settings-diff.js";
export { TASK_TRACE_FLAGS, withTaskTraceParameters } from "./task-trace-parameters.js";
export {
  dynamicReferenceWarnings,
  type RenderedJobTemplate,
  type RenderJobTemplateOptions,
  renderJobTemplate,
  type TemplateTraceContext,
} from "./template/render-job-template.js";
export { type DatabricksTraceResolverOptions, databricksTraceResolver } from "./trace-resolver.js";
export {
  type RunProgressEvent,
  type RunsSource,
  type WaitForRunOptions,
  waitForRun,
} from "./wait-for-run.js";
