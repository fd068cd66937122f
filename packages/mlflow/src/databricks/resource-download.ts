import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { pickCallOptions, startCall } from "@modeltrail/core/internal";
import {
  artifactDirName,
  ensureSafeDirectory,
  joinArtifactPath,
  localPathInside,
} from "../artifacts/artifact-path.js";
import { Semaphore } from "../artifacts/bounded.js";
import { assertRoomFor } from "../artifacts/disk-space.js";
import { downloadFile, type FileDownloadContext, toAbortError } from "../artifacts/download-file.js";
import { ProgressReporter, type ProgressReporterOptions } from "../artifacts/progress.js";
import { downloadFileRanged } from "../artifacts/ranged-download.js";
import type {
  ArtifactFileInfo,
  DownloadedFile,
  DownloadResult,
  TransferOptions,
} from "../artifacts/types.js";
import type { DatabricksArtifactResource } from "./artifact-resources.js";
import { CredentialPool, type CredentialPoolOptions } from "./credential-pool.js";
import { isCredentialRefused, storageCallOptions } from "./storage-request.js";
import type { StorageTransport } from "./storage-transport.js";
import type { DatabricksTransferSettings } from "./transfer-settings.js";

/** What a download from a Databricks cloud store needs beyond its arguments. */
export interface ResourceDownloadSettings extends Omit<FileDownloadContext, "signal" | "onBytes"> {
  concurrency: number;
  progress?: ProgressReporterOptions | undefined;
  transfer: DatabricksTransferSettings;
  pool?: CredentialPoolOptions | undefined;
}

/**
 * Downloads the files `entries` (paths relative to `base`, the location inside the resource, or
 * read from `source` when an entry names its resource path itself) into
 * `destDir`, keeping relative paths. Every path is checked, the listed sizes are checked against
 * the destination's free space, and every directory is created (never through a symlink) before
 * the first byte; then each file asks the credential pool for its signed
 * URI just before it starts and streams it with the artifact client's machinery: temporary file,
 * size check against the listing, retries that resume with Range, parallel byte ranges for large
 * files, rename into place. A signed URI the store refuses (401/403) is replaced once and the file
 * fetched again. Throws ValidationError, ApiError, NetworkError, TimeoutError, AbortError; files
 * completed stay, no partial file is left.
 */
export async function downloadResourceFiles(
  transport: StorageTransport,
  resource: DatabricksArtifactResource,
  base: string,
  entries: ReadonlyArray<ArtifactFileInfo & { source?: string }>,
  destDir: string,
  settings: ResourceDownloadSettings,
  options: TransferOptions = {},
): Promise<DownloadResult> {
  const root = resolve(destDir);
  const files = entries.filter((e) => !e.isDir);
  const planned = files.map((f) => ({
    info: f,
    full: f.source ?? joinArtifactPath(base, f.path),
    localPath: localPathInside(root, f.path),
  }));
  for (const d of entries.filter((e) => e.isDir)) localPathInside(root, d.path);
  const sizes = files.map((f) => f.fileSize);
  const listedBytes = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  await assertRoomFor(root, listedBytes, files.length);
  await mkdir(root, { recursive: true });
  const verified = new Set<string>();
  for (const e of entries) {
    const dir = e.isDir ? e.path : artifactDirName(e.path);
    if (dir !== "" && !verified.has(dir)) await ensureSafeDirectory(root, dir, verified);
  }

  const progress = new ProgressReporter("download", options.onProgress, settings.progress);
  progress.setTotals(files.length, sizes.every((s) => s !== undefined) ? listedBytes : undefined);
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const call = startCall(options);
  const pool = new CredentialPool(
    resource,
    "read",
    planned.map((p) => p.full),
    { ...pickCallOptions(call), signal: controller.signal },
    settings.pool,
  );
  const limiter = new Semaphore(options.concurrency ?? settings.concurrency, controller.signal);
  const ranged = settings.transfer.ranged;
  const done: DownloadedFile[] = new Array(planned.length);
  let firstError: { error: unknown } | undefined;
  try {
    await Promise.all(
      planned.map(async ({ info, full, localPath }, i) => {
        try {
          const ctx: FileDownloadContext = {
            ...settings,
            signal: controller.signal,
            call: storageCallOptions(call),
            onBytes: (n) => progress.addBytes(n, info.path),
          };
          const big =
            ranged !== false &&
            info.fileSize !== undefined &&
            info.fileSize > 0 &&
            info.fileSize >= ranged.minFileSize;
          const attempt = async (refreshed: boolean): Promise<number> => {
            const run = async (): Promise<number> => {
              const cred = refreshed ? await pool.refresh(full) : await pool.get(full);
              const http = await transport.client(cred.signedUri, cred.headers);
              const job = {
                artifactPath: info.path,
                requestPath: cred.signedUri,
                destPath: localPath,
                expectedSize: info.fileSize,
              };
              if (big && ranged)
                return downloadFileRanged(
                  http,
                  { ...job, expectedSize: info.fileSize as number },
                  ctx,
                  ranged,
                  limiter,
                );
              return downloadFile(http, job, ctx);
            };
            return big ? run() : limiter.run(run);
          };
          let size: number;
          try {
            size = await attempt(false);
          } catch (err) {
            if (!isCredentialRefused(err)) throw err;
            size = await attempt(true);
          }
          done[i] = { path: info.path, localPath, size };
          progress.fileDone(info.path);
        } catch (error) {
          if (firstError === undefined) firstError = { error };
          controller.abort(error);
        }
      }),
    );
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
  if (options.signal?.aborted) throw toAbortError(options.signal, "(tree)");
  if (firstError !== undefined) throw firstError.error;
  progress.finish();
  return { localPath: root, files: done, bytes: done.reduce((a, f) => a + f.size, 0) };
}
