import { pathToFileURL } from "node:url";
import {
  type ClusterRecord,
  ConfigError,
  type JobRunRecord,
  NotFoundError,
  type TraceResolver,
  ValidationError,
} from "@modeltrail/core";
import type { LocalJobRunner } from "./local/local-job-runner.js";
import type { LocalRunEnvironment } from "./local/local-run-environment.js";
import { type LocalRunRecord, localRunRecordPath, readLocalRunRecord } from "./local/local-run-record.js";
import { toJobRun } from "./trace-resolver.js";

/** Where {@link localJobTraceResolver} finds local runs, and how it reads them. */
export interface LocalJobTraceResolverOptions {
  /** A runner of this process that keeps records (`records: true` or `{ dir }`): its runs are read first. */
  runner?: LocalJobRunner | undefined;
  /** A directory of run records (`records: { dir }` of a runner, possibly of an earlier process). */
  dir?: string | undefined;
  /** The job parameter that carries the commit (default `git_sha`, as the job templates pass it). */
  gitShaParameter?: string | undefined;
}

/**
 * The part of `trace()` and `verify()` that reads training job runs a `LocalJobRunner` ran in place of
 * Databricks (system `local-job`, platform `local`): the job run id, job and task parameters as
 * resolved, task run ids and states, the commit (the `git_sha` job parameter, else the checkout's
 * HEAD), the Python version and installed packages of the tasks' interpreter, the Node version, the
 * host (name, OS, architecture, CPUs, memory) and the git checkout (commit, branch, dirty state). It
 * fills the same report fields as `databricksTraceResolver`, with a `local` cluster in place of a
 * Databricks one. Reads the runner's records first, then `<dir>/<run id>.json`. Throws
 * ValidationError when neither `runner` nor `dir` is given.
 */
export function localJobTraceResolver(options: LocalJobTraceResolverOptions): TraceResolver {
  const { runner, dir } = options ?? {};
  const gitParam = options?.gitShaParameter ?? "git_sha";
  const issues: Array<{ path: string; message: string }> = [];
  if (runner === undefined && (typeof dir !== "string" || dir.trim() === ""))
    issues.push({
      path: "runner",
      message: "give a LocalJobRunner that keeps records, or dir: a directory of run records",
    });
  if (dir !== undefined && (typeof dir !== "string" || dir.trim() === ""))
    issues.push({ path: "dir", message: "must be a directory path" });
  if (typeof gitParam !== "string" || gitParam.trim() === "")
    issues.push({ path: "gitShaParameter", message: "must be a job parameter name" });
  if (issues.length > 0) throw new ValidationError("Invalid localJobTraceResolver options", { issues });
  return {
    system: "local-job",
    location: dir ?? "LocalJobRunner of this process",
    async getJobRun(runId) {
      if (!/^[0-9]{1,16}$/.test(runId) || !Number.isSafeInteger(Number(runId))) return undefined;
      if (runner) {
        const found = await fromRunner(runner, Number(runId));
        if (found) return toLocalJobRun(found, gitParam);
      }
      if (dir !== undefined) {
        const record = await readLocalRunRecord(dir, runId);
        if (record) {
          const path = localRunRecordPath(dir, runId) as string;
          return toLocalJobRun(record, gitParam, pathToFileURL(path).href);
        }
      }
      return undefined;
    },
  };
}

async function fromRunner(
  runner: LocalJobRunner,
  runId: number,
): Promise<LocalRunRecord | Pick<LocalRunRecord, "run"> | undefined> {
  try {
    return await runner.record(runId);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    if (!(err instanceof ConfigError)) throw err;
    // a runner that keeps no records still knows its runs: answer without the environment
    return { run: runner.find(runId).snapshot() };
  }
}

/**
 * A local run record in core's vocabulary: a `JobRunRecord` with platform `local`, each task on a
 * `local` cluster (the host, the interpreter), the Python packages as the task's libraries, the
 * interpreter versions as `runtime`, and the checkout as `gitSource`. Never throws.
 */
export function toLocalJobRun(
  record: LocalRunRecord | Pick<LocalRunRecord, "run">,
  gitParam = "git_sha",
  url?: string,
): JobRunRecord {
  const env: LocalRunEnvironment | undefined = "environment" in record ? record.environment : undefined;
  const base = toJobRun(record.run, "", gitParam);
  const checkout = env?.checkout;
  const python = env?.python;
  const node = env?.node;
  const runtime: Record<string, string> = {};
  if (python) runtime.python = python.version;
  if (node) runtime.node = node.version.replace(/^v/, "");
  const host = env?.host;
  const pythonTasks = new Set(
    (record.run.tasks ?? [])
      .filter((t) => t.python_wheel_task || (t.spark_python_task && !isNodeFile(t.spark_python_task)))
      .map((t) => t.task_key),
  );
  const tasks = base.tasks.map((t) => {
    const isPython = pythonTasks.has(t.taskKey);
    const cluster: ClusterRecord = compact({
      kind: "local" as const,
      clusterId: host?.hostname,
      runtimeVersion: isPython
        ? python
          ? `${python.implementation} ${python.version}`
          : undefined
        : node
          ? `Node.js ${node.version.replace(/^v/, "")}`
          : undefined,
      host: host
        ? compact({
            hostname: host.hostname,
            os: host.os,
            arch: host.arch,
            cpus: host.cpus,
            cpuModel: host.cpuModel,
            memoryBytes: host.memoryBytes,
          })
        : undefined,
    });
    const libraries =
      isPython && python ? python.packages.map((p) => `pypi:${p.name}==${p.version}`) : undefined;
    return compact({ ...t, cluster, libraries: libraries && libraries.length > 0 ? libraries : undefined });
  });
  const gitSha =
    base.gitSha ??
    (checkout ? { value: checkout.commit, field: `checkout HEAD of ${checkout.directory}` } : undefined);
  const gitSource = checkout
    ? compact({
        url: checkout.remoteUrl,
        provider: "git",
        commit: checkout.commit,
        branch: checkout.branch,
        dirty: checkout.dirty,
      })
    : undefined;
  const out: JobRunRecord = compact({
    ...base,
    platform: "local" as const,
    workspaceUrl: undefined,
    url,
    gitSha,
    gitSource,
    tasks,
    runtime: Object.keys(runtime).length > 0 ? runtime : undefined,
  });
  return out;
}

function isNodeFile(task: { python_file?: unknown }): boolean {
  return typeof task.python_file === "string" && /\.(c|m)?(js|ts)$/.test(task.python_file);
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
