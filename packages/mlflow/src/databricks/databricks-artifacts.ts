import { mkdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { setTimeout as sleepTimer } from "node:timers/promises";
import { type CallOptions, ConfigError, NotFoundError, ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions, startCall } from "@modeltrail/core/internal";
import { z } from "zod";
import { MLFLOW_API } from "../api-path.js";
import { parseArtifactUri } from "../artifacts/artifact-location.js";
import {
  artifactBaseName,
  artifactDirName,
  assertSafeArtifactPath,
  joinArtifactPath,
  parseArtifactPathArg,
} from "../artifacts/artifact-path.js";
import {
  type ListArtifactsOptions,
  MlflowArtifacts,
  type MlflowArtifactsOptions,
} from "../artifacts/artifacts-client.js";
import { DEFAULT_SYNC_IO_MAX_BYTES } from "../artifacts/download-file.js";
import type {
  ArtifactFileInfo,
  ArtifactRef,
  DownloadOptions,
  DownloadResult,
  TransferOptions,
  UploadResult,
} from "../artifacts/types.js";
import { collectLocalTree, singleFileItem } from "../artifacts/upload.js";
import { loggedModelOfRunPath } from "../logged-models.js";
import {
  type DatabricksArtifactResource,
  listResourceTree,
  loggedModelArtifactResource,
  modelVersionArtifactResource,
  runArtifactResource,
} from "./artifact-resources.js";
import type { CredentialPoolOptions } from "./credential-pool.js";
import { isDatabricksTrackingArtifactUri, parseDatabricksArtifactUri } from "./dbfs-artifact-uri.js";
import { downloadResourceFiles, type ResourceDownloadSettings } from "./resource-download.js";
import { uploadResourceFiles } from "./resource-upload.js";
import { StorageTransport, type StorageTransportOptions } from "./storage-transport.js";
import { type DatabricksTransferSettings, databricksTransferSettings } from "./transfer-settings.js";

/** Options of DatabricksArtifacts: the artifact client's, plus the cloud-storage side. */
export interface DatabricksArtifactsOptions extends MlflowArtifactsOptions {
  /** Environment with MLflow's transfer variables (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
  /** Transport of the cloud-storage requests (timeouts, retries, dispatcher). */
  storage?: StorageTransportOptions | undefined;
  /** How signed URIs are fetched and renewed (batch size, expiry margin, clock). */
  credentials?: CredentialPoolOptions | undefined;
}

/** A place inside a resource. */
interface ResourceLocation {
  resource: DatabricksArtifactResource;
  /** Id the workspace keys uploads by (run id or logged model id). */
  id: string;
  /** Path relative to the resource root ("" for the root). */
  path: string;
  /** The path the caller asked for, relative to what they named (for local names). */
  requested: string;
}

const runSchema = z.object({
  run: z.object({
    info: z.object({ artifact_uri: z.string().optional(), experiment_id: z.string().optional() }),
  }),
});

/**
 * MLflow artifacts of a Databricks workspace. Runs and MLflow 3 logged models whose artifacts are
 * at `dbfs:/databricks/mlflow-tracking/...` are listed through the tracking API and transferred
 * straight to and from the workspace's cloud store with signed URIs that the workspace hands out
 * (`credentials-for-read` / `credentials-for-write`, `logged-models/<id>/artifacts/credentials-for-*`),
 * as MLflow's DatabricksArtifactRepository does: Azure blob (Put Block / Put Block List), ADLS
 * Gen2 (create, append, flush), AWS presigned URLs (multipart through the workspace for large
 * files), GCS signed URLs. Every guarantee of the local client holds: streaming, bounded
 * concurrency, parallel ranges for large downloads, temporary file then rename, size checks,
 * resume, progress, refusal of unsafe paths. Signed URIs are secrets (redacted everywhere);
 * credentials about to expire are renewed for the remaining files, and one the store refuses is
 * replaced. References that are not in a Databricks store fall back to the artifact client.
 */
export class DatabricksArtifacts extends MlflowArtifacts {
  private readonly storage: StorageTransport;
  private readonly transfer: DatabricksTransferSettings;
  private readonly downloadSettings: ResourceDownloadSettings;
  private readonly runs = new Map<string, { root: string; experimentId: string | undefined }>();

  constructor(
    private readonly workspace: HttpClient,
    options: DatabricksArtifactsOptions = {},
  ) {
    super(workspace, options);
    this.storage = new StorageTransport(options.storage);
    this.transfer = databricksTransferSettings(options.env ?? process.env, options.rangedDownload);
    const progress = {
      intervalMs: options.progressIntervalMs ?? 100,
      ...(options.now ? { now: options.now } : {}),
    };
    this.downloadSettings = {
      concurrency: options.concurrency ?? 8,
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      sleep: options.sleep ?? ((ms, signal) => sleepTimer(ms, undefined, { signal })),
      retryBaseMs: options.retryBaseMs ?? 200,
      syncIoMaxBytes: Math.max(0, options.syncIoMaxBytes ?? DEFAULT_SYNC_IO_MAX_BYTES),
      progress,
      transfer: this.transfer,
      pool: options.credentials,
    };
  }

  /** The cloud-storage transport (shared with the Unity Catalog registry's transfers). */
  get storageTransport(): StorageTransport {
    return this.storage;
  }

  /** Download settings of cloud-storage transfers (shared with the Unity Catalog registry's). */
  get resourceSettings(): ResourceDownloadSettings {
    return this.downloadSettings;
  }

  /** The transfer settings in force (from MLflow's env vars). */
  get transferSettings(): Readonly<DatabricksTransferSettings> {
    return this.transfer;
  }

  override async *list(
    ref: ArtifactRef,
    options: ListArtifactsOptions = {},
  ): AsyncGenerator<ArtifactFileInfo> {
    const call = startCall(options);
    const loc = await this.locate(ref, call, !options.runArtifactsOnly);
    if (!loc) {
      yield* super.list(ref, { ...options, ...call });
      return;
    }
    for (const e of await this.listBelow(loc, options.recursive ?? true, call)) yield e;
  }

  override async downloadFile(
    ref: ArtifactRef,
    destFile: string,
    options: TransferOptions = {},
  ): Promise<DownloadResult> {
    const call = startCall(options);
    const transfer = { ...options, ...call };
    const loc = await this.locate(ref, call, true);
    if (!loc) return super.downloadFile(ref, destFile, transfer);
    if (loc.path === "")
      throw new ValidationError("downloadFile needs the path of a file, not the artifact root");
    const dest = resolve(destFile);
    await mkdir(dirname(dest), { recursive: true });
    const entry = await this.fileEntry(loc, call);
    const name = artifactBaseName(loc.path);
    const res = await downloadResourceFiles(
      this.storage,
      loc.resource,
      "",
      [{ ...entry, path: basename(dest), source: loc.path }],
      dirname(dest),
      this.downloadSettings,
      transfer,
    );
    const size = res.files[0]?.size ?? 0;
    return { localPath: dest, files: [{ path: name, localPath: dest, size }], bytes: size };
  }

  override async downloadTree(
    ref: ArtifactRef,
    destDir: string,
    options: TransferOptions = {},
  ): Promise<DownloadResult> {
    const call = startCall(options);
    const transfer = { ...options, ...call };
    const loc = await this.locate(ref, call, true);
    if (!loc) return super.downloadTree(ref, destDir, transfer);
    const entries = await this.listBelow(loc, true, call);
    return downloadResourceFiles(
      this.storage,
      loc.resource,
      loc.path,
      entries,
      destDir,
      this.downloadSettings,
      transfer,
    );
  }

  override async download(
    ref: ArtifactRef,
    destDir: string,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const call = startCall(options);
    const transfer = { ...options, ...call };
    const loc = await this.locate(ref, call, true);
    if (!loc) return super.download(ref, destDir, transfer);
    const name = options.name === undefined ? undefined : oneSegment(options.name);
    // A run's whole artifact root goes into destDir itself, as in MLflow; a named root into destDir/name.
    if (loc.requested === "" && name === undefined) return this.downloadTree(ref, destDir, transfer);
    if (loc.requested === "") return this.downloadTree(ref, join(resolve(destDir), name as string), transfer);
    const entries = await this.listBelow(loc, true, call);
    const localName = name ?? (artifactBaseName(loc.requested) || artifactBaseName(loc.path));
    if (entries.length > 0) {
      return downloadResourceFiles(
        this.storage,
        loc.resource,
        loc.path,
        entries,
        join(resolve(destDir), localName),
        this.downloadSettings,
        transfer,
      );
    }
    return this.downloadFile(ref, join(resolve(destDir), localName), transfer);
  }

  /**
   * Downloads the files of a version of the Databricks workspace model registry into `destDir`
   * (`model-versions/list-artifacts` and `get-signed-download-uri`), for versions whose files the
   * registry keeps under `dbfs:/databricks/mlflow-registry/`. Throws like `downloadTree`.
   */
  async downloadModelVersion(
    name: string,
    version: string,
    destDir: string,
    options: TransferOptions = {},
  ): Promise<DownloadResult> {
    const call = startCall(options);
    const resource = modelVersionArtifactResource(this.workspace, name, version);
    const entries = await listResourceTree(resource, "", pickCallOptions(call));
    return downloadResourceFiles(this.storage, resource, "", entries, destDir, this.downloadSettings, {
      ...options,
      ...call,
    });
  }

  override async uploadFile(
    localFile: string,
    target: ArtifactRef,
    options: TransferOptions & { name?: string } = {},
  ): Promise<UploadResult> {
    const call = startCall(options);
    const transfer = { ...options, ...call };
    const loc = await this.locate(target, call, false);
    if (!loc) return super.uploadFile(localFile, target, transfer);
    const item = await singleFileItem(localFile, options.name);
    return uploadResourceFiles(
      this.workspace,
      this.storage,
      loc.resource,
      loc.id,
      loc.path,
      [item],
      this.storageUploadSettings(),
      transfer,
    );
  }

  override async uploadTree(
    localDir: string,
    target: ArtifactRef,
    options: TransferOptions = {},
  ): Promise<UploadResult> {
    const call = startCall(options);
    const transfer = { ...options, ...call };
    const loc = await this.locate(target, call, false);
    if (!loc) return super.uploadTree(localDir, target, transfer);
    const items = await collectLocalTree(localDir);
    return uploadResourceFiles(
      this.workspace,
      this.storage,
      loc.resource,
      loc.id,
      loc.path,
      items,
      this.storageUploadSettings(),
      transfer,
    );
  }

  override async delete(ref: ArtifactRef, options: CallOptions = {}): Promise<void> {
    const call = startCall(options);
    const loc = await this.locate(ref, call, false);
    if (!loc) return super.delete(ref, call);
    throw new ConfigError(
      `Artifacts of ${loc.resource.label} cannot be deleted through the Databricks MLflow API`,
      {
        hint: "Delete the run (or logged model) instead; MLflow's Databricks artifact repository has no delete either",
      },
    );
  }

  /** Closes the cloud-storage connection pool (the workspace pool is the client's). */
  async closeStorage(): Promise<void> {
    await this.storage.close();
  }

  private storageUploadSettings() {
    return {
      concurrency: this.downloadSettings.concurrency,
      progress: this.downloadSettings.progress,
      transfer: this.transfer,
      pool: this.downloadSettings.pool,
    };
  }

  /**
   * The resource location a reference names when it is in a Databricks store, else undefined.
   * With `read`, a run path the run's own artifacts do not hold is looked up in the run's MLflow 3
   * logged model named by its first segment, as MLflow's runs:/ repository does.
   */
  private async locate(
    ref: ArtifactRef,
    call: CallOptions,
    read: boolean,
  ): Promise<ResourceLocation | undefined> {
    if (typeof ref === "string") {
      if (isDatabricksTrackingArtifactUri(ref)) return this.fromUri(ref, "");
      if (/^runs:/i.test(ref)) {
        const parsed = parseArtifactUri(ref);
        if (parsed.kind === "run") return this.fromRun(parsed.runId, parsed.path, call, read);
      }
      return undefined;
    }
    if ("runId" in ref) return this.fromRun(ref.runId, parseArtifactPathArg(ref.path), call, read);
    if (isDatabricksTrackingArtifactUri(ref.artifactUri)) {
      return this.fromUri(ref.artifactUri, parseArtifactPathArg(ref.path));
    }
    return undefined;
  }

  private fromUri(uri: string, extra: string): ResourceLocation {
    const parsed = parseDatabricksArtifactUri(uri);
    const path = joinArtifactPath(parsed.path, extra);
    const resource =
      parsed.kind === "run"
        ? runArtifactResource(this.workspace, parsed.runId)
        : loggedModelArtifactResource(this.workspace, parsed.modelId);
    return { resource, id: parsed.kind === "run" ? parsed.runId : parsed.modelId, path, requested: path };
  }

  private async fromRun(
    runId: string,
    path: string,
    call: CallOptions,
    read: boolean,
  ): Promise<ResourceLocation | undefined> {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(runId)) {
      throw new ValidationError(`Invalid MLflow run id ${JSON.stringify(runId)}`, {
        issues: [{ path: "runId", message: "must be letters, digits, '-' or '_'" }],
      });
    }
    const run = await this.run(runId, call);
    if (!isDatabricksTrackingArtifactUri(run.root)) return undefined;
    const rootLoc = this.fromUri(run.root, path);
    if (!read || path === "" || run.experimentId === undefined) return rootLoc;
    if (await this.resourceHasEntry(rootLoc, call)) return rootLoc;
    const found = await loggedModelOfRunPath(
      this.workspace,
      { info: { run_id: runId, experiment_id: run.experimentId } },
      path,
      call,
    );
    if (!found) return rootLoc;
    if (!isDatabricksTrackingArtifactUri(found.model.artifact_uri)) {
      throw new ConfigError(
        `runs:/${runId}/${path} is in logged model ${found.model.model_id}, stored at ${JSON.stringify(found.model.artifact_uri)}, which is not a Databricks MLflow artifact location`,
      );
    }
    const model = this.fromUri(found.model.artifact_uri, parseArtifactPathArg(found.rest));
    return { ...model, requested: path };
  }

  private async run(
    runId: string,
    call: CallOptions,
  ): Promise<{ root: string; experimentId: string | undefined }> {
    let entry = this.runs.get(runId);
    if (!entry) {
      const body = await this.workspace.get(
        `${MLFLOW_API}/runs/get`,
        { query: { run_id: runId }, schema: runSchema },
        call,
      );
      entry = { root: body.run.info.artifact_uri ?? "", experimentId: body.run.info.experiment_id };
      this.runs.set(runId, entry);
    }
    return entry;
  }

  /** True when the parent directory of `loc` lists an entry named like its last segment. */
  private async resourceHasEntry(loc: ResourceLocation, call: CallOptions): Promise<boolean> {
    try {
      const entries = await loc.resource.listDirectory(artifactDirName(loc.path), pickCallOptions(call));
      return entries.some((e) => e.path === loc.path);
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** Everything below `loc`, paths relative to it. */
  private async listBelow(
    loc: ResourceLocation,
    recursive: boolean,
    call: CallOptions,
  ): Promise<ArtifactFileInfo[]> {
    const entries = await listResourceTree(loc.resource, loc.path, { ...pickCallOptions(call), recursive });
    const prefix = loc.path === "" ? "" : `${loc.path}/`;
    return entries.map((e) => ({ ...e, path: e.path.slice(prefix.length) }));
  }

  /** The listing entry of a single file (its size), or NotFoundError. */
  private async fileEntry(loc: ResourceLocation, call: CallOptions): Promise<ArtifactFileInfo> {
    const entries = await loc.resource.listDirectory(artifactDirName(loc.path), pickCallOptions(call));
    const entry = entries.find((e) => e.path === loc.path);
    if (!entry || entry.isDir) {
      throw new NotFoundError({
        service: "mlflow",
        status: 404,
        method: "GET",
        url: `${loc.resource.label}/${loc.path}`,
        message: entry
          ? `"${loc.path}" of ${loc.resource.label} is a directory, not a file`
          : `No artifact found at "${loc.path}" of ${loc.resource.label}`,
      });
    }
    return entry;
  }
}

/** Checks a local name given as `name`: one safe path segment. */
function oneSegment(name: string): string {
  const safe = assertSafeArtifactPath(name, "download name");
  if (safe.includes("/")) {
    throw new ValidationError(`Invalid download name ${JSON.stringify(name)}`, {
      issues: [{ path: "name", message: "must be one file or directory name, without '/'" }],
    });
  }
  return safe;
}
