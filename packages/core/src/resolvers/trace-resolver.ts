import type { CallOptions } from "../http/call-options.js";
import type { TraceConventions } from "../trace/conventions.js";
import type {
  ArtifactFileRecord,
  DeploymentRecord,
  ImageRecord,
  JobRunRecord,
  MlflowRunRecord,
  ModelVersionRecord,
  PodRecord,
} from "./trace-records.js";

/**
 * What the walk passes to every look-up: the caller's per-call options (signal, deadline, ...), to
 * be handed to the service client unchanged, and the conventions (tag, env and annotation names)
 * the pipeline uses.
 */
export interface TraceLookupOptions extends CallOptions {
  conventions: TraceConventions;
  /**
   * A cache that lives for one `trace()` or `verify()` call, shared by every look-up of the walk.
   * A resolver keeps what it read there (under keys prefixed with its system, e.g.
   * `registry:manifest:<digest>`) so that two look-ups reaching the same object (an image found by
   * run id and read by digest, its manifest read again for its model layer) fetch it once. Absent
   * when a look-up is called outside a walk.
   */
  walkCache?: Map<string, unknown> | undefined;
}

/** Look up model versions or runs by what another system recorded about them. */
export interface TraceQuery {
  /** A full git commit SHA. */
  gitSha?: string | undefined;
  /** A Databricks job run id (decimal). */
  jobRunId?: string | undefined;
  /** An MLflow run id (32 hex). */
  mlflowRunId?: string | undefined;
  /** An image manifest digest (`sha256:...`). */
  imageDigest?: string | undefined;
}

/** A pod and the Deployment that owns it (through its ReplicaSet), when one does. */
export interface PodLookup {
  pod: PodRecord;
  deployment?: { namespace: string; name: string } | undefined;
}

/**
 * What a service package implements so that `trace()` and `verify()` can read its system. Every
 * look-up is optional: a resolver implements those its system can answer, and the walk reports
 * every other as `unsupported`. Core imports no resolver; the caller passes the ones it configured
 * (`trace(handle, { resolvers: [mlflowTraceResolver(client), ...] })`), so a partial setup gives a
 * partial answer that says what it could not reach.
 *
 * Contract for every method: pass `options` (all of it) to the service client, so that the walk's
 * signal, deadline and request counting apply; return `undefined` (or `[]`) when the object does not
 * exist; throw a ModelTrailError when the system cannot answer (unreachable, unauthorized, ...),
 * which the walk records with its reason. Never put secrets in a record.
 */
export interface TraceResolver {
  /** The system it reads: `mlflow`, `databricks`, `registry`, `kubernetes`, or another name. */
  readonly system: string;
  /** Where it reads from, for messages: a URL without credentials, a repository, a cluster name. */
  readonly location?: string | undefined;

  /** A registered model version, with its tags (and its files with sizes, when it lists them). */
  getModelVersion?(
    name: string,
    version: string,
    options: TraceLookupOptions,
  ): Promise<ModelVersionRecord | undefined>;
  /** Model versions whose tags or run match the query (every match, newest first). */
  findModelVersions?(query: TraceQuery, options: TraceLookupOptions): Promise<ModelVersionRecord[]>;
  /** An MLflow run with its tags, params, metrics and dataset inputs. */
  getMlflowRun?(runId: string, options: TraceLookupOptions): Promise<MlflowRunRecord | undefined>;
  /** MLflow runs whose tags match the query (commit, job run id). */
  findMlflowRuns?(query: TraceQuery, options: TraceLookupOptions): Promise<MlflowRunRecord[]>;
  /**
   * The files of a model version with their sha256 digests (the MLflow resolver downloads them into
   * a private temporary directory, hashes and removes them). `verify()` calls it to compare a model
   * version with an image's model layer.
   */
  getModelVersionFileDigests?(
    name: string,
    version: string,
    options: TraceLookupOptions,
  ): Promise<ArtifactFileRecord[] | undefined>;

  /** A training job run (Databricks, or a local run) with its parameters, tasks and clusters. */
  getJobRun?(runId: string, options: TraceLookupOptions): Promise<JobRunRecord | undefined>;

  /** An image by reference or digest, with its config, layers and provenance attestations. */
  getImage?(ref: string, options: TraceLookupOptions): Promise<ImageRecord | undefined>;
  /** Images whose trace matches the query (run id, commit), e.g. in the repositories it was given. */
  findImages?(query: TraceQuery, options: TraceLookupOptions): Promise<ImageRecord[]>;
  /**
   * The files of an image's model layer with their sha256 digests, computed by streaming the layer.
   * `verify()` calls it to compare the layer with the model version's files.
   */
  getImageModelFiles?(ref: string, options: TraceLookupOptions): Promise<ArtifactFileRecord[] | undefined>;

  /** A Deployment with its revisions, live pods and their nodes. */
  getDeployment?(
    namespace: string,
    name: string,
    options: TraceLookupOptions,
  ): Promise<DeploymentRecord | undefined>;
  /** A pod and its owning Deployment. */
  getPod?(namespace: string, name: string, options: TraceLookupOptions): Promise<PodLookup | undefined>;
  /** Deployments whose live trace matches the query (commit, run id, image digest). */
  findDeployments?(query: TraceQuery, options: TraceLookupOptions): Promise<DeploymentRecord[]>;
}

/** The look-ups a {@link TraceResolver} may implement. */
export type TraceLookupName = Exclude<keyof TraceResolver, "system" | "location">;
