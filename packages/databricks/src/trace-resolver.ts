import {
  type ClusterRecord,
  type JobRunRecord,
  NotFoundError,
  type TaskRunRecord,
  type TraceResolver,
  ValidationError,
} from "@modeltrail/core";
import { pickCallOptions, redactUrl } from "@modeltrail/core/internal";
import type { DatabricksClient } from "./client.js";
import type { Run } from "./schemas/api/run.js";

/** Options of {@link databricksTraceResolver}. */
export interface DatabricksTraceResolverOptions {
  /** The job parameter that carries the commit (default `git_sha`, as the job templates pass it). */
  gitShaParameter?: string | undefined;
}

type Json = Record<string, unknown>;

/**
 * The Databricks part of `trace()` and `verify()`: a job run (`jobs/runs/get`, every page) with its
 * job parameters, git source and the commit it used, and each task with its parameters, libraries
 * and cluster (job cluster spec, existing cluster or serverless; runtime version, node types,
 * workers, autoscale, pool, policy, access mode, custom tags). Spark conf, Spark env vars and init
 * scripts are never read into the record: they may hold secrets. Pass it to
 * `trace(handle, { resolvers: [...] })`. Throws ValidationError for bad options.
 */
export function databricksTraceResolver(
  client: Pick<DatabricksClient, "host" | "runs">,
  options: DatabricksTraceResolverOptions = {},
): TraceResolver {
  const gitParam = options.gitShaParameter ?? "git_sha";
  if (typeof gitParam !== "string" || gitParam.trim() === "")
    throw new ValidationError("Invalid databricksTraceResolver options", {
      issues: [{ path: "gitShaParameter", message: "must be a job parameter name" }],
    });
  const host = redactUrl(client.host);
  return {
    system: "databricks",
    location: host,
    async getJobRun(runId, o) {
      if (!/^[0-9]{1,16}$/.test(runId) || !Number.isSafeInteger(Number(runId))) return undefined;
      let run: Run;
      try {
        run = await client.runs.get(Number(runId), pickCallOptions(o));
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      return toJobRun(run, host, gitParam);
    },
  };
}

/** A Databricks run in core's vocabulary. */
export function toJobRun(run: Run, host: string, gitParam = "git_sha"): JobRunRecord {
  const r = run as Run & Json;
  const parameters: Record<string, string> = {};
  for (const p of run.job_parameters ?? []) {
    const value = p.value ?? p.default;
    if (p.name && value !== undefined) parameters[p.name] = value;
  }
  const git = obj(r.git_source);
  const snapshot = obj(git?.git_snapshot);
  const usedCommit = str(snapshot?.used_commit);
  const gitSource = git
    ? compact({
        url: str(git.git_url),
        provider: str(git.git_provider),
        commit: str(git.git_commit) ?? usedCommit,
        branch: str(git.git_branch),
        tag: str(git.git_tag),
      })
    : undefined;
  const sha = usedCommit
    ? { value: usedCommit, field: "git_source.git_snapshot.used_commit" }
    : str(git?.git_commit)
      ? { value: str(git?.git_commit) as string, field: "git_source.git_commit" }
      : parameters[gitParam] && /^[0-9a-fA-F]{40}$/.test(parameters[gitParam] as string)
        ? { value: parameters[gitParam] as string, field: `job parameter ${gitParam}` }
        : undefined;
  const jobClusters = new Map<string, Json>();
  for (const jc of (r.job_clusters ?? []) as Json[]) {
    const spec = obj(jc.new_cluster);
    if (typeof jc.job_cluster_key === "string" && spec) jobClusters.set(jc.job_cluster_key, spec);
  }
  const tasks = [...(run.tasks ?? []), ...(run.iterations ?? [])].map((t) => toTask(t as Json, jobClusters));
  const result = run.state?.result_state ?? run.status?.termination_details?.code;
  return compact({
    platform: "databricks" as const,
    runId: String(run.run_id),
    jobId: run.job_id === undefined ? undefined : String(run.job_id),
    jobName: run.run_name,
    url: run.run_page_url ? redactUrl(run.run_page_url) : undefined,
    workspaceUrl: host,
    state: result ?? run.status?.state ?? run.state?.life_cycle_state,
    startedAt: iso(run.start_time),
    endedAt: iso(run.end_time),
    parameters,
    gitSource: gitSource && Object.keys(gitSource).length > 0 ? gitSource : undefined,
    gitSha: sha,
    tasks,
  });
}

function toTask(t: Json, jobClusters: Map<string, Json>): TaskRunRecord {
  const state = obj(t.state);
  const status = obj(t.status);
  const cluster = clusterOf(t, jobClusters);
  const libraries = Array.isArray(t.libraries)
    ? t.libraries.map(libraryOf).filter((x): x is string => !!x)
    : [];
  return compact({
    taskKey: String(t.task_key),
    runId: typeof t.run_id === "number" ? String(t.run_id) : undefined,
    state: str(state?.result_state) ?? str(obj(status?.termination_details)?.code) ?? str(status?.state),
    parameters: parametersOf(t),
    cluster,
    libraries: libraries.length > 0 ? libraries : undefined,
  });
}

function parametersOf(t: Json): string[] | Record<string, string> | undefined {
  const python = obj(t.spark_python_task);
  if (python && Array.isArray(python.parameters)) return python.parameters.map(String);
  const wheel = obj(t.python_wheel_task);
  if (wheel && obj(wheel.named_parameters)) return strings(obj(wheel.named_parameters));
  if (wheel && Array.isArray(wheel.parameters)) return wheel.parameters.map(String);
  const notebook = obj(t.notebook_task);
  if (notebook && obj(notebook.base_parameters)) return strings(obj(notebook.base_parameters));
  const jar = obj(t.spark_jar_task);
  if (jar && Array.isArray(jar.parameters)) return jar.parameters.map(String);
  return undefined;
}

function clusterOf(t: Json, jobClusters: Map<string, Json>): ClusterRecord | undefined {
  const instance = obj(t.cluster_instance);
  const clusterId = str(instance?.cluster_id) ?? str(t.existing_cluster_id);
  const spec =
    obj(t.new_cluster) ??
    (typeof t.job_cluster_key === "string" ? jobClusters.get(t.job_cluster_key) : undefined);
  if (spec) {
    const auto = obj(spec.autoscale);
    const docker = obj(spec.docker_image);
    return compact({
      kind: "job cluster" as const,
      clusterId,
      sparkVersion: str(spec.spark_version),
      nodeType: str(spec.node_type_id),
      driverNodeType: str(spec.driver_node_type_id),
      workers: typeof spec.num_workers === "number" ? spec.num_workers : undefined,
      autoscale:
        auto && typeof auto.min_workers === "number" && typeof auto.max_workers === "number"
          ? { min: auto.min_workers, max: auto.max_workers }
          : undefined,
      instancePoolId: str(spec.instance_pool_id),
      policyId: str(spec.policy_id),
      dataSecurityMode: str(spec.data_security_mode),
      dockerImage: docker ? (str(docker.url) ? redactUrl(str(docker.url) as string) : undefined) : undefined,
      runtimeEngine: str(spec.runtime_engine),
      customTags: obj(spec.custom_tags) ? strings(obj(spec.custom_tags)) : undefined,
    });
  }
  if (t.existing_cluster_id) return { kind: "existing cluster", clusterId };
  if (t.environment_key || clusterId === undefined) {
    return t.environment_key || isCodeTask(t) ? { kind: "serverless" } : undefined;
  }
  return { kind: "existing cluster", clusterId };
}

function isCodeTask(t: Json): boolean {
  return ["spark_python_task", "python_wheel_task", "notebook_task", "spark_jar_task"].some((k) => obj(t[k]));
}

function libraryOf(lib: unknown): string | undefined {
  const l = obj(lib);
  if (!l) return undefined;
  const pypi = obj(l.pypi);
  if (pypi && str(pypi.package)) return `pypi:${str(pypi.package)}`;
  const maven = obj(l.maven);
  if (maven && str(maven.coordinates)) return `maven:${str(maven.coordinates)}`;
  const cran = obj(l.cran);
  if (cran && str(cran.package)) return `cran:${str(cran.package)}`;
  for (const k of ["whl", "jar", "egg", "requirements"]) if (str(l[k])) return `${k}:${str(l[k])}`;
  return undefined;
}

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function strings(o: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o ?? {}))
    if (typeof v === "string" || typeof v === "number") out[k] = String(v);
  return out;
}

function iso(ms: number | undefined): string | undefined {
  return typeof ms === "number" && ms > 0 ? new Date(ms).toISOString() : undefined;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
