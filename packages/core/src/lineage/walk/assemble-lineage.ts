import type { ClusterRecord, TaskRunRecord } from "../../resolvers/trace-records.js";
import type { ScalarField, TraceConventions } from "../../trace/conventions.js";
import type { TraceContextInput } from "../../trace/schema.js";
import { createTraceContext } from "../../trace/trace-context.js";
import type {
  ReportArtifacts,
  ReportCode,
  ReportDataset,
  ReportServingEnvironment,
  ReportServingInfrastructure,
  ReportServingNode,
  ReportServingRevision,
  ReportTrainingEnvironment,
  ReportTrainingInfrastructure,
  TraceLineage,
} from "../trace-report.js";
import type { TracedMap, TracedValue, TraceScalar, TraceSource } from "../trace-source.js";
import type { Chain, ChainMember } from "./chains.js";
import { type FieldFact, flatFacts, type NamedFact } from "./read-facts.js";
import { recordSource, traceContainer } from "./record-facts.js";

/** Which member of a chain is the authority for a field, first to last. */
const TRAINING_FIRST: readonly ChainMember[] = [
  "mlflowRun",
  "jobRun",
  "modelVersion",
  "image",
  "deployment",
  "handle",
];
const REGISTRY_FIRST: readonly ChainMember[] = [
  "modelVersion",
  "mlflowRun",
  "jobRun",
  "image",
  "deployment",
  "handle",
];
const JOB_FIRST: readonly ChainMember[] = [
  "jobRun",
  "modelVersion",
  "mlflowRun",
  "image",
  "deployment",
  "handle",
];
const IMAGE_FIRST: readonly ChainMember[] = ["image", "deployment", "modelVersion", "mlflowRun", "handle"];
const SERVING_FIRST: readonly ChainMember[] = [
  "deployment",
  "image",
  "modelVersion",
  "mlflowRun",
  "jobRun",
  "handle",
];

const PRIORITY: Partial<Record<ScalarField, readonly ChainMember[]>> = {
  "model.name": REGISTRY_FIRST,
  "model.version": REGISTRY_FIRST,
  "model.uri": REGISTRY_FIRST,
  "model.mlflowRunId": TRAINING_FIRST,
  "job.runId": JOB_FIRST,
  "job.jobId": JOB_FIRST,
  "job.taskRunId": JOB_FIRST,
  "job.taskKey": JOB_FIRST,
  "job.platform": JOB_FIRST,
  "job.workspaceUrl": JOB_FIRST,
  "image.digest": IMAGE_FIRST,
  "image.ref": IMAGE_FIRST,
  "environment.name": SERVING_FIRST,
  "deployment.platform": SERVING_FIRST,
  "deployment.cluster": SERVING_FIRST,
  "deployment.namespace": SERVING_FIRST,
  "deployment.name": SERVING_FIRST,
  "deployment.revision": SERVING_FIRST,
};

/** Every fact a chain states about a field, most authoritative first. */
export function chainFacts(chain: Chain, field: ScalarField): FieldFact[] {
  const order = PRIORITY[field] ?? TRAINING_FIRST;
  return order.flatMap((m) => chain.facts[m]?.fields.filter((f) => f.field === field) ?? []);
}

/** One answer from facts: the first is the value; the others confirm or conflict. */
export function answer(
  facts: ReadonlyArray<{ value: TraceScalar; source: TraceSource }>,
): TracedValue | undefined {
  const [head, ...rest] = facts;
  if (!head) return undefined;
  const out: TracedValue = { value: head.value, source: head.source };
  const confirmedBy = rest.filter((f) => same(f.value, head.value)).map((f) => f.source);
  const conflicts = rest
    .filter((f) => !same(f.value, head.value))
    .map((f) => ({ value: f.value, source: f.source }));
  if (confirmedBy.length > 0) out.confirmedBy = confirmedBy;
  if (conflicts.length > 0) out.conflicts = conflicts;
  return out;
}

function same(a: TraceScalar, b: TraceScalar): boolean {
  return String(a) === String(b);
}

function one(value: TraceScalar | undefined, source: TraceSource, field?: string): TracedValue | undefined {
  if (value === undefined || value === "") return undefined;
  return { value, source: field === undefined ? source : { ...source, field } };
}

/** Merges maps of named facts from several sources: the first source of a key wins, the rest confirm or conflict. */
function mergeMaps(maps: ReadonlyArray<Record<string, NamedFact>>): TracedMap {
  const byKey = new Map<string, NamedFact[]>();
  for (const map of maps)
    for (const [k, v] of Object.entries(map)) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  const out: TracedMap = {};
  for (const key of [...byKey.keys()].sort()) {
    const a = answer(byKey.get(key) ?? []);
    if (a) out[key] = a;
  }
  return out;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The five answers for one chain. */
export function assembleLineage(chain: Chain, c: TraceConventions): TraceLineage {
  const a = (field: ScalarField) => answer(chainFacts(chain, field));
  const code: ReportCode = compact({
    gitSha: a("code.gitSha"),
    repoUrl: a("code.repoUrl"),
    branch: a("code.branch"),
    dirty: a("code.dirty"),
    ciProvider: a("ci.provider"),
    ciRunId: a("ci.runId"),
    ciRunUrl: a("ci.runUrl"),
    ciWorkflow: a("ci.workflow"),
  });
  const lineage: TraceLineage = {
    id: chain.anchor,
    anchor: chain.anchor,
    matchedBy: chain.matchedBy,
    code,
    infrastructure: {
      training: trainingInfrastructure(chain, a),
      serving: servingInfrastructure(chain, c, a),
    },
    environment: { training: trainingEnvironment(chain), serving: servingEnvironment(chain, c, a) },
    artifacts: artifacts(chain, a),
    data: { datasets: datasets(chain) },
  };
  const context = contextOf(lineage);
  if (context) lineage.context = context;
  return lineage;
}

type Answer = (field: ScalarField) => TracedValue | undefined;

/** The task whose cluster and parameters describe the training: the one the trace names, else the first with a cluster. */
function mainTask(chain: Chain): TaskRunRecord | undefined {
  const tasks = chain.jobRun?.record.tasks ?? [];
  const named = chainFacts(chain, "job.taskRunId")[0]?.value ?? chainFacts(chain, "job.taskKey")[0]?.value;
  return (
    tasks.find((t) => t.runId !== undefined && t.runId === named) ??
    tasks.find((t) => t.taskKey === named) ??
    tasks.find((t) => t.cluster !== undefined) ??
    tasks[0]
  );
}

function trainingInfrastructure(chain: Chain, a: Answer): ReportTrainingInfrastructure {
  const job = chain.jobRun;
  const src = job ? recordSource.jobRun(job) : undefined;
  const task = mainTask(chain);
  const cluster: ClusterRecord | undefined = task?.cluster;
  const cs = (field: string) => (src ? { ...src, field: `tasks[${task?.taskKey}].${field}` } : undefined);
  const fromCluster = (value: TraceScalar | undefined, field: string) => {
    const s = cs(field);
    return s ? one(value, s) : undefined;
  };
  const details: TracedMap = {};
  if (cluster?.customTags && src) {
    for (const [k, v] of Object.entries(cluster.customTags))
      details[`tag.${k}`] = {
        value: v,
        source: { ...src, field: `tasks[${task?.taskKey}].cluster.custom_tags.${k}` },
      };
  }
  if (cluster?.host && src) {
    for (const [k, v] of Object.entries(cluster.host))
      if (v !== undefined && v !== "")
        details[`host.${k}`] = {
          value: v,
          source: { ...src, field: `tasks[${task?.taskKey}].cluster.host.${k}` },
        };
  }
  if (cluster?.runtimeEngine && src)
    details.runtimeEngine = {
      value: cluster.runtimeEngine,
      source: { ...src, field: `tasks[${task?.taskKey}].cluster.runtime_engine` },
    };
  return compact({
    platform: a("job.platform"),
    workspaceUrl: a("job.workspaceUrl"),
    jobId: a("job.jobId"),
    jobName: src ? one(job?.record.jobName, src, "run_name") : undefined,
    jobRunId: a("job.runId"),
    taskRunId:
      a("job.taskRunId") ??
      (src && task?.runId ? one(task.runId, src, `tasks[${task.taskKey}].run_id`) : undefined),
    taskKey: a("job.taskKey") ?? (src && task ? one(task.taskKey, src, "tasks[].task_key") : undefined),
    state: src ? one(job?.record.state, src, "state") : undefined,
    startedAt: src ? one(job?.record.startedAt, src, "start_time") : undefined,
    endedAt: src ? one(job?.record.endedAt, src, "end_time") : undefined,
    clusterId: fromCluster(cluster?.clusterId, "cluster.cluster_id"),
    clusterKind: fromCluster(cluster?.kind, "cluster"),
    nodeType: fromCluster(cluster?.nodeType, "cluster.node_type_id"),
    driverNodeType: fromCluster(cluster?.driverNodeType, "cluster.driver_node_type_id"),
    workers: fromCluster(cluster?.workers, "cluster.num_workers"),
    autoscaleMin: fromCluster(cluster?.autoscale?.min, "cluster.autoscale.min_workers"),
    autoscaleMax: fromCluster(cluster?.autoscale?.max, "cluster.autoscale.max_workers"),
    instancePoolId: fromCluster(cluster?.instancePoolId, "cluster.instance_pool_id"),
    policyId: fromCluster(cluster?.policyId, "cluster.policy_id"),
    dataSecurityMode: fromCluster(cluster?.dataSecurityMode, "cluster.data_security_mode"),
    details: Object.keys(details).length > 0 ? details : undefined,
  });
}

function servingInfrastructure(chain: Chain, c: TraceConventions, a: Answer): ReportServingInfrastructure {
  const d = chain.deployment;
  const src = d ? recordSource.deployment(d) : undefined;
  const r = d?.record;
  const live = r?.replicaSets.find((rs) => rs.live);
  const nodes: ReportServingNode[] = [];
  if (r && src) {
    for (const node of r.nodes) {
      nodes.push(
        compact({
          name: node.name,
          pods: r.pods.filter((p) => p.nodeName === node.name).map((p) => p.name),
          kubeletVersion: node.kubeletVersion,
          containerRuntime: node.containerRuntime,
          osImage: node.osImage,
          kernelVersion: node.kernelVersion,
          operatingSystem: node.operatingSystem,
          architecture: node.architecture,
          instanceType: node.instanceType,
          zone: node.zone,
          nodePool: node.nodePool,
          source: { system: d.system, object: `node ${node.name}` },
        }),
      );
    }
  }
  const revisions: ReportServingRevision[] = [];
  if (r && d) {
    for (const rs of r.replicaSets) {
      const container = traceContainer(rs.containers);
      const facts = flatFacts(container?.env ?? {}, c.env, { system: d.system, object: rs.name }, "env");
      const gitSha = facts.find((f) => f.field === "code.gitSha")?.value as string | undefined;
      const runId = (
        facts.find((f) => f.field === "job.runId") ?? facts.find((f) => f.field === "model.mlflowRunId")
      )?.value as string | undefined;
      revisions.push(
        compact({
          revision: rs.revision ?? "?",
          replicaSet: rs.name,
          live: rs.live,
          image: container?.image,
          gitSha,
          runId,
          createdAt: rs.createdAt,
          replicas: rs.replicas,
          source: { system: d.system, object: `replica set ${r.namespace}/${rs.name}` },
        }),
      );
    }
  }
  return compact({
    platform: a("deployment.platform") ?? (src ? one(d?.system, src, "system") : undefined),
    cluster: a("deployment.cluster") ?? (src ? one(r?.cluster, src, "cluster") : undefined),
    namespace: a("deployment.namespace"),
    deployment: a("deployment.name"),
    revision: a("deployment.revision"),
    replicaSet: src && live ? one(live.name, src, "live replica set") : undefined,
    replicas: src ? one(r?.replicas, src, "spec.replicas") : undefined,
    readyReplicas: src ? one(r?.readyReplicas, src, "status.readyReplicas") : undefined,
    nodes: r ? nodes : undefined,
    revisions: r ? revisions : undefined,
  });
}

function trainingEnvironment(chain: Chain): ReportTrainingEnvironment {
  const job = chain.jobRun;
  const src = job ? recordSource.jobRun(job) : undefined;
  const task = mainTask(chain);
  const parameters: TracedMap = {};
  if (job && src) {
    for (const [k, v] of Object.entries(job.record.parameters))
      parameters[k] = { value: v, source: { ...src, field: `job_parameters.${k}` } };
    const p = task?.parameters;
    if (Array.isArray(p)) {
      p.forEach((v, i) => {
        parameters[`${task?.taskKey}[${i}]`] = {
          value: v,
          source: { ...src, field: `tasks[${task?.taskKey}].parameters[${i}]` },
        };
      });
    } else if (p) {
      for (const [k, v] of Object.entries(p))
        parameters[`${task?.taskKey}.${k}`] = {
          value: v,
          source: { ...src, field: `tasks[${task?.taskKey}].named_parameters.${k}` },
        };
    }
  }
  const libraries =
    src && task?.libraries
      ? task.libraries.map((l, i) => ({
          value: l,
          source: { ...src, field: `tasks[${task.taskKey}].libraries[${i}]` },
        }))
      : undefined;
  const runtime = mergeMaps(
    (["mlflowRun", "modelVersion", "jobRun"] as const).map((m) => chain.facts[m]?.runtime ?? {}),
  );
  return compact({
    name: answer(
      ["mlflowRun", "modelVersion", "jobRun"].flatMap(
        (m) => chain.facts[m as ChainMember]?.fields.filter((f) => f.field === "environment.name") ?? [],
      ),
    ),
    runtimeVersion:
      src && task?.cluster?.sparkVersion
        ? one(task.cluster.sparkVersion, src, `tasks[${task.taskKey}].cluster.spark_version`)
        : src && task?.cluster?.runtimeVersion
          ? one(task.cluster.runtimeVersion, src, `tasks[${task.taskKey}].cluster.runtime_version`)
          : undefined,
    dockerImage:
      src && task?.cluster?.dockerImage
        ? one(task.cluster.dockerImage, src, `tasks[${task.taskKey}].cluster.docker_image.url`)
        : undefined,
    libraries: libraries && libraries.length > 0 ? libraries : undefined,
    parameters,
    runtime,
  });
}

function servingEnvironment(chain: Chain, c: TraceConventions, a: Answer): ReportServingEnvironment {
  const img = chain.image;
  const isrc = img ? recordSource.image(img) : undefined;
  const ann = img?.record.annotations ?? {};
  const env: TracedMap = {};
  const d = chain.deployment;
  if (d) {
    const container = traceContainer(d.record.containers);
    const src = recordSource.deployment(d);
    for (const [k, v] of Object.entries(container?.env ?? {}))
      env[k] = { value: v, source: { ...src, field: `container ${container?.name} env ${k}` } };
  }
  const runtime = mergeMaps((["deployment", "image"] as const).map((m) => chain.facts[m]?.runtime ?? {}));
  const created = c.annotations.created;
  return compact({
    name: answer(
      ["deployment", "image", "handle"].flatMap(
        (m) => chain.facts[m as ChainMember]?.fields.filter((f) => f.field === "environment.name") ?? [],
      ),
    ),
    imageRef: a("image.ref"),
    baseImage: isrc
      ? one(ann["org.opencontainers.image.base.name"], isrc, "annotation org.opencontainers.image.base.name")
      : undefined,
    baseImageDigest: isrc
      ? one(
          ann["org.opencontainers.image.base.digest"],
          isrc,
          "annotation org.opencontainers.image.base.digest",
        )
      : undefined,
    os: isrc ? one(img?.record.config?.os, isrc, "config os") : undefined,
    architecture: isrc ? one(img?.record.config?.architecture, isrc, "config architecture") : undefined,
    created: isrc
      ? (one(img?.record.config?.created, isrc, "config created") ??
        (created ? one(ann[created], isrc, `annotation ${created}`) : undefined))
      : undefined,
    env,
    runtime,
  });
}

function artifacts(chain: Chain, a: Answer): ReportArtifacts {
  const mv = chain.modelVersion;
  const run = chain.mlflowRun;
  const img = chain.image;
  const mvs = mv ? recordSource.modelVersion(mv) : undefined;
  const rs = run ? recordSource.mlflowRun(run) : undefined;
  const is = img ? recordSource.image(img) : undefined;
  const params: TracedMap = {};
  const metrics: TracedMap = {};
  if (run && rs) {
    for (const [k, v] of Object.entries(run.record.params))
      params[k] = { value: v, source: { ...rs, field: `param ${k}` } };
    for (const [k, v] of Object.entries(run.record.metrics))
      metrics[k] = { value: v, source: { ...rs, field: `metric ${k}` } };
  }
  const modelLayer = img?.record.layers.find((l) => l.role === "model");
  const prov = img?.record.provenance[0];
  const imageDigest = answer([...chainFacts(chain, "image.digest"), ...podDigests(chain)]);
  return compact({
    mlflowRunId: a("model.mlflowRunId"),
    mlflowRunName: rs ? one(run?.record.runName, rs, "run_name") : undefined,
    experimentId: rs ? one(run?.record.experimentId, rs, "experiment_id") : undefined,
    runStatus: rs ? one(run?.record.status, rs, "status") : undefined,
    modelName: a("model.name"),
    modelVersion: a("model.version"),
    modelUri:
      a("model.uri") ??
      (mvs && mv ? one(`models:/${mv.record.name}/${mv.record.version}`, mvs, "name/version") : undefined),
    modelSource: mvs ? one(mv?.record.source, mvs, "source") : undefined,
    modelStatus: mvs ? one(mv?.record.status, mvs, "status") : undefined,
    imageRef: is && img ? one(img.record.ref, is, "reference") : a("image.ref"),
    imageDigest,
    modelLayerDigest: is && modelLayer ? one(modelLayer.digest, is, "model layer") : undefined,
    files:
      mvs && mv?.record.files
        ? mv.record.files.map((f) => compact({ path: f.path, size: f.size, digest: f.digest, source: mvs }))
        : undefined,
    params,
    metrics,
    provenance:
      prov && img
        ? compact({
            digest: prov.digest,
            predicateType: prov.predicateType,
            signed: prov.signed,
            verified: prov.verified,
            verifyError: prov.verifyError,
            subjectDigests: prov.subjectDigests,
            gitCommit: prov.gitCommit,
            repository: prov.repository,
            modelUri: prov.modelUri,
            modelLayerDigest: prov.modelLayerDigest,
            baseImageDigest: prov.baseImageDigest,
            builderId: prov.builderId,
            invocationId: prov.invocationId,
            source: { system: img.system, object: `attestation ${prov.digest} of image ${img.record.ref}` },
          })
        : undefined,
  });
}

/** The digests the deployment's pods report running (`imageID`), as facts about `image.digest`. */
export function podDigests(chain: Chain): Array<{ value: string; source: TraceSource }> {
  const d = chain.deployment;
  if (!d) return [];
  const out: Array<{ value: string; source: TraceSource }> = [];
  for (const pod of d.record.pods) {
    for (const ct of pod.containers) {
      const at = ct.imageId?.lastIndexOf("@sha256:") ?? -1;
      if (ct.imageId && at !== -1) {
        out.push({
          value: ct.imageId.slice(at + 1),
          source: {
            system: d.system,
            object: `pod ${pod.namespace}/${pod.name}`,
            field: `container ${ct.name} imageID`,
          },
        });
      }
    }
  }
  return out;
}

function datasets(chain: Chain): ReportDataset[] {
  const out: ReportDataset[] = [];
  const run = chain.mlflowRun;
  if (run) {
    const src = recordSource.mlflowRun(run);
    for (const d of run.record.datasets) {
      out.push(
        compact({
          name: d.name,
          digest: d.digest,
          uri: d.uri,
          version: d.version,
          sourceType: d.sourceType,
          context: d.context,
          source: { ...src, field: `dataset input ${d.name}` },
        }),
      );
    }
  }
  for (const m of ["mlflowRun", "modelVersion", "image", "deployment", "jobRun"] as const) {
    for (const d of chain.facts[m]?.data ?? []) {
      const match = out.find(
        (x) =>
          x.name === d.name &&
          (x.digest ?? "") === (d.digest ?? "") &&
          (x.version ?? "") === (d.version ?? ""),
      );
      if (match) match.confirmedBy = [...(match.confirmedBy ?? []), d.source];
      else
        out.push(
          compact({ name: d.name, digest: d.digest, uri: d.uri, version: d.version, source: d.source }),
        );
    }
  }
  return out;
}

/** A TraceContext of the primary answers; undefined when they do not form a valid one. */
function contextOf(l: TraceLineage): TraceLineage["context"] {
  const s = (v: TracedValue | undefined) => (v === undefined ? undefined : String(v.value));
  const input: TraceContextInput = {
    code: {
      gitSha: s(l.code.gitSha),
      repoUrl: s(l.code.repoUrl),
      branch: s(l.code.branch),
      dirty: l.code.dirty ? l.code.dirty.value === true || l.code.dirty.value === "true" : undefined,
    },
    ci: {
      provider: s(l.code.ciProvider),
      runId: s(l.code.ciRunId),
      runUrl: s(l.code.ciRunUrl),
      workflow: s(l.code.ciWorkflow),
    },
    job: {
      platform: (s(l.infrastructure.training.platform) as "databricks" | "local" | undefined) ?? undefined,
      jobId: s(l.infrastructure.training.jobId),
      runId: s(l.infrastructure.training.jobRunId),
      taskRunId: s(l.infrastructure.training.taskRunId),
      taskKey: s(l.infrastructure.training.taskKey),
      workspaceUrl: s(l.infrastructure.training.workspaceUrl),
    },
    model: {
      name: s(l.artifacts.modelName),
      version: s(l.artifacts.modelVersion),
      mlflowRunId: s(l.artifacts.mlflowRunId),
    },
    image: { ref: s(l.artifacts.imageRef), digest: s(l.artifacts.imageDigest) },
    deployment: {
      platform: s(l.infrastructure.serving.platform),
      cluster: s(l.infrastructure.serving.cluster),
      namespace: s(l.infrastructure.serving.namespace),
      name: s(l.infrastructure.serving.deployment),
      revision: s(l.infrastructure.serving.revision),
    },
    environment: { name: s(l.environment.serving.name) ?? s(l.environment.training.name) },
    data:
      l.data.datasets.length > 0
        ? dedupeByName(l.data.datasets).map((d) => ({
            name: d.name,
            uri: d.uri,
            version: d.version,
            digest: d.digest,
          }))
        : undefined,
  };
  for (const [k, v] of Object.entries(input)) {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => x === undefined))
      delete (input as Record<string, unknown>)[k];
  }
  try {
    return createTraceContext(input).toJSON();
  } catch {
    return undefined;
  }
}

function dedupeByName(list: ReportDataset[]): ReportDataset[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    if (seen.has(d.name)) return false;
    seen.add(d.name);
    return true;
  });
}
