import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CallOptions,
  ConflictError,
  classifyRunId,
  DEFAULT_CONVENTIONS,
  fromMlflowTags,
  NetworkError,
  RateLimitError,
  ServerError,
  TimeoutError,
  type TraceContext,
  toMlflowTags,
  ValidationError,
} from "@modeltrail/core";
import { abortErrorFor, pickCallOptions, startCall } from "@modeltrail/core/internal";
import { parse as parseYaml } from "yaml";
import { filterLiteral } from "../api-path.js";
import type {
  ArtifactFileInfo,
  ArtifactRef,
  DownloadResult,
  TransferOptions,
  UploadResult,
} from "../artifacts/types.js";
import { collectLocalTree } from "../artifacts/upload.js";
import type { MlflowClientParts } from "../client-parts.js";
import { listResourceTree } from "../databricks/artifact-resources.js";
import { downloadResourceFiles, type ResourceDownloadSettings } from "../databricks/resource-download.js";
import { uploadResourceFiles } from "../databricks/resource-upload.js";
import type { StorageTransport } from "../databricks/storage-transport.js";
import { findLoggedModelOfRun } from "../logged-models.js";
import { tagsToRecord } from "../schemas/common.js";
import type { ModelVersion } from "../schemas/registry.js";
import type {
  FindModelVersionsOptions,
  ModelVersionQuery,
  RegisterModelOptions,
  RegisterModelResult,
  TraceCodecOptions,
} from "../traceability.js";
import { joinArtifactUri } from "../uris.js";
import type { UnityCatalogRegistry } from "./uc-registry.js";
import { fromUcTagKeys, splitUcModelName, toUcTagKeys, validateUcTags } from "./uc-rules.js";
import type { UcModelVersion } from "./uc-schemas.js";
import { type UcStorageOptions, ucStorageResource } from "./uc-storage.js";

/** What the Unity Catalog flows need of a client. */
export interface UcContext {
  client: Pick<MlflowClientParts, "runs" | "artifacts" | "http">;
  registry: UnityCatalogRegistry;
  transport: StorageTransport;
  settings: ResourceDownloadSettings;
  storage?: UcStorageOptions | undefined;
  env?: Record<string, string | undefined> | undefined;
  /** Wait between READY polls (ms, default 1000). */
  pollMs?: number | undefined;
}

/**
 * Checks the MLmodel file of a model directory for what Unity Catalog requires: a signature with
 * inputs and outputs. Throws ValidationError saying how to log a model with a signature.
 */
export async function checkUcSignature(modelDir: string): Promise<void> {
  const why =
    "Unity Catalog only registers models logged with a signature that has inputs and outputs: " +
    "log the model with signature=infer_signature(X, model.predict(X)) (mlflow.models.infer_signature)";
  let text: string;
  try {
    text = await readFile(join(modelDir, "MLmodel"), "utf8");
  } catch {
    throw new ValidationError("The model to register has no MLmodel file", {
      issues: [{ path: "MLmodel", message: "missing" }],
      hint: `${why}; the artifact path must be an MLflow model directory`,
    });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new ValidationError("The model's MLmodel file is not valid YAML", { hint: why });
  }
  const sig = (doc as { signature?: { inputs?: unknown; outputs?: unknown } } | null)?.signature;
  if (!sig) {
    throw new ValidationError("The model to register has no signature, which Unity Catalog requires", {
      issues: [{ path: "MLmodel.signature", message: "missing" }],
      hint: why,
    });
  }
  if (!sig.outputs) {
    throw new ValidationError("The model's signature has inputs only; Unity Catalog requires outputs too", {
      issues: [{ path: "MLmodel.signature.outputs", message: "missing" }],
      hint: why,
    });
  }
}

/** Tag names the conventions write, for mapping Unity Catalog keys back. */
function conventionNames(options: TraceCodecOptions): { known: string[]; prefixes: string[] } {
  const c = (options.conventions ?? DEFAULT_CONVENTIONS).mlflowTags;
  const known = [...Object.values(c.fields).flat(), c.schemaVersion].filter(
    (n): n is string => typeof n === "string",
  );
  const prefixes = [c.runtimePrefix, c.extraPrefix, c.dataPrefix].filter(
    (p): p is string => typeof p === "string" && p !== "",
  );
  return { known, prefixes };
}

function isLostResponse(err: unknown): boolean {
  return (
    err instanceof NetworkError ||
    err instanceof TimeoutError ||
    err instanceof ServerError ||
    err instanceof RateLimitError
  );
}

/**
 * `registerModel` for the Unity Catalog registry, as MLflow's UC store does it: finds the model of
 * `runs:/<run>/<artifactPath>` (the run's own artifacts, else its MLflow 3 logged model), downloads
 * it, checks its signature (UC requires one: ValidationError otherwise), creates the registered
 * model when missing, returns the version already registered from this run and source if there is
 * one, else creates a version, uploads the files to the storage location UC assigns with the
 * temporary credentials it hands out, finalizes it and waits until READY. Trace tags are stored
 * under UC-safe keys (`mlflow.source.git.commit` -> `mlflow_source_git_commit`) and checked against
 * UC's rules before anything is sent. Throws ValidationError, NotFoundError, ApiError, NetworkError.
 */
export async function registerUcModel(
  uc: UcContext,
  ctx: TraceContext,
  options: RegisterModelOptions,
): Promise<RegisterModelResult> {
  const { client, registry } = uc;
  const { runId, name } = options;
  const call = startCall(options);
  splitUcModelName(name);
  const artifactPath = String(options.artifactPath ?? "").replace(/^\/+|\/+$/g, "");
  const trace = ctx.with({ model: { name, mlflowRunId: runId, version: null, uri: null } });
  const tags = toUcTagKeys({ ...toMlflowTags(trace, { conventions: options.conventions }), ...options.tags });
  validateUcTags(tags, "model version");

  const run = await client.runs.get(runId, call);
  const root = run.info.artifact_uri ?? "";
  let source = joinArtifactUri(root, artifactPath);
  let files: ArtifactRef = { runId, path: artifactPath };
  let modelId: string | undefined;
  const entries: string[] = [];
  for await (const e of client.artifacts.list(
    { runId, path: artifactPath },
    { ...call, recursive: false, runArtifactsOnly: true },
  )) {
    entries.push(e.path);
    if (entries.length > 1000) break;
  }
  if (!entries.includes("MLmodel")) {
    const logged = await findLoggedModelOfRun(client.http, run, artifactPath, call).catch(() => undefined);
    if (logged) {
      source = logged.artifact_uri;
      files = logged.artifact_uri;
      modelId = logged.model_id;
    }
  }

  const tmp = await mkdtemp(join(tmpdir(), "modeltrail-uc-"));
  try {
    await client.artifacts.downloadTree(files, tmp, call);
    await checkUcSignature(tmp);

    try {
      await registry.createRegisteredModel(name, call);
    } catch (err) {
      if (!(err instanceof ConflictError)) {
        const exists = await registry.getRegisteredModel(name, call).then(
          () => true,
          () => false,
        );
        if (!exists) throw err;
      }
    }
    const finish = async (mv: UcModelVersion, created: boolean): Promise<RegisterModelResult> => {
      const ready = await awaitUcReady(uc, mv, options.awaitReadyMs ?? 300_000, call);
      return {
        modelVersion: ready,
        created,
        source,
        trace: trace.with({ model: { version: ready.version, uri: `models:/${name}/${ready.version}` } }),
      };
    };
    const existing = await findUcVersionFromRun(uc, name, runId, source, call);
    if (existing?.status === "READY") return finish(existing, false);

    let mv: UcModelVersion | undefined = existing;
    const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    for (let attempt = 1; mv === undefined; attempt++) {
      try {
        mv = await registry.createModelVersion({
          name,
          source,
          runId,
          tags,
          description: options.description,
          modelId,
          ...call,
        });
      } catch (err) {
        if (!isLostResponse(err) || attempt >= maxAttempts) throw err;
        mv = await findUcVersionFromRun(uc, name, runId, source, call).catch(() => undefined);
      }
    }
    if (!mv.storage_location) mv = await registry.getModelVersion(name, mv.version, call);
    await uploadUcModelVersionFiles(uc, mv, tmp, call);
    const finalized = await registry.finalizeModelVersion(name, mv.version, call);
    return finish(finalized, existing === undefined);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Uploads a local model directory to a UC version's storage location with READ_WRITE temporary credentials. */
export async function uploadUcModelVersionFiles(
  uc: UcContext,
  mv: UcModelVersion,
  localDir: string,
  options: TransferOptions = {},
): Promise<UploadResult> {
  if (!mv.storage_location) {
    throw new ValidationError(`Model version ${mv.name}/${mv.version} has no storage location to upload to`);
  }
  const resource = ucStorageResource({
    registry: uc.registry,
    transport: uc.transport,
    name: mv.name,
    version: mv.version,
    storageLocation: mv.storage_location,
    operation: "MODEL_VERSION_OPERATION_READ_WRITE",
    options: uc.storage,
    env: uc.env,
  });
  const items = await collectLocalTree(localDir);
  // S3 multipart would go through the workspace's run endpoints, which UC storage has none of
  const transfer = { ...uc.settings.transfer, multipartUpload: false };
  return uploadResourceFiles(
    uc.client.http,
    uc.transport,
    resource,
    mv.version,
    "",
    items,
    { ...uc.settings, transfer },
    options,
  );
}

/** Downloads the files of a UC model version into `destDir` with READ temporary credentials. */
export async function downloadUcModelVersion(
  uc: UcContext,
  name: string,
  version: string,
  destDir: string,
  options: TransferOptions = {},
): Promise<DownloadResult> {
  const call = startCall(options);
  const mv = await uc.registry.getModelVersion(name, version, call);
  if (!mv.storage_location)
    throw new ValidationError(`Model version ${name}/${version} has no storage location`);
  const resource = ucStorageResource({
    registry: uc.registry,
    transport: uc.transport,
    name,
    version: mv.version,
    storageLocation: mv.storage_location,
    operation: "MODEL_VERSION_OPERATION_READ",
    options: uc.storage,
    env: uc.env,
  });
  const entries = await listResourceTree(resource, "", pickCallOptions(call));
  return downloadResourceFiles(uc.transport, resource, "", entries, destDir, uc.settings, {
    ...options,
    ...call,
  });
}

/**
 * The files of a UC model version (as read with `getModelVersion`: its storage location) with their
 * sizes, listed in that location with READ temporary credentials. Throws ValidationError when the
 * version has no storage location or the listing is malformed, and the storage's errors.
 */
export async function listUcModelVersionFiles(
  uc: UcContext,
  mv: UcModelVersion,
  options: CallOptions & { maxEntries?: number | undefined } = {},
): Promise<ArtifactFileInfo[]> {
  const { maxEntries, ...rest } = options;
  const call = startCall(rest);
  if (!mv.storage_location)
    throw new ValidationError(`Model version ${mv.name}/${mv.version} has no storage location`);
  const resource = ucStorageResource({
    registry: uc.registry,
    transport: uc.transport,
    name: mv.name,
    version: mv.version,
    storageLocation: mv.storage_location,
    operation: "MODEL_VERSION_OPERATION_READ",
    options: uc.storage,
    env: uc.env,
  });
  return listResourceTree(resource, "", {
    ...pickCallOptions(call),
    ...(maxEntries === undefined ? {} : { maxEntries }),
  });
}

/** The version of `name` registered from `runId` with this source, if any (the oldest, not FAILED). */
async function findUcVersionFromRun(
  uc: UcContext,
  name: string,
  runId: string,
  source: string,
  call: CallOptions,
): Promise<UcModelVersion | undefined> {
  let best: ModelVersion | undefined;
  for await (const mv of uc.registry.searchModelVersions({
    ...call,
    filter: `run_id = ${filterLiteral(runId)}`,
  })) {
    if (mv.name !== name || mv.source !== source || mv.status === "FAILED_REGISTRATION") continue;
    if (!best || Number(mv.version) < Number(best.version)) best = mv;
  }
  return best ? uc.registry.getModelVersion(name, best.version, call) : undefined;
}

async function awaitUcReady(
  uc: UcContext,
  mv: UcModelVersion,
  maxMs: number,
  call: CallOptions,
): Promise<UcModelVersion> {
  let current = mv;
  const deadline = Date.now() + maxMs;
  while (current.status === "PENDING_REGISTRATION" && Date.now() < deadline) {
    await abortableDelay(uc.pollMs ?? 1000, call.signal);
    current = await uc.registry.getModelVersion(mv.name, mv.version, call);
  }
  return current;
}

/** Waits `ms`; rejects with an AbortError as soon as `signal` aborts (at once when it already has). */
function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  const what = "Waiting for the model version registration";
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorFor(signal, what));
      return;
    }
    const abort = () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal, what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/**
 * `findModelVersions` on Unity Catalog, whose search accepts only `name = ...` or `run_id = ...`
 * and answers without tags: an MLflow run id is searched directly; a commit or job run id needs
 * `name` (ValidationError otherwise) and is matched on each version's tags (read one by one).
 * `{ runId }` is either kind, told apart by shape (core's `classifyRunId`: 32 hex characters are an
 * MLflow run id, anything else a job run id). Yields full versions with their tags.
 */
export async function* findUcModelVersions(
  uc: UcContext,
  input: ModelVersionQuery,
  options: FindModelVersionsOptions = {},
): AsyncGenerator<ModelVersion, void, undefined> {
  const call = startCall(options);
  let query = input;
  if ("runId" in query && query.runId) {
    const id = String(query.runId).trim();
    query = classifyRunId(id) === "mlflow-run" ? { mlflowRunId: id } : { jobRunId: id };
  }
  if ("mlflowRunId" in query && query.mlflowRunId) {
    for await (const mv of uc.registry.searchModelVersions({
      ...call,
      filter: `run_id = ${filterLiteral(query.mlflowRunId)}`,
    })) {
      if (options.name && mv.name !== options.name) continue;
      yield await uc.registry.getModelVersion(mv.name, mv.version, call);
    }
    return;
  }
  if (!options.name) {
    throw new ValidationError(
      "Finding Unity Catalog model versions by commit or job run needs the model name",
      {
        issues: [
          {
            path: "name",
            message: "required with Unity Catalog (its search filters only on name or run_id)",
          },
        ],
      },
    );
  }
  const { known, prefixes } = conventionNames(options);
  let want: { field: "gitSha" | "jobRunId"; value: string };
  if ("gitSha" in query && query.gitSha) {
    const sha = query.gitSha.trim().toLowerCase();
    if (!/^[0-9a-f]{4,40}$/.test(sha)) {
      throw new ValidationError(`Invalid git SHA "${query.gitSha}"`, {
        issues: [{ path: "gitSha", message: "must be 4 to 40 hexadecimal characters" }],
      });
    }
    want = { field: "gitSha", value: sha };
  } else if ("jobRunId" in query && query.jobRunId)
    want = { field: "jobRunId", value: String(query.jobRunId) };
  else {
    throw new ValidationError("findModelVersions needs one of gitSha, runId, jobRunId or mlflowRunId", {
      issues: [
        { path: "query", message: "expected { gitSha } | { runId } | { jobRunId } | { mlflowRunId }" },
      ],
    });
  }
  for await (const hit of uc.registry.listModelVersions(options.name, call)) {
    const mv = await uc.registry.getModelVersion(hit.name, hit.version, call);
    let trace: TraceContext;
    try {
      trace = fromMlflowTags(fromUcTagKeys(tagsToRecord(mv.tags), known, prefixes), {
        conventions: options.conventions,
      });
    } catch {
      continue;
    }
    const sha = trace.code?.gitSha?.toLowerCase();
    if (want.field === "gitSha" ? sha?.startsWith(want.value) : trace.job?.runId === want.value) yield mv;
  }
}

/** `traceOfModelVersion` on Unity Catalog: the version's UC-keyed tags mapped back and decoded. */
export async function ucTraceOfModelVersion(
  uc: UcContext,
  name: string,
  version: string | number,
  options: CallOptions & TraceCodecOptions = {},
): Promise<TraceContext> {
  const mv = await uc.registry.getModelVersion(name, version, options);
  const { known, prefixes } = conventionNames(options);
  const ctx = fromMlflowTags(fromUcTagKeys(tagsToRecord(mv.tags), known, prefixes), {
    conventions: options.conventions,
  });
  return ctx.with({
    model: { name: mv.name, version: mv.version, ...(mv.run_id ? { mlflowRunId: mv.run_id } : {}) },
  });
}
