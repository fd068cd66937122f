/**
 * The plain records a {@link TraceResolver} returns: what each system knows about one object, in
 * core's vocabulary (no service API shapes). Raw maps (tags, annotations, env) are kept as the system
 * holds them, so that the walk can decode them with the caller's conventions and name the exact
 * field each value came from. Records never hold secrets: resolvers keep only the env variables and
 * annotations the conventions name, and never spark conf, spark env or config-file contents.
 * @module
 */

/** One file of a model's artifacts or of an image's model layer. */
export interface ArtifactFileRecord {
  /** Path relative to the model's root, `/`-separated. */
  path: string;
  /** Size in bytes, when the system reports it. */
  size?: number | undefined;
  /** `sha256:<hex>` of the content, when known (computed while streaming or recorded by the system). */
  digest?: string | undefined;
}

/** One data set a training run read (MLflow dataset inputs). */
export interface DatasetRecord {
  name: string;
  digest?: string | undefined;
  /** Where the data lives (the dataset source's URI or table name). */
  uri?: string | undefined;
  version?: string | undefined;
  /** MLflow's source type: `local`, `http`, `delta_table`, `uc_volume`, ... */
  sourceType?: string | undefined;
  /** MLflow's `mlflow.data.context` input tag: `training`, `eval`, ... */
  context?: string | undefined;
}

/** A registered model version (MLflow or Unity Catalog). */
export interface ModelVersionRecord {
  name: string;
  version: string;
  /** The MLflow run that produced it. */
  mlflowRunId?: string | undefined;
  /** Where its files live (the version's `source`). */
  source?: string | undefined;
  /** `READY`, `PENDING_REGISTRATION`, `FAILED_REGISTRATION`, ... */
  status?: string | undefined;
  /** ISO 8601. */
  createdAt?: string | undefined;
  /** A link to the version in its system's UI (no credentials). */
  url?: string | undefined;
  /** Its tags as the registry holds them (`GIT_SHA`, `DBR_RUN_ID`, `modeltrail.*`, ...). */
  tags: Record<string, string>;
  aliases?: string[] | undefined;
  /** Its files with sizes, when the resolver lists them. */
  files?: ArtifactFileRecord[] | undefined;
}

/** An MLflow run. */
export interface MlflowRunRecord {
  runId: string;
  experimentId?: string | undefined;
  runName?: string | undefined;
  /** `RUNNING`, `FINISHED`, `FAILED`, `KILLED`, `SCHEDULED`. */
  status?: string | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  artifactUri?: string | undefined;
  url?: string | undefined;
  /** Its tags (`mlflow.source.git.commit`, `GIT_SHA`, `DBR_RUN_ID`, `modeltrail.*`, ...). */
  tags: Record<string, string>;
  params: Record<string, string>;
  /** Latest value of each metric. */
  metrics: Record<string, number>;
  /** Its dataset inputs. */
  datasets: DatasetRecord[];
}

/** The machine a local run ran on (a `local` cluster). Facts only, never environment variables. */
export interface HostRecord {
  hostname?: string | undefined;
  /** Operating system and release, e.g. `Linux 6.8.0-45-generic`. */
  os?: string | undefined;
  /** CPU architecture (`x64`, `arm64`, ...). */
  arch?: string | undefined;
  /** Logical CPUs. */
  cpus?: number | undefined;
  cpuModel?: string | undefined;
  /** Total memory in bytes. */
  memoryBytes?: number | undefined;
}

/** The compute a task ran on. */
export interface ClusterRecord {
  kind: "job cluster" | "existing cluster" | "serverless" | "local";
  clusterId?: string | undefined;
  /** The Databricks runtime (`spark_version`), e.g. `15.4.x-scala2.12`. */
  sparkVersion?: string | undefined;
  /** A local run's interpreter, e.g. `CPython 3.12.3` (Databricks clusters use `sparkVersion`). */
  runtimeVersion?: string | undefined;
  /** The machine of a local run. */
  host?: HostRecord | undefined;
  nodeType?: string | undefined;
  driverNodeType?: string | undefined;
  workers?: number | undefined;
  autoscale?: { min: number; max: number } | undefined;
  instancePoolId?: string | undefined;
  policyId?: string | undefined;
  dataSecurityMode?: string | undefined;
  dockerImage?: string | undefined;
  runtimeEngine?: string | undefined;
  /** The cluster's custom tags. */
  customTags?: Record<string, string> | undefined;
}

/** One task of a job run. */
export interface TaskRunRecord {
  taskKey: string;
  runId?: string | undefined;
  state?: string | undefined;
  /** The task's parameters: a list (positional) or named ones, as the run records them. */
  parameters?: string[] | Record<string, string> | undefined;
  cluster?: ClusterRecord | undefined;
  /** Libraries, as `pypi:name==version`, `whl:path`, `jar:path`, `maven:coords`, ... */
  libraries?: string[] | undefined;
}

/** A training job run (a Databricks job run, or a local run in its place). */
export interface JobRunRecord {
  platform: "databricks" | "local";
  runId: string;
  jobId?: string | undefined;
  jobName?: string | undefined;
  url?: string | undefined;
  workspaceUrl?: string | undefined;
  /** The run's result or life-cycle state (`SUCCESS`, `FAILED`, `RUNNING`, ...). */
  state?: string | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  /** Job parameters with the values the run used. */
  parameters: Record<string, string>;
  /** The job's git source, when it has one. */
  gitSource?:
    | {
        url?: string | undefined;
        provider?: string | undefined;
        commit?: string | undefined;
        branch?: string | undefined;
        tag?: string | undefined;
        /** True when a local run's checkout had uncommitted changes to tracked files. */
        dirty?: boolean | undefined;
      }
    | undefined;
  /**
   * The commit the run was started with, as the resolver's system records it, and the field that
   * says so (e.g. `job parameter git_sha`, `git_source.git_snapshot.used_commit`).
   */
  gitSha?: { value: string; field: string } | undefined;
  tasks: TaskRunRecord[];
  /** Runtime versions the run recorded (`python`, `node`, ...), e.g. a local run's interpreters. */
  runtime?: Record<string, string> | undefined;
}

/** One layer of an image. */
export interface LayerRecord {
  digest: string;
  size?: number | undefined;
  mediaType?: string | undefined;
  /** What the layer holds, when the image says (`model`, `app`, `base`, ...). */
  role?: string | undefined;
}

/** A provenance attestation attached to an image (an in-toto statement with a SLSA predicate). */
export interface ProvenanceRecord {
  /** Digest of the attestation manifest. */
  digest: string;
  predicateType?: string | undefined;
  /** True when it is a signed DSSE envelope. */
  signed: boolean;
  /** True or false when the resolver was given a key to verify with; undefined otherwise. */
  verified?: boolean | undefined;
  /** Why verification failed (redacted). */
  verifyError?: string | undefined;
  /** The digests the statement's subjects name. */
  subjectDigests: string[];
  /** The git commit among its resolved dependencies. */
  gitCommit?: string | undefined;
  repository?: string | undefined;
  modelUri?: string | undefined;
  modelLayerDigest?: string | undefined;
  baseImageDigest?: string | undefined;
  builderId?: string | undefined;
  invocationId?: string | undefined;
}

/** A container image as its registry (or OCI layout) holds it. */
export interface ImageRecord {
  /** The image by digest: `registry/repository@sha256:...`. */
  ref: string;
  digest: string;
  /** `registry/repository`. */
  repository?: string | undefined;
  /** The tags that point at it, when known. */
  tags?: string[] | undefined;
  url?: string | undefined;
  mediaType?: string | undefined;
  /** Manifest annotations (`org.opencontainers.image.*`, `modeltrail.dev/*`). */
  annotations: Record<string, string>;
  config?:
    | {
        /** The config's env, only the variables the conventions name. */
        env: Record<string, string>;
        labels: Record<string, string>;
        os?: string | undefined;
        architecture?: string | undefined;
        created?: string | undefined;
      }
    | undefined;
  layers: LayerRecord[];
  /** Provenance attestations found as referrers (empty when none). */
  provenance: ProvenanceRecord[];
}

/** A container of a Deployment's pod template or a ReplicaSet's. */
export interface ContainerRecord {
  name: string;
  image: string;
  /** Plain env values of the variables the conventions name (`GIT_SHA`, `RUN_ID`, `MODELTRAIL_*`). */
  env: Record<string, string>;
}

/** A ReplicaSet of a Deployment: one revision. */
export interface ReplicaSetRecord {
  name: string;
  revision?: string | undefined;
  createdAt?: string | undefined;
  replicas?: number | undefined;
  readyReplicas?: number | undefined;
  /** True for the ReplicaSet of the Deployment's current template. */
  live: boolean;
  containers: ContainerRecord[];
  /** Its pod template's annotations the conventions name. */
  annotations: Record<string, string>;
}

/** A pod's container status. */
export interface PodContainerRecord {
  name: string;
  image: string;
  /** The image the node runs, by digest when the runtime reports one (`...@sha256:...`). */
  imageId?: string | undefined;
  ready?: boolean | undefined;
}

/** A pod. */
export interface PodRecord {
  namespace: string;
  name: string;
  nodeName?: string | undefined;
  phase?: string | undefined;
  replicaSet?: string | undefined;
  containers: PodContainerRecord[];
}

/** A node that runs pods. */
export interface NodeRecord {
  name: string;
  kubeletVersion?: string | undefined;
  containerRuntime?: string | undefined;
  osImage?: string | undefined;
  kernelVersion?: string | undefined;
  operatingSystem?: string | undefined;
  architecture?: string | undefined;
  instanceType?: string | undefined;
  zone?: string | undefined;
  /** AKS `agentpool`, GKE `cloud.google.com/gke-nodepool`, EKS `eks.amazonaws.com/nodegroup`, ... */
  nodePool?: string | undefined;
}

/** A Deployment with what it runs: revisions, pods, nodes. */
export interface DeploymentRecord {
  /** The cluster: its API server URL or a name the caller gave it. */
  cluster?: string | undefined;
  namespace: string;
  name: string;
  url?: string | undefined;
  generation?: number | undefined;
  observedGeneration?: number | undefined;
  replicas?: number | undefined;
  readyReplicas?: number | undefined;
  /** `deployment.kubernetes.io/revision`. */
  revision?: string | undefined;
  /** Its annotations the conventions name (plus `kubernetes.io/change-cause`). */
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** The containers of its current pod template. */
  containers: ContainerRecord[];
  /** Its ReplicaSets, newest revision first. */
  replicaSets: ReplicaSetRecord[];
  /** The pods of the live ReplicaSet. */
  pods: PodRecord[];
  /** The nodes those pods run on. */
  nodes: NodeRecord[];
}
