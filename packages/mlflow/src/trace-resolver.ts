import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ArtifactFileRecord,
  type CallOptions,
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
import type { ArtifactFileInfo, DownloadOptions, DownloadResult } from "./artifacts/types.js";
import type { MlflowClientParts } from "./client-parts.js";
import { DATASET_CONTEXT_TAG } from "./log-inputs.js";
import { tagsToRecord } from "./schemas/common.js";
import type { ModelVersion } from "./schemas/registry.js";
import type { Run } from "./schemas/tracking.js";
import { findModelVersions, type ModelVersionQuery, traceTagName } from "./traceability.js";
import type { UnityCatalogRegistry } from "./unity-catalog/uc-registry.js";
import { fromUcTagKeys, splitUcModelName } from "./unity-catalog/uc-rules.js";
import type { UcModelVersion } from "./unity-catalog/uc-schemas.js";

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
  /**
   * Unity Catalog models (`catalog.schema.model`) searched for the versions of a commit or a job run.
   * UC's search filters only on a model name or an MLflow run id, so without names a commit or job
   * run finds UC versions only through the MLflow runs it finds. Needs a client whose registry is
   * Unity Catalog (`registryUri: "databricks-uc"`).
   */
  unityCatalogModels?: readonly string[] | undefined;
}

type Client = Pick<
  MlflowClientParts,
  "connection" | "runs" | "modelVersions" | "experiments" | "artifacts" | "runLink"
> & {
  /** The Unity Catalog registry, when the client's registry URI is `databricks-uc` (`MlflowClient.unityCatalog`). */
  readonly unityCatalog?: UnityCatalogRegistry | undefined;
  /** `MlflowClient.listUcModelVersionFiles`: a UC version's files with sizes. */
  listUcModelVersionFiles?(
    modelVersion: UcModelVersion,
    options?: CallOptions & { maxEntries?: number | undefined },
  ): Promise<ArtifactFileInfo[]>;
  /** `MlflowClient.download`: a UC version's files (`models:/catalog.schema.model/3`). */
  download?(uri: string, destDir: string, options?: DownloadOptions): Promise<DownloadResult>;
};

/**
 * The MLflow part of `trace()` and `verify()`: model versions (tags, run, files with sizes), runs
 * (tags, params, latest metrics, dataset inputs), searches by commit and run id, and the sha256
 * digests of a model version's files. Pass it to `trace(handle, { resolvers: [...] })`. Every
 * look-up passes the walk's call options (signal, deadline, request counting) to the client.
 * With a Unity Catalog registry (a client with `registryUri: "databricks-uc"`), three-level names
 * (`catalog.schema.model`) are read from Unity Catalog: the version with its tags (UC's tag keys
 * mapped back to the convention's names), its files listed in its storage location, its files'
 * digests from a download; searches by MLflow run id go to UC's search, by commit or job run to
 * the versions of `unityCatalogModels`. Other names are read from the workspace registry.
 * Throws ValidationError for bad options.
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
  const uc = client.unityCatalog;
  const ucModels = [...(options.unityCatalogModels ?? [])];
  for (const [i, name] of ucModels.entries()) {
    if (!isUcName(name))
      throw new ValidationError("Invalid mlflowTraceResolver options", {
        issues: [
          { path: `unityCatalogModels[${i}]`, message: "must be a three-level name: catalog.schema.model" },
        ],
      });
  }
  if (ucModels.length > 0 && !uc)
    throw new ValidationError("Invalid mlflowTraceResolver options", {
      issues: [
        {
          path: "unityCatalogModels",
          message: 'needs a client whose registry is Unity Catalog (registryUri: "databricks-uc")',
        },
      ],
    });
  const ucUrl = (name: string, version: string) => {
    const [catalog, schema, model] = name.split(".").map((p) => encodeURIComponent(p));
    return `${redactUrl(base)}/explore/data/models/${catalog}/${schema}/${model}/version/${version}`;
  };

  /** A UC version as a record: UC's tag keys mapped back to the conventions' names. */
  function toUcVersion(
    mv: UcModelVersion,
    o: TraceLookupOptions,
    fileList?: ArtifactFileRecord[],
  ): ModelVersionRecord {
    const c = o.conventions.mlflowTags;
    const known = [...Object.values(c.fields).flat(), c.schemaVersion].filter(
      (n): n is string => typeof n === "string",
    );
    const prefixes = [c.runtimePrefix, c.extraPrefix, c.dataPrefix].filter(
      (p): p is string => typeof p === "string" && p !== "",
    );
    return {
      ...toVersion(mv, fileList),
      url: ucUrl(mv.name, mv.version),
      tags: fromUcTagKeys(tagsToRecord(mv.tags), known, prefixes),
    };
  }

  async function ucFiles(
    mv: UcModelVersion,
    o: TraceLookupOptions,
  ): Promise<ArtifactFileRecord[] | undefined> {
    if (!client.listUcModelVersionFiles) return undefined;
    const entries = await client.listUcModelVersionFiles(mv, { ...call(o), maxEntries: maxFiles * 4 });
    const out: ArtifactFileRecord[] = [];
    for (const e of entries) {
      if (e.isDir) continue;
      out.push(e.fileSize === undefined ? { path: e.path } : { path: e.path, size: e.fileSize });
      if (out.length >= maxFiles) break;
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Versions in UC of an MLflow run (UC's search), or of a commit or job run (the versions of `unityCatalogModels`). */
  async function findInUc(
    registry: UnityCatalogRegistry,
    query: TraceQuery,
    o: TraceLookupOptions,
  ): Promise<ModelVersionRecord[]> {
    const out: ModelVersionRecord[] = [];
    if (query.mlflowRunId) {
      for await (const hit of registry.searchModelVersions({
        ...call(o),
        filter: `run_id = ${filterLiteral(query.mlflowRunId)}`,
      })) {
        out.push(toUcVersion(await registry.getModelVersion(hit.name, hit.version, call(o)), o));
        if (out.length >= maxResults) break;
      }
      return out;
    }
    const field = query.gitSha ? "code.gitSha" : query.jobRunId ? "job.runId" : undefined;
    const want = query.gitSha?.toLowerCase() ?? query.jobRunId;
    if (!field || !want) return out;
    const names = o.conventions.mlflowTags.fields[field];
    for (const name of ucModels) {
      for await (const hit of registry.listModelVersions(name, call(o))) {
        // UC's search answers without tags: each version is read
        const record = toUcVersion(await registry.getModelVersion(hit.name, hit.version, call(o)), o);
        const match = names.some((n) => {
          const v = record.tags[n];
          return v !== undefined && (field === "code.gitSha" ? v.toLowerCase() === want : v === want);
        });
        if (match) out.push(record);
        if (out.length >= maxResults) return out;
      }
    }
    return out;
  }

  /** A version's source when the artifact proxy or the run serves it as is (else undefined: ask get-download-uri). */
  const servedSource = (mv: ModelVersion): string | undefined =>
    mv.source && /^(mlflow-artifacts:\/|runs:\/)/.test(mv.source) ? mv.source : undefined;

  async function files(mv: ModelVersion, o: TraceLookupOptions): Promise<ArtifactFileRecord[]> {
    // A source the artifact proxy or the run serves is listed as is; others (models:/m-...) are resolved first.
    const uri = servedSource(mv) ?? (await client.modelVersions.getDownloadUri(mv.name, mv.version, call(o)));
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

  async function hashFiles(result: DownloadResult, what: string): Promise<ArtifactFileRecord[]> {
    if (result.files.length > maxFiles)
      throw new ValidationError(`Model version ${what} has more than ${maxFiles} files`, {
        issues: [{ path: "maxFiles", message: `${result.files.length} files` }],
      });
    const out: ArtifactFileRecord[] = [];
    for (const f of result.files) {
      out.push({ path: f.path, size: f.size, digest: await sha256File(f.localPath) });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

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
      if (uc && isUcName(name)) {
        let mv: UcModelVersion;
        try {
          mv = await uc.getModelVersion(name, version, call(o));
        } catch (err) {
          if (err instanceof NotFoundError) return undefined;
          throw err;
        }
        return toUcVersion(mv, o, listFiles ? await ucFiles(mv, o) : undefined);
      }
      let mv: ModelVersion;
      try {
        mv = await client.modelVersions.get(name, version, call(o));
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      o.walkCache?.set(`mlflow:model-version:${name}/${version}`, mv);
      return toVersion(mv, listFiles ? await files(mv, o) : undefined);
    },

    async findModelVersions(query, o) {
      const q = versionQuery(query);
      if (!q) return [];
      // a client whose registry is Unity Catalog searches UC, as MLflow's client does
      if (uc) return sortVersions(await findInUc(uc, query, o));
      const out: ModelVersionRecord[] = [];
      for await (const mv of findModelVersions(client, q, { ...call(o), conventions: o.conventions })) {
        out.push(toVersion(mv));
        if (out.length >= maxResults) break;
      }
      return sortVersions(out);
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
      if (uc && isUcName(name)) {
        if (!client.download) return undefined;
        const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "modeltrail-verify-"));
        try {
          let result: DownloadResult;
          try {
            result = await client.download(`models:/${name}/${version}`, dir, call(o));
          } catch (err) {
            if (err instanceof NotFoundError) return undefined;
            throw err;
          }
          return await hashFiles(result, `${name}/${version}`);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      let uri: string;
      // the version this walk read already names where its files are (as files() lists them)
      const known = o.walkCache?.get(`mlflow:model-version:${name}/${version}`) as ModelVersion | undefined;
      try {
        uri =
          (known && servedSource(known)) ??
          (await client.modelVersions.getDownloadUri(name, version, call(o)));
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "modeltrail-verify-"));
      try {
        const result = await client.artifacts.downloadTree(uri, dir, call(o));
        return await hashFiles(result, `${name}/${version}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Newest version first, then by name. */
function sortVersions(list: ModelVersionRecord[]): ModelVersionRecord[] {
  return list.sort((a, b) => Number(b.version) - Number(a.version) || (a.name < b.name ? -1 : 1));
}

/** A Unity Catalog model name: `catalog.schema.model`. */
function isUcName(name: string): boolean {
  try {
    splitUcModelName(name);
    return true;
  } catch {
    return false;
  }
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
