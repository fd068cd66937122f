export { type CommitCheckout, type CommitCheckoutOptions, withCommitCheckout } from "./commit-checkout.js";
export {
  compareArtifacts,
  compareDatasets,
  compareMetrics,
  compareParameters,
  compareRuns,
  DEFAULT_METRIC_TOLERANCE,
  type RunsToCompare,
  summarizeComparison,
} from "./compare-runs.js";
export { type RecordedRun, recordedRun, trainingRuns } from "./recorded-run.js";
export { type ReproduceOptions, type ReproduceProgress, reproduce } from "./reproduce.js";
export { type ReproduceRefusal, ReproduceRefusedError } from "./reproduce-refused-error.js";
export {
  type ArtifactComparison,
  COMPARISON_STATUSES,
  type ComparisonStatus,
  type DatasetComparison,
  type MetricComparison,
  type MetricTolerance,
  PARAMETER_ORIGINS,
  type ParameterComparison,
  REPRODUCE_REPORT_SCHEMA_VERSION,
  type ReproduceComparison,
  type ReproduceReport,
  reproduceReportSchema,
  type UsedParameter,
} from "./reproduce-report.js";
export type { ReproduceRunner, ReproductionRun } from "./reproduce-runner.js";
export {
  type ArtifactDigest,
  type ArtifactReader,
  MLMODEL_VOLATILE_FIELDS,
  runArtifactDigests,
} from "./run-artifact-digests.js";
