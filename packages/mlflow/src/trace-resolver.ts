import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ArtifactFileRecord,
  type DatasetRecord,
  type MlflowRunRecord,
  type ModelVersionRecord,
  NotFoundError,
  type TraceLookupOptions,
  type TraceQuery,
  type TraceResolver,
  ValidationError,
} from "@modeltrail/core";
import { pickCallOptions, redactUrl } from "@modeltrail/core/internal";
import { filterIdentifier, filterLiteral } from "./api-path.js";
import type { MlflowClientParts } from "./client-parts.js";
import { DATASET_CONTEXT_TAG } from "./log-inputs.js";
import { tagsToRecord } from "./schemas/common.js";
import type { ModelVersion } from "./schemas/registry.js";
import type { Run } from "./schemas/tracking.js";
import { findModelVersions, type ModelVersionQuery, traceTagName } from "./traceability.js";

/** Options of {@link mlflowTraceResolver}. */
export interface MlflowTraceResolverOptions {
  /**
   * List a model version's files with their sizes when it is looked up (one `get-download-uri` and
   * one listing request per directory). Default true.
   */
  listFiles?: boolean | undefined;
  /** At most this many files are listed or hashed per model version (default 10 000). */
  maxFiles?: number | undefined;
  /** At most this many model versions or runs a search returns (default 100). */
  maxResults?: number | undefined;
  /**
   * Experiments to search for runs of a commit or job run (MLflow searches runs per experiment).
   * Default: every active experiment (one extra request).
   */
  experimentIds?: readonly string[] | undefined;
  /** Directory for the temporary copies hashed by `getModelVersionFileDigests` (default the OS's). */
  tempDir?: string | undefined;
}

type Client = Pick<
  MlflowClientParts,
  "connection" | "runs" | "modelVersions" | "experiments" | "artifacts" | "runLink"
>;

/**
 * The MLflow part of `trace()` and `verify()`: model versions (tags, run, files with sizes), runs
 * (tags, params, latest metrics, dataset inputs), searches by commit and run id, and the sha256
 * digests of a model version's files. Pass it to `trace(handle, { resolvers: [...] })`. Every
 * look-up passes the walk's call options (signal, deadline, request counting) to the client.
 * A Unity Catalog registry is not read by this resolver (model versions are read from the
 * workspace registry of the tracking server). Throws ValidationError for bad options.
 */
export function mlflowTraceResolver(client: Client, options: MlflowTraceResolverOptions = {}): TraceResolver {
  const listFiles = options.listFiles ?? true;
  const maxFiles = positive(options.maxFiles ?? 10_000, "maxFiles");
  const maxResults = positive(options.maxResults ?? 100, "maxResults");
  const base = client.connection.baseUrl;
  const databricks = client.connection.kind === "databricks";
  const versionUrl = (name: string, version: string) =>
    `${redactUrl(base)}/#${databricks ? "mlflow/" : "/"}models/${encodeURIComponent(name)}/versions/${version}`;

  const call = (o: TraceLookupOptions) => pickCallOptions(o);

  async function files(mv: ModelVersion, o: TraceLookupOptions): Promise<ArtifactFileRecord[]> {
    // A source the artifact proxy or the run serves is listed as is; others (models:/m-...) are resolved first.
    const uri =
      mv.source && /^(mlflow-artifacts:\/|runs:\/)/.test(mv.source)
        ? mv.source
        : await client.modelVersions.getDownloadUri(mv.name, mv.version, call(o));
    const out: ArtifactFileRecord[] = [];
    for await (const entry of client.artifacts.list(uri, { ...call(o), recursive: true })) {
      if (entry.isDir) continue;
      out.push(
        entry.fileSize === undefined ? { path: entry.path } : { path: entry.path, size: entry.fileSize },
      );
      if (out.length >= maxFiles) break;
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  const toVersion = (mv: ModelVersion, fileList?: ArtifactFileRecord[]): ModelVersionRecord =>
    compact({
      name: mv.name,
      version: mv.version,
      mlflowRunId: mv.run_id || undefined,
      source: mv.source,
      status: mv.status,
      createdAt: isoOf(mv.creation_timestamp),
      url: versionUrl(mv.name, mv.version),
      tags: tagsToRecord(mv.tags),
      aliases: mv.aliases.length > 0 ? mv.aliases : undefined,
      files: fileList,
    });

  const toRun = (run: Run): MlflowRunRecord =>
    compact({
      runId: run.info.run_id,
      experimentId: run.info.experiment_id,
      runName: run.info.run_name,
      status: run.info.status,
      startedAt: isoOf(run.info.start_time),
      endedAt: isoOf(run.info.end_time),
      artifactUri: run.info.artifact_uri,
      url: redactUrl(client.runLink(run.info.experiment_id, run.info.run_id)),
      tags: tagsToRecord(run.data.tags),
      params: tagsToRecord(run.data.params),
      metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value])),
      datasets: run.inputs.dataset_inputs.map(toDataset),
    });

  async function experimentIds(o: TraceLookupOptions): Promise<string[]> {
    if (options.experimentIds) return [...options.experimentIds];
    const ids: string[] = [];
    for await (const e of client.experiments.search({ ...call(o), maxPages: 10 })) ids.push(e.experiment_id);
    return ids;
  }

  return {
    system: "mlflow",
    location: redactUrl(base),

    async getModelVersion(name, version, o) {
      let mv: ModelVersion;
      try {
        mv = await client.modelVersions.get(name, version, call(o));
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      return toVersion(mv, listFiles ? await files(mv, o) : undefined);
    },

    async findModelVersions(query, o) {
      const q = versionQuery(query);
      if (!q) return [];
      const out: ModelVersionRecord[] = [];
      for await (const mv of findModelVersions(client, q, { ...call(o), conventions: o.conventions })) {
        out.push(toVersion(mv));
        if (out.length >= maxResults) break;
      }
      return out.sort((a, b) => Number(b.version) - Number(a.version) || (a.name < b.name ? -1 : 1));
    },

    async getMlflowRun(runId, o) {
      try {
        return toRun(await client.runs.get(runId, call(o)));
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    },

    async findMlflowRuns(query, o) {
      const clauses: string[] = [];
      if (query.gitSha) {
        const key = traceTagName("code.gitSha", o.conventions);
        clauses.push(`tags.${filterIdentifier(key)} = ${filterLiteral(query.gitSha)}`);
      } else if (query.jobRunId) {
        const key = traceTagName("job.runId", o.conventions);
        clauses.push(`tags.${filterIdentifier(key)} = ${filterLiteral(query.jobRunId)}`);
      } else return [];
      const ids = await experimentIds(o);
      const out: MlflowRunRecord[] = [];
      // MLflow caps the experiments of one search; search them in groups.
      for (let i = 0; i < ids.length && out.length < maxResults; i += 100) {
        for await (const run of client.runs.search({
          ...call(o),
          experimentIds: ids.slice(i, i + 100),
          filter: clauses.join(" AND "),
          orderBy: ["attributes.start_time DESC"],
        })) {
          out.push(toRun(run));
          if (out.length >= maxResults) break;
        }
      }
      return out;
    },

    async getModelVersionFileDigests(name, version, o) {
      let uri: string;
      try {
        uri = await client.modelVersions.getDownloadUri(name, version, call(o));
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "modeltrail-verify-"));
      try {
        const result = await client.artifacts.downloadTree(uri, dir, call(o));
        if (result.files.length > maxFiles)
          throw new ValidationError(`Model version ${name}/${version} has more than ${maxFiles} files`, {
            issues: [{ path: "maxFiles", message: `${result.files.length} files` }],
          });
        const out: ArtifactFileRecord[] = [];
        for (const f of result.files) {
          out.push({ path: f.path, size: f.size, digest: await sha256File(f.localPath) });
        }
        return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The MLflow search for a walk's query: commit, job run or MLflow run; an image digest is not MLflow's. */
function versionQuery(q: TraceQuery): ModelVersionQuery | undefined {
  if (q.gitSha) return { gitSha: q.gitSha };
  if (q.jobRunId) return { jobRunId: q.jobRunId };
  if (q.mlflowRunId) return { mlflowRunId: q.mlflowRunId };
  return undefined;
}

function toDataset(input: Run["inputs"]["dataset_inputs"][number]): DatasetRecord {
  const d = input.dataset;
  const tags = tagsToRecord(input.tags);
  return compact({
    name: d.name,
    digest: d.digest || undefined,
    uri: sourceUri(d.source),
    sourceType: d.source_type,
    context: tags[DATASET_CONTEXT_TAG],
  });
}

/** MLflow stores a dataset's source as JSON (`{"uri": ...}`, `{"url": ...}`, `{"table_name": ...}`, `{"path": ...}`). */
function sourceUri(source: string | undefined): string | undefined {
  if (!source) return undefined;
  try {
    const parsed: unknown = JSON.parse(source);
    if (parsed && typeof parsed === "object") {
      const s = parsed as Record<string, unknown>;
      for (const key of ["uri", "url", "table_name", "path", "volume_path"]) {
        const v = s[key];
        if (typeof v === "string" && v !== "") return redactUrlLike(v);
      }
    }
  } catch {
    // not JSON: the source is the URI itself
  }
  return redactUrlLike(source);
}

function redactUrlLike(v: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? redactUrl(v) : v;
}

function isoOf(ms: number | undefined): string | undefined {
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new ValidationError("Invalid mlflowTraceResolver options", {
      issues: [{ path: name, message: "must be a whole number of at least 1" }],
    });
  return n;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(`sha256:${hash.digest("hex")}`));
  });
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
