import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleepTimer } from "node:timers/promises";
import { type CallOptions, ConfigError, NotFoundError, ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions, startCall } from "@modeltrail/core/internal";
import { z } from "zod";
import { loggedModelOfRunPath } from "../logged-models.js";
import {
  type ArtifactLocation,
  isProxiedArtifactUri,
  PROXY_ARTIFACTS_ROUTE,
  parseArtifactUri,
  proxyUrlPath,
} from "./artifact-location.js";
import {
  artifactBaseName,
  artifactDirName,
  assertSafeArtifactPath,
  joinArtifactPath,
  parseArtifactPathArg,
} from "./artifact-path.js";
import { DEFAULT_SYNC_IO_MAX_BYTES, downloadFile } from "./download-file.js";
import { type DownloadSettings, downloadTree, fileRequest } from "./download-tree.js";
import { listArtifacts, listDirectory } from "./list.js";
import { DEFAULT_MULTIPART, type MultipartOptions } from "./multipart-upload.js";
import { ProgressReporter } from "./progress.js";
import { DEFAULT_RANGED, type RangedDownloadOptions } from "./ranged-download.js";
import type {
  ArtifactFileInfo,
  ArtifactRef,
  DownloadOptions,
  DownloadResult,
  TransferOptions,
  UploadResult,
} from "./types.js";
import { collectLocalTree, singleFileItem, type UploadSettings, uploadItems } from "./upload.js";

/** Options of `MlflowArtifacts.list`: the per-call options of its listing requests, and what to list. */
export interface ListArtifactsOptions extends CallOptions {
  /** Everything below (default), or only the direct children. */
  recursive?: boolean | undefined;
  /** Only the run's own artifacts, not the logged model a run path may name (see the class comment). */
  runArtifactsOnly?: boolean | undefined;
}

/** Options of MlflowArtifacts. */
export interface MlflowArtifactsOptions {
  /** Files transferred at the same time (default 8). */
  concurrency?: number;
  /** Attempts per downloaded file, first one included (default 5). */
  maxAttempts?: number;
  /** Minimum time between progress events in ms (default 100). */
  progressIntervalMs?: number;
  /**
   * Large files (at least `minFileSize`, default 64 MiB, per the listing) download as parallel byte
   * ranges of `chunkSize` (default 16 MiB) when the server supports Range; false to disable. The
   * ranges after the first are read over connections that reuse one read buffer each, so that memory
   * does not grow with the file (`direct`, default true; see `HttpClient.readRange`).
   */
  rangedDownload?: Partial<RangedDownloadOptions> | false;
  /** Multipart upload settings (defaults as MLflow: 500 MiB threshold, 10 MiB parts), or false. */
  multipart?: Partial<MultipartOptions> | false;
  /** Wait between download attempts; injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Base of the backoff between download attempts in ms (default 200). */
  retryBaseMs?: number;
  /**
   * Files of at most this many bytes are written (downloads) or read (uploads) with synchronous
   * file-system calls on the event loop instead of streams: far less CPU per file for trees of many
   * small files, at the price of blocking the event loop for each small read or write (default
   * 1 MiB; 0 streams every file).
   */
  syncIoMaxBytes?: number;
  /** Clock of the progress throttle; injectable for tests. */
  now?: () => number;
}

const runSchema = z.object({
  run: z.object({
    info: z.object({ artifact_uri: z.string().optional(), experiment_id: z.string().optional() }),
  }),
});

/** What the client keeps of a run (runs/get is called once per run). */
interface RunEntry {
  /** The run's artifact_uri. */
  root: string;
  /** Its experiment, where its MLflow 3 logged models are searched. */
  experimentId: string | undefined;
}

/** A location to read, with the path the caller asked for (relative to the run or URI root). */
interface ReadLocation {
  loc: ArtifactLocation;
  requested: string;
}

/**
 * Reads and writes MLflow artifacts through a tracking server: the artifact proxy
 * (`/api/2.0/mlflow-artifacts/artifacts`, servers started with `--serve-artifacts`) for
 * `mlflow-artifacts:/` roots, and the tracking API (`artifacts/list`, `get-artifact`) for runs
 * whose artifact root the server does not proxy (read only). Downloads stream to disk through
 * temporary files with size checks, retries and resume; uploads stream from disk; both run with
 * bounded concurrency and report progress. Paths from the server or the user that would leave the
 * destination are refused with ValidationError.
 *
 * Reads of `runs:/<run>/<path>` and `{ runId, path }` find MLflow 3 logged models as MLflow's runs:/
 * repository does: when the run's own artifacts have no entry at `path` (one listing of its parent
 * directory), the run's logged model named like the first path segment (`log_model(m, name=...)`)
 * is read instead, the rest of the path inside it. Uploads and deletes always address the run.
 */
export class MlflowArtifacts {
  private readonly runRoots = new Map<string, RunEntry>();
  private readonly settings: DownloadSettings;
  private readonly uploadSettings: UploadSettings;

  constructor(
    private readonly http: HttpClient,
    options: MlflowArtifactsOptions = {},
  ) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ValidationError("MlflowArtifacts: concurrency must be a positive integer", {
        issues: [{ path: "concurrency", message: `got ${concurrency}` }],
      });
    }
    const progress = {
      intervalMs: options.progressIntervalMs ?? 100,
      ...(options.now ? { now: options.now } : {}),
    };
    const syncIoMaxBytes = Math.max(0, options.syncIoMaxBytes ?? DEFAULT_SYNC_IO_MAX_BYTES);
    this.settings = {
      concurrency,
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      sleep: options.sleep ?? ((ms, signal) => sleepTimer(ms, undefined, { signal })),
      retryBaseMs: options.retryBaseMs ?? 200,
      syncIoMaxBytes,
      progress,
      ranged: options.rangedDownload === false ? false : { ...DEFAULT_RANGED, ...options.rangedDownload },
    };
    if (this.settings.ranged) {
      for (const key of ["chunkSize", "minFileSize"] as const) {
        const value = this.settings.ranged[key];
        if (!Number.isSafeInteger(value) || value < 1) {
          throw new ValidationError(
            `MlflowArtifacts: rangedDownload.${key} must be a positive whole number of bytes`,
            {
              issues: [{ path: `rangedDownload.${key}`, message: `got ${value}` }],
            },
          );
        }
      }
      const direct = this.settings.ranged.direct;
      if (direct !== undefined && typeof direct !== "boolean") {
        throw new ValidationError("MlflowArtifacts: rangedDownload.direct must be true or false", {
          issues: [{ path: "rangedDownload.direct", message: `got ${String(direct)}` }],
        });
      }
    }
    this.uploadSettings = {
      concurrency,
      multipart: options.multipart === false ? false : { ...DEFAULT_MULTIPART, ...options.multipart },
      multipartState: { unsupported: false },
      syncIoMaxBytes,
      progress,
    };
  }

  /**
   * Resolves a reference to a concrete location. A run id is looked up with `runs/get` (cached)
   * to read its artifact_uri; the location is always inside the run's own artifacts (the place
   * uploads go; reads also look at the run's logged models, see the class comment). Throws
   * ValidationError for unsupported URIs or unsafe paths, NotFoundError for an unknown run, and ConfigError for a run whose root is neither proxied nor
   * readable through the tracking API (an artifact URI without a run id).
   */
  async resolve(ref: ArtifactRef, options: CallOptions = {}): Promise<ArtifactLocation> {
    const call = startCall(options);
    if (typeof ref === "string") {
      const parsed = parseArtifactUri(ref);
      if (parsed.kind === "proxy") return parsed;
      return this.runLocation(parsed.runId, parsed.path, call);
    }
    if ("runId" in ref) return this.runLocation(ref.runId, parseArtifactPathArg(ref.path), call);
    if (!isProxiedArtifactUri(ref.artifactUri)) {
      throw new ConfigError(
        `Artifact root ${JSON.stringify(ref.artifactUri)} is not served by the artifact proxy`,
        {
          hint: "Pass { runId, path } so the tracking API can read it, or use an mlflow-artifacts:/ root",
        },
      );
    }
    const parsed = parseArtifactUri(ref.artifactUri);
    if (parsed.kind !== "proxy")
      return this.runLocation(
        parsed.runId,
        joinArtifactPath(parsed.path, parseArtifactPathArg(ref.path)),
        call,
      );
    return { kind: "proxy", path: joinArtifactPath(parsed.path, parseArtifactPathArg(ref.path)) };
  }

  /**
   * Lists the artifacts below a location as an async iterator (recursive unless
   * `recursive: false`). Paths are relative to the location. A run path that only a logged model
   * of the run holds lists the model (see the class comment) unless `runArtifactsOnly` is set.
   * Throws ValidationError for an entry that is absolute or contains `..`, a backslash or NUL;
   * ApiError/NetworkError from the server.
   */
  async *list(ref: ArtifactRef, options: ListArtifactsOptions = {}): AsyncGenerator<ArtifactFileInfo> {
    const call = startCall(options);
    const loc = options.runArtifactsOnly
      ? await this.resolve(ref, call)
      : (await this.resolveRead(ref, call)).loc;
    yield* listArtifacts(this.http, loc, { ...call, recursive: options.recursive });
  }

  /**
   * Downloads one artifact file to `destFile` (its directory is created). Streams to a temporary
   * file next to it, checks the size, renames; retries and resumes interrupted transfers. Throws
   * NotFoundError, ValidationError (size mismatch, a directory instead of a file), NetworkError,
   * TimeoutError, AbortError.
   */
  async downloadFile(
    ref: ArtifactRef,
    destFile: string,
    options: TransferOptions = {},
  ): Promise<DownloadResult> {
    const call = startCall(options);
    const { loc } = await this.resolveRead(ref, call);
    return this.downloadFileAt(loc, destFile, { ...options, ...call });
  }

  private async downloadFileAt(
    loc: ArtifactLocation,
    destFile: string,
    options: TransferOptions,
  ): Promise<DownloadResult> {
    if (loc.path === "")
      throw new ValidationError("downloadFile needs the path of a file, not the artifact root");
    const dest = resolve(destFile);
    await mkdir(dirname(dest), { recursive: true });
    const progress = new ProgressReporter("download", options.onProgress, this.settings.progress);
    progress.setTotals(1, undefined);
    const path = artifactBaseName(loc.path);
    const size = await downloadFile(
      this.http,
      { artifactPath: loc.path, destPath: dest, ...fileRequest(loc, "") },
      { ...this.settings, signal: options.signal, call: options, onBytes: (n) => progress.addBytes(n, path) },
    );
    progress.fileDone(path);
    progress.finish();
    return { localPath: dest, files: [{ path, localPath: dest, size }], bytes: size };
  }

  /**
   * Downloads every file below a location into `destDir`, keeping relative paths (see
   * `downloadTree` for the safety rules). Throws ValidationError, ApiError, NetworkError,
   * TimeoutError, AbortError.
   */
  async downloadTree(
    ref: ArtifactRef,
    destDir: string,
    options: TransferOptions = {},
  ): Promise<DownloadResult> {
    const call = startCall(options);
    const { loc } = await this.resolveRead(ref, call);
    return downloadTree(this.http, loc, destDir, this.settings, { ...options, ...call });
  }

  /**
   * Downloads a location into `destDir`, as MLflow's download_artifacts: a directory's content goes
   * into `destDir/<last segment of the requested path>` (a run's whole artifact root into `destDir`
   * itself), a single file to `destDir/<file name>`; `options.name` overrides that last segment.
   * `runs:/<run>/model` of a model in a logged model of the run also lands in `destDir/model`.
   * Throws NotFoundError when nothing exists there, ValidationError for a `name` that is not one
   * safe path segment, plus what downloadTree/downloadFile throw.
   */
  async download(ref: ArtifactRef, destDir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const name = options.name === undefined ? undefined : singleSegment(options.name);
    const call = startCall(options);
    const { loc, requested } = await this.resolveRead(ref, call);
    // A run's (or an artifact root's) whole content goes into destDir itself, as in MLflow.
    const wholeRoot =
      typeof ref === "string" ? parseArtifactUri(ref).path === "" : parseArtifactPathArg(ref.path) === "";
    const transfer = { ...options, ...call };
    if (loc.path === "" || wholeRoot) return downloadTree(this.http, loc, destDir, this.settings, transfer);
    const entries = await listDirectory(this.http, loc, "", call);
    // the listing of a single file (proxy) is the file itself, under its name in the store
    const selfName = artifactBaseName(loc.path);
    const localName = name ?? (artifactBaseName(requested) || selfName);
    const selfOnly = entries.length === 1 && !entries[0]?.isDir && entries[0]?.path === selfName;
    if (entries.length > 0 && !selfOnly) {
      return downloadTree(this.http, loc, join(resolve(destDir), localName), this.settings, transfer);
    }
    try {
      return await this.downloadFileAt(loc, join(resolve(destDir), localName), transfer);
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new NotFoundError({
          service: "mlflow",
          status: 404,
          method: "GET",
          url: err.url,
          message: `No artifact found at "${loc.path}"`,
          cause: err,
        });
      }
      throw err;
    }
  }

  /**
   * Uploads one local file into the artifact directory `target` (like `mlflow.log_artifact`), as
   * `name` or its own file name. Only proxied roots can be written. Throws ConfigError for a
   * non-proxied run, ValidationError for unsafe names, ApiError, NetworkError, AbortError.
   */
  async uploadFile(
    localFile: string,
    target: ArtifactRef,
    options: TransferOptions & { name?: string } = {},
  ): Promise<UploadResult> {
    const call = startCall(options);
    // the local side is checked before anything is sent
    const item = await singleFileItem(localFile, options.name);
    const loc = this.writable(await this.resolve(target, call));
    return uploadItems(this.http, loc.path, [item], this.uploadSettings, { ...options, ...call });
  }

  /**
   * Uploads every file below `localDir` into the artifact directory `target`, keeping relative
   * paths (like `mlflow.log_artifacts`). All names are checked before the first request. Throws
   * ConfigError, ValidationError, ApiError, NetworkError, AbortError.
   */
  async uploadTree(
    localDir: string,
    target: ArtifactRef,
    options: TransferOptions = {},
  ): Promise<UploadResult> {
    const call = startCall(options);
    // the local side is checked before anything is sent
    const items = await collectLocalTree(localDir);
    const loc = this.writable(await this.resolve(target, call));
    return uploadItems(this.http, loc.path, items, this.uploadSettings, { ...options, ...call });
  }

  /**
   * Deletes an artifact file or directory through the proxy. Refuses the proxy root itself
   * (ValidationError). Throws ConfigError for a non-proxied run, ApiError, NetworkError.
   */
  async delete(ref: ArtifactRef, options: CallOptions = {}): Promise<void> {
    const call = startCall(options);
    const loc = this.writable(await this.resolve(ref, call));
    if (loc.path === "") throw new ValidationError("Refusing to delete the whole artifact store root");
    const res = await this.http.request({
      ...pickCallOptions(call),
      method: "DELETE",
      path: proxyUrlPath(PROXY_ARTIFACTS_ROUTE, loc.path),
    });
    await res.dump();
  }

  private writable(loc: ArtifactLocation): Extract<ArtifactLocation, { kind: "proxy" }> {
    if (loc.kind === "proxy") return loc;
    throw new ConfigError(
      `Run ${loc.runId} stores artifacts at ${JSON.stringify(loc.artifactUri)}, which the tracking server does not proxy`,
      {
        hint:
          "Writing artifacts needs `mlflow server --serve-artifacts` and a run created with an mlflow-artifacts:/ root; " +
          "reading works through the tracking API",
      },
    );
  }

  private async runLocation(runId: string, path: string, call: CallOptions): Promise<ArtifactLocation> {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(runId)) {
      throw new ValidationError(`Invalid MLflow run id ${JSON.stringify(runId)}`, {
        issues: [{ path: "runId", message: "must be letters, digits, '-' or '_'" }],
      });
    }
    const { root } = await this.runEntry(runId, call);
    if (isProxiedArtifactUri(root)) {
      const parsed = parseArtifactUri(root);
      if (parsed.kind === "proxy") return { kind: "proxy", path: joinArtifactPath(parsed.path, path) };
    }
    return { kind: "tracking", runId, path, artifactUri: root };
  }

  private async runEntry(runId: string, call: CallOptions): Promise<RunEntry> {
    let entry = this.runRoots.get(runId);
    if (entry === undefined) {
      const body = await this.http.get(
        "/api/2.0/mlflow/runs/get",
        { query: { run_id: runId }, schema: runSchema },
        call,
      );
      entry = { root: body.run.info.artifact_uri ?? "", experimentId: body.run.info.experiment_id };
      this.runRoots.set(runId, entry);
    }
    return entry;
  }

  /** Resolves a reference to read from: as `resolve`, plus the logged-model fallback of run paths. */
  private async resolveRead(ref: ArtifactRef, call: CallOptions): Promise<ReadLocation> {
    if (typeof ref === "string") {
      const parsed = parseArtifactUri(ref);
      if (parsed.kind === "proxy") return { loc: parsed, requested: parsed.path };
      return { loc: await this.runReadLocation(parsed.runId, parsed.path, call), requested: parsed.path };
    }
    if ("runId" in ref) {
      const path = parseArtifactPathArg(ref.path);
      return { loc: await this.runReadLocation(ref.runId, path, call), requested: path };
    }
    const loc = await this.resolve(ref, call);
    return { loc, requested: loc.path };
  }

  /**
   * The run's own location of `path` when its parent directory lists an entry of that name (one
   * listing), else the same place in the run's logged model named by the path's first segment, if
   * there is one. Throws ConfigError when that logged model's root is not served by the proxy.
   */
  private async runReadLocation(runId: string, path: string, call: CallOptions): Promise<ArtifactLocation> {
    const loc = await this.runLocation(runId, path, call);
    if (path === "") return loc;
    const { experimentId } = await this.runEntry(runId, call);
    if (experimentId === undefined || (await this.hasEntry(loc, call))) return loc;
    const found = await loggedModelOfRunPath(
      this.http,
      { info: { run_id: runId, experiment_id: experimentId } },
      path,
      call,
    );
    if (!found) return loc;
    const modelRoot = found.model.artifact_uri;
    const parsed = isProxiedArtifactUri(modelRoot) ? parseArtifactUri(modelRoot) : undefined;
    if (parsed?.kind !== "proxy") {
      throw new ConfigError(
        `runs:/${runId}/${path} is in logged model ${found.model.model_id}, whose artifacts at ${JSON.stringify(modelRoot)} the tracking server does not proxy`,
        { hint: "Read it with `mlflow server --serve-artifacts` (mlflow-artifacts:/ roots)" },
      );
    }
    return { kind: "proxy", path: joinArtifactPath(parsed.path, parseArtifactPathArg(found.rest)) };
  }

  /** True when the parent directory of `loc` lists an entry named like its last segment. */
  private async hasEntry(loc: ArtifactLocation, call: CallOptions): Promise<boolean> {
    const parent = { ...loc, path: artifactDirName(loc.path) };
    const base = artifactBaseName(loc.path);
    try {
      const entries = await listDirectory(this.http, parent, "", call);
      return entries.some((e) => e.path === base);
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }
}

/** Checks a local file or directory name given as `name`: one safe path segment. */
function singleSegment(name: string): string {
  const safe = assertSafeArtifactPath(name, "download name");
  if (safe === "" || safe.includes("/") || safe === "." || safe === "..") {
    throw new ValidationError(`Invalid download name ${JSON.stringify(name)}`, {
      issues: [{ path: "name", message: "must be one file or directory name, without '/'" }],
    });
  }
  return safe;
}
