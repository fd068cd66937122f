import type {
  ContainerRecord,
  DeploymentRecord,
  ImageRecord,
  JobRunRecord,
  MlflowRunRecord,
  ModelVersionRecord,
} from "../../resolvers/trace-records.js";
import type { TraceConventions } from "../../trace/conventions.js";
import type { TraceSource } from "../trace-source.js";
import type { Found } from "./found.js";
import {
  type DataFact,
  dataFacts,
  type FieldFact,
  flatFacts,
  jsonMapFacts,
  type NamedFact,
  prefixedFacts,
} from "./read-facts.js";

/** The source of a whole record: its system, a readable name and its link. */
export const recordSource = {
  modelVersion: (f: Found<ModelVersionRecord>): TraceSource =>
    withUrl({ system: f.system, object: `model version ${f.record.name}/${f.record.version}` }, f.record.url),
  mlflowRun: (f: Found<MlflowRunRecord>): TraceSource =>
    withUrl({ system: f.system, object: `MLflow run ${f.record.runId}` }, f.record.url),
  jobRun: (f: Found<JobRunRecord>): TraceSource =>
    withUrl({ system: f.system, object: `job run ${f.record.runId}` }, f.record.url),
  image: (f: Found<ImageRecord>): TraceSource =>
    withUrl({ system: f.system, object: `image ${f.record.ref}` }, f.record.url),
  deployment: (f: Found<DeploymentRecord>): TraceSource =>
    withUrl({ system: f.system, object: `deployment ${f.record.namespace}/${f.record.name}` }, f.record.url),
  handle: (): TraceSource => ({ system: "handle", object: "log line" }),
};

function withUrl(source: TraceSource, url: string | undefined): TraceSource {
  return url === undefined ? source : { ...source, url };
}

/** The trace facts, runtime versions and data sets one record states. */
export interface RecordFacts {
  fields: FieldFact[];
  runtime: Record<string, NamedFact>;
  data: DataFact[];
}

const empty = (): RecordFacts => ({ fields: [], runtime: {}, data: [] });

/** What a model version's tags say, plus its own name, version and run. */
export function modelVersionFacts(f: Found<ModelVersionRecord>, c: TraceConventions): RecordFacts {
  const base = recordSource.modelVersion(f);
  const out = tagFacts(f.record.tags, base, c);
  const own: FieldFact[] = [
    { field: "model.name", value: f.record.name, source: { ...base, field: "name" } },
    { field: "model.version", value: f.record.version, source: { ...base, field: "version" } },
  ];
  if (f.record.mlflowRunId) {
    own.push({
      field: "model.mlflowRunId",
      value: f.record.mlflowRunId,
      source: { ...base, field: "run_id" },
    });
  }
  out.fields = [...own, ...out.fields];
  return out;
}

/** What an MLflow run's tags say, plus its own id. */
export function mlflowRunFacts(f: Found<MlflowRunRecord>, c: TraceConventions): RecordFacts {
  const base = recordSource.mlflowRun(f);
  const out = tagFacts(f.record.tags, base, c);
  out.fields.unshift({
    field: "model.mlflowRunId",
    value: f.record.runId,
    source: { ...base, field: "run_id" },
  });
  return out;
}

function tagFacts(tags: Record<string, string>, base: TraceSource, c: TraceConventions): RecordFacts {
  const t = c.mlflowTags;
  const data = t.dataPrefix
    ? dataFacts(
        Object.entries(tags)
          .filter(([k]) => k.startsWith(t.dataPrefix as string))
          .map(([k, raw]) => ({ raw, source: { ...base, field: `tag ${k}` } })),
      )
    : [];
  return {
    fields: flatFacts(tags, t, base, "tag"),
    runtime: prefixedFacts(tags, t.runtimePrefix, base, "tag"),
    data,
  };
}

/** What a job run says about itself: ids, platform, commit. */
export function jobRunFacts(f: Found<JobRunRecord>): RecordFacts {
  const base = recordSource.jobRun(f);
  const r = f.record;
  const out = empty();
  const add = (field: FieldFact["field"], value: string | undefined, name: string) => {
    if (value !== undefined && value !== "")
      out.fields.push({ field, value, source: { ...base, field: name } });
  };
  add("job.runId", r.runId, "run_id");
  add("job.jobId", r.jobId, "job_id");
  add("job.platform", r.platform, "platform");
  add("job.workspaceUrl", r.workspaceUrl, "workspace");
  if (r.gitSha) add("code.gitSha", r.gitSha.value.toLowerCase(), r.gitSha.field);
  if (r.gitSource?.url) add("code.repoUrl", r.gitSource.url, "git_source.git_url");
  if (r.gitSource?.branch) add("code.branch", r.gitSource.branch, "git_source.git_branch");
  if (typeof r.gitSource?.dirty === "boolean")
    out.fields.push({
      field: "code.dirty",
      value: r.gitSource.dirty,
      source: { ...base, field: "git_source.dirty" },
    });
  for (const [k, v] of Object.entries(r.runtime ?? {}))
    if (v !== "") out.runtime[k] = { value: v, source: { ...base, field: `runtime.${k}` } };
  if (r.tasks.length === 1) {
    add("job.taskRunId", r.tasks[0]?.runId, "tasks[0].run_id");
    add("job.taskKey", r.tasks[0]?.taskKey, "tasks[0].task_key");
  }
  return out;
}

/** What an image's annotations and config env say, plus its own digest. */
export function imageFacts(f: Found<ImageRecord>, c: TraceConventions): RecordFacts {
  const base = recordSource.image(f);
  const r = f.record;
  const a = c.annotations;
  const fields: FieldFact[] = [
    { field: "image.digest", value: r.digest, source: { ...base, field: "manifest digest" } },
    ...flatFacts(r.annotations, a, base, "annotation"),
  ];
  const env = r.config?.env ?? {};
  fields.push(
    ...flatFacts(env, c.env, { ...base }, "env").map((x) => ({
      ...x,
      source: { ...x.source, field: `config ${x.source.field}` },
    })),
  );
  const runtime = {
    ...jsonMapFacts(c.env.runtime ? env[c.env.runtime] : undefined, {
      ...base,
      field: `config env ${c.env.runtime}`,
    }),
    ...jsonMapFacts(a.runtime ? r.annotations[a.runtime] : undefined, {
      ...base,
      field: `annotation ${a.runtime}`,
    }),
  };
  const data = dataFacts([
    ...(a.data && r.annotations[a.data]
      ? [{ raw: r.annotations[a.data] as string, source: { ...base, field: `annotation ${a.data}` } }]
      : []),
  ]);
  return { fields, runtime, data };
}

/** The container of a Deployment (or ReplicaSet) that carries the trace: the first with trace env, else the first. */
export function traceContainer(containers: readonly ContainerRecord[]): ContainerRecord | undefined {
  return containers.find((c) => Object.keys(c.env).length > 0) ?? containers[0];
}

/** What a Deployment's live template (container env, annotations) says, plus its own name. */
export function deploymentFacts(f: Found<DeploymentRecord>, c: TraceConventions): RecordFacts {
  const base = recordSource.deployment(f);
  const r = f.record;
  const container = traceContainer(r.containers);
  const env = container?.env ?? {};
  const envFacts = flatFacts(env, c.env, base, "env").map((x) => ({
    ...x,
    source: { ...x.source, field: `container ${container?.name} ${x.source.field}` },
  }));
  const fields: FieldFact[] = [
    { field: "deployment.namespace", value: r.namespace, source: { ...base, field: "metadata.namespace" } },
    { field: "deployment.name", value: r.name, source: { ...base, field: "metadata.name" } },
    ...envFacts,
    ...flatFacts(r.annotations, c.annotations, base, "annotation"),
  ];
  if (r.revision)
    fields.push({
      field: "deployment.revision",
      value: r.revision,
      source: { ...base, field: "annotation deployment.kubernetes.io/revision" },
    });
  if (container?.image)
    fields.push({
      field: "image.ref",
      value: container.image,
      source: { ...base, field: `container ${container.name} image` },
    });
  const runtime = jsonMapFacts(c.env.runtime ? env[c.env.runtime] : undefined, {
    ...base,
    field: `container ${container?.name} env ${c.env.runtime}`,
  });
  const data = dataFacts(
    c.env.data && env[c.env.data]
      ? [{ raw: env[c.env.data] as string, source: { ...base, field: `env ${c.env.data}` } }]
      : [],
  );
  return { fields, runtime, data };
}

/** What a log line's trace fields say. */
export function handleFacts(
  fields: Readonly<Record<string, string | boolean>>,
  c: TraceConventions,
): RecordFacts {
  const base = recordSource.handle();
  const runtime: Record<string, NamedFact> = {};
  const prefix = c.logFields.runtimePrefix;
  if (prefix) {
    for (const [k, v] of Object.entries(fields)) {
      if (k.startsWith(prefix) && typeof v === "string")
        runtime[k.slice(prefix.length)] = { value: v, source: { ...base, field: `log field ${k}` } };
    }
  }
  return { fields: flatFacts(fields, c.logFields, base, "log field"), runtime, data: [] };
}
