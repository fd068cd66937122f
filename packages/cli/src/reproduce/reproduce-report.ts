import { z } from "zod";

/** The schema version of {@link ReproduceReport} this release writes. */
export const REPRODUCE_REPORT_SCHEMA_VERSION = 1 as const;

/**
 * How one compared value came out: `same` (equal, or for a metric within the tolerance), `differs`,
 * `missing` (the original has it, the reproduction does not), `added` (only the reproduction has
 * it), `unknown` (one side cannot say, e.g. no digest recorded; never counted as a difference).
 */
export const COMPARISON_STATUSES = ["same", "differs", "missing", "added", "unknown"] as const;

/** How one compared value came out (see {@link COMPARISON_STATUSES}). */
export type ComparisonStatus = (typeof COMPARISON_STATUSES)[number];

const status = z.enum(COMPARISON_STATUSES);

/** Where a job parameter value of the reproduction came from. */
export const PARAMETER_ORIGINS = [
  "job run",
  "mlflow param",
  "template default",
  "override",
  "commit",
] as const;

/** One job parameter the reproduction ran with, and where its value came from. */
export const usedParameterSchema = z.strictObject({
  value: z.string(),
  origin: z.enum(PARAMETER_ORIGINS),
});

/** A parameter compared: a job parameter (`scope: job`) or an MLflow run param (`scope: mlflow`). */
export const parameterComparisonSchema = z.strictObject({
  scope: z.enum(["job", "mlflow"]),
  name: z.string(),
  original: z.string().optional(),
  reproduced: z.string().optional(),
  status,
  note: z.string().optional(),
});

/** A metric compared, with the difference and the tolerance it was judged by. */
export const metricComparisonSchema = z.strictObject({
  name: z.string(),
  original: z.number().optional(),
  reproduced: z.number().optional(),
  /** `reproduced - original`. */
  delta: z.number().optional(),
  /** The largest difference that still counts as the same. */
  allowed: z.number().optional(),
  status,
});

/** A training data set compared by digest. */
export const datasetComparisonSchema = z.strictObject({
  name: z.string(),
  originalDigest: z.string().optional(),
  reproducedDigest: z.string().optional(),
  originalUri: z.string().optional(),
  reproducedUri: z.string().optional(),
  status,
  note: z.string().optional(),
});

/** One file of the model artifacts compared by sha256. */
export const artifactComparisonSchema = z.strictObject({
  path: z.string(),
  originalDigest: z.string().optional(),
  reproducedDigest: z.string().optional(),
  status,
  note: z.string().optional(),
});

/** The commit both runs record. */
export const commitComparisonSchema = z.strictObject({
  original: z.string(),
  reproduced: z.string().optional(),
  status,
});

/** Everything compared between the original run and its reproduction. */
export const reproduceComparisonSchema = z.strictObject({
  commit: commitComparisonSchema,
  parameters: z.array(parameterComparisonSchema),
  metrics: z.array(metricComparisonSchema),
  datasets: z.array(datasetComparisonSchema),
  /** The files under `artifactPath` of both MLflow runs. */
  artifacts: z.array(artifactComparisonSchema),
  /** Why the artifacts could not be compared, when they could not. */
  artifactsUnknown: z.string().optional(),
});

/** The absolute and relative tolerance a metric is compared with. */
export const metricToleranceSchema = z.strictObject({
  absolute: z.number().nonnegative(),
  relative: z.number().nonnegative(),
});

/**
 * What `reproduce()` did and found: the original run (its commit and ids), the reproduction (where
 * it ran, its ids and how it ended), the parameters it ran with and where each came from, and the
 * comparison of parameters, metrics, data set digests and model artifact digests. `status` is
 * `reproduced` when nothing differs, `differs` when something does (listed one per line in
 * `differences`), `failed` when the reproduction run did not succeed (then `failure` says why and
 * there is no comparison). Plain JSON: `JSON.stringify` writes it, {@link reproduceReportSchema}
 * reads it back.
 */
export const reproduceReportSchema = z.strictObject({
  schemaVersion: z.literal(REPRODUCE_REPORT_SCHEMA_VERSION),
  createdAt: z.string(),
  status: z.enum(["reproduced", "differs", "failed"]),
  original: z.strictObject({
    /** The run id as given (a Databricks job run id or an MLflow run id). */
    runId: z.string(),
    mlflowRunId: z.string(),
    jobRunId: z.string().optional(),
    gitSha: z.string(),
    experimentId: z.string().optional(),
  }),
  template: z.strictObject({ path: z.string(), commit: z.string() }),
  reproduction: z.strictObject({
    platform: z.enum(["local", "databricks"]),
    jobId: z.string().optional(),
    jobRunId: z.string(),
    runPageUrl: z.string().optional(),
    mlflowRunId: z.string().optional(),
    /** `success`, `failed`, `canceled`, `timedout`, `skipped`. */
    outcome: z.string(),
    message: z.string().optional(),
  }),
  parameters: z.record(z.string(), usedParameterSchema),
  tolerance: metricToleranceSchema,
  metricTolerances: z.record(z.string(), metricToleranceSchema).optional(),
  comparison: reproduceComparisonSchema.optional(),
  /** One line per difference (empty when reproduced). */
  differences: z.array(z.string()),
  /** One line per value that could not be compared. */
  unknown: z.array(z.string()),
  failure: z
    .strictObject({
      message: z.string(),
      failedTasks: z.array(
        z.strictObject({ taskKey: z.string(), state: z.string(), message: z.string().optional() }),
      ),
    })
    .optional(),
});

/** What `reproduce()` did and found (see {@link reproduceReportSchema}). */
export type ReproduceReport = z.output<typeof reproduceReportSchema>;
/** The comparison part of a {@link ReproduceReport}. */
export type ReproduceComparison = z.output<typeof reproduceComparisonSchema>;
/** A parameter compared. */
export type ParameterComparison = z.output<typeof parameterComparisonSchema>;
/** A metric compared. */
export type MetricComparison = z.output<typeof metricComparisonSchema>;
/** A data set compared. */
export type DatasetComparison = z.output<typeof datasetComparisonSchema>;
/** An artifact file compared. */
export type ArtifactComparison = z.output<typeof artifactComparisonSchema>;
/** A job parameter of the reproduction and where it came from. */
export type UsedParameter = z.output<typeof usedParameterSchema>;
/** The tolerance a metric is compared with. */
export type MetricTolerance = z.output<typeof metricToleranceSchema>;
