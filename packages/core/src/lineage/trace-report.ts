import { z } from "zod";
import { traceContextSchema } from "../trace/schema.js";
import { traceGraphSchema } from "./trace-graph.js";
import { traceHandleSchema } from "./trace-handle.js";
import { tracedMapSchema, tracedValueSchema, traceSourceSchema } from "./trace-source.js";
import { verifyCheckSchema, verifySummarySchema } from "./verify-result.js";

/** The schema version of `TraceReport` this release writes and reads. */
export const TRACE_REPORT_SCHEMA_VERSION = 1 as const;

const value = tracedValueSchema.optional();
const map = tracedMapSchema.optional();

/** Question 1, the code: commit, repository, branch, dirty state, and the CI run that built from it. */
export const reportCodeSchema = z.strictObject({
  gitSha: value,
  repoUrl: value,
  branch: value,
  dirty: value,
  ciProvider: value,
  ciRunId: value,
  ciRunUrl: value,
  ciWorkflow: value,
});

/** Question 2, training: where the training job ran (Databricks job run and its cluster, or a local run). */
export const reportTrainingInfrastructureSchema = z.strictObject({
  platform: value,
  workspaceUrl: value,
  jobId: value,
  jobName: value,
  jobRunId: value,
  taskRunId: value,
  taskKey: value,
  state: value,
  startedAt: value,
  endedAt: value,
  clusterId: value,
  /** `job cluster`, `existing cluster`, `serverless` or `local`. */
  clusterKind: value,
  nodeType: value,
  driverNodeType: value,
  workers: value,
  autoscaleMin: value,
  autoscaleMax: value,
  instancePoolId: value,
  policyId: value,
  dataSecurityMode: value,
  /** Other facts of the job run or cluster worth reporting (custom tags, ...); never secrets. */
  details: map,
});

/** One node that runs the serving pods. */
export const reportServingNodeSchema = z.strictObject({
  name: z.string(),
  pods: z.array(z.string()),
  kubeletVersion: z.string().optional(),
  containerRuntime: z.string().optional(),
  osImage: z.string().optional(),
  kernelVersion: z.string().optional(),
  operatingSystem: z.string().optional(),
  architecture: z.string().optional(),
  instanceType: z.string().optional(),
  zone: z.string().optional(),
  nodePool: z.string().optional(),
  source: traceSourceSchema,
});

/** One retained revision of the deployment (a ReplicaSet), newest first. */
export const reportServingRevisionSchema = z.strictObject({
  revision: z.string(),
  replicaSet: z.string(),
  /** True for the revision the deployment runs now. */
  live: z.boolean(),
  image: z.string().optional(),
  gitSha: z.string().optional(),
  runId: z.string().optional(),
  createdAt: z.string().optional(),
  replicas: z.number().int().optional(),
  source: traceSourceSchema,
});

/** Question 2, serving: where the model is served (cluster, namespace, deployment, nodes). */
export const reportServingInfrastructureSchema = z.strictObject({
  platform: value,
  cluster: value,
  namespace: value,
  deployment: value,
  revision: value,
  replicaSet: value,
  replicas: value,
  readyReplicas: value,
  nodes: z.array(reportServingNodeSchema).optional(),
  revisions: z.array(reportServingRevisionSchema).optional(),
});

/** Question 3, training: runtime versions, libraries, parameters. */
export const reportTrainingEnvironmentSchema = z.strictObject({
  name: value,
  /** The Databricks runtime (`spark_version`), or the local runner's. */
  runtimeVersion: value,
  dockerImage: value,
  libraries: z.array(tracedValueSchema).optional(),
  /** Job and task parameters (the job's and the MLflow run's `params` are in `artifacts.params`). */
  parameters: map,
  /** Runtime versions the trace recorded (`environment.runtime`: python, mlflow, ...). */
  runtime: map,
});

/** Question 3, serving: the image environment, base image, trace env of the container. */
export const reportServingEnvironmentSchema = z.strictObject({
  name: value,
  imageRef: value,
  baseImage: value,
  baseImageDigest: value,
  os: value,
  architecture: value,
  created: value,
  /** The trace variables of the serving container's env (only names the conventions define). */
  env: map,
  runtime: map,
});

/** One file of the model's artifacts. */
export const reportArtifactFileSchema = z.strictObject({
  path: z.string(),
  size: z.number().int().nonnegative().optional(),
  digest: z.string().optional(),
  source: traceSourceSchema,
});

/** The provenance attestation of the image. */
export const reportProvenanceSchema = z.strictObject({
  /** Digest of the attestation manifest (the referrer). */
  digest: z.string(),
  predicateType: z.string().optional(),
  signed: z.boolean(),
  /** True or false when a key was given to verify the signature with; absent otherwise. */
  verified: z.boolean().optional(),
  verifyError: z.string().optional(),
  subjectDigests: z.array(z.string()),
  gitCommit: z.string().optional(),
  repository: z.string().optional(),
  modelUri: z.string().optional(),
  modelLayerDigest: z.string().optional(),
  baseImageDigest: z.string().optional(),
  builderId: z.string().optional(),
  invocationId: z.string().optional(),
  source: traceSourceSchema,
});

/** Question 4, the artifacts: MLflow run and model version, their files, the image and its provenance. */
export const reportArtifactsSchema = z.strictObject({
  mlflowRunId: value,
  mlflowRunName: value,
  experimentId: value,
  runStatus: value,
  modelName: value,
  modelVersion: value,
  modelUri: value,
  /** Where the model version's files live (its `source`). */
  modelSource: value,
  modelStatus: value,
  imageRef: value,
  imageDigest: value,
  modelLayerDigest: value,
  files: z.array(reportArtifactFileSchema).optional(),
  /** The MLflow run's parameters. */
  params: map,
  /** The MLflow run's latest metrics. */
  metrics: map,
  provenance: reportProvenanceSchema.optional(),
});

/** One data set the model was trained on. */
export const reportDatasetSchema = z.strictObject({
  name: z.string(),
  digest: z.string().optional(),
  uri: z.string().optional(),
  version: z.string().optional(),
  /** MLflow's source type (`local`, `http`, `delta_table`, `uc_volume`, ...). */
  sourceType: z.string().optional(),
  /** MLflow's `mlflow.data.context` tag (`training`, `eval`, ...). */
  context: z.string().optional(),
  source: traceSourceSchema,
  confirmedBy: z.array(traceSourceSchema).optional(),
});

/** Question 5, the data. */
export const reportDataSchema = z.strictObject({
  datasets: z.array(reportDatasetSchema),
});

/**
 * The five answers for one thing the handle matched (a model version, a deployment, a run). The
 * `anchor` is its central node in the graph; `context` is the TraceContext assembled from the
 * answers (each field from its primary source), for code that wants the plain values.
 */
export const traceLineageSchema = z.strictObject({
  id: z.string(),
  anchor: z.string(),
  /** How the handle reached this lineage, e.g. `model version tag GIT_SHA = <sha>`. */
  matchedBy: z.string(),
  context: traceContextSchema.optional(),
  code: reportCodeSchema,
  infrastructure: z.strictObject({
    training: reportTrainingInfrastructureSchema,
    serving: reportServingInfrastructureSchema,
  }),
  environment: z.strictObject({
    training: reportTrainingEnvironmentSchema,
    serving: reportServingEnvironmentSchema,
  }),
  artifacts: reportArtifactsSchema,
  data: reportDataSchema,
});

/** Why a look-up gave no answer. */
export const UNREACHABLE_REASONS = ["no-resolver", "unsupported", "not-found", "failed"] as const;

/** Why a look-up gave no answer. */
export type UnreachableReason = (typeof UNREACHABLE_REASONS)[number];

/**
 * A look-up the walk could not complete: `no-resolver` (no resolver for that system was given),
 * `unsupported` (the resolver cannot answer that kind of look-up), `not-found` (the system says the
 * object does not exist: a broken link), `failed` (the system could not be reached or answered with
 * an error; `error` holds the redacted error's name, code and status).
 */
export const unreachableSchema = z.strictObject({
  system: z.string(),
  lookup: z.string(),
  reason: z.enum(UNREACHABLE_REASONS),
  message: z.string(),
  node: z.string().optional(),
  error: z
    .strictObject({
      name: z.string(),
      code: z.string().optional(),
      status: z.number().int().optional(),
    })
    .optional(),
});

/** Requests the walk sent, in all and per system, and the look-ups that sent them. */
export const traceRequestsSchema = z.strictObject({
  total: z.number().int().nonnegative(),
  bySystem: z.record(z.string(), z.number().int().nonnegative()),
  lookups: z.number().int().nonnegative(),
});

/**
 * The answer of `trace()` (and, with `checks` and `summary`, of `verify()`): the handle; one lineage
 * per thing it matched (several when a commit has several model versions: never a guess); the
 * graph of every object found; the look-ups that failed and why; and the request count. Plain JSON:
 * `JSON.stringify` writes it, {@link parseTraceReport} reads it back.
 */
export const traceReportSchema = z.strictObject({
  schemaVersion: z.literal(TRACE_REPORT_SCHEMA_VERSION),
  createdAt: z.string(),
  handle: traceHandleSchema,
  lineages: z.array(traceLineageSchema),
  graph: traceGraphSchema,
  unreachable: z.array(unreachableSchema),
  requests: traceRequestsSchema,
  checks: z.array(verifyCheckSchema).optional(),
  summary: verifySummarySchema.optional(),
});

/** The answer of `trace()` (see {@link traceReportSchema}). */
export type TraceReport = z.output<typeof traceReportSchema>;
/** The five answers for one matched thing. */
export type TraceLineage = z.output<typeof traceLineageSchema>;
/** Question 1 of a lineage. */
export type ReportCode = z.output<typeof reportCodeSchema>;
/** Question 2, training side. */
export type ReportTrainingInfrastructure = z.output<typeof reportTrainingInfrastructureSchema>;
/** Question 2, serving side. */
export type ReportServingInfrastructure = z.output<typeof reportServingInfrastructureSchema>;
/** A node serving pods. */
export type ReportServingNode = z.output<typeof reportServingNodeSchema>;
/** A revision of the deployment. */
export type ReportServingRevision = z.output<typeof reportServingRevisionSchema>;
/** Question 3, training side. */
export type ReportTrainingEnvironment = z.output<typeof reportTrainingEnvironmentSchema>;
/** Question 3, serving side. */
export type ReportServingEnvironment = z.output<typeof reportServingEnvironmentSchema>;
/** Question 4. */
export type ReportArtifacts = z.output<typeof reportArtifactsSchema>;
/** A model file. */
export type ReportArtifactFile = z.output<typeof reportArtifactFileSchema>;
/** The image's provenance. */
export type ReportProvenance = z.output<typeof reportProvenanceSchema>;
/** Question 5. */
export type ReportData = z.output<typeof reportDataSchema>;
/** A training data set. */
export type ReportDataset = z.output<typeof reportDatasetSchema>;
/** A look-up that gave no answer. */
export type Unreachable = z.output<typeof unreachableSchema>;
/** The request count. */
export type TraceRequests = z.output<typeof traceRequestsSchema>;
