import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { type HttpClient, type QueryValue, startCall } from "@modeltrail/core/internal";
import { type ArtifactLocation, PROXY_ARTIFACTS_ROUTE, proxyUrlPath } from "./artifact-location.js";
import { artifactDirName, ensureSafeDirectory, joinArtifactPath, localPathInside } from "./artifact-path.js";
import { Semaphore } from "./bounded.js";
import { assertRoomFor } from "./disk-space.js";
import { downloadFile, type FileDownloadContext, toAbortError } from "./download-file.js";
import { listArtifacts } from "./list.js";
import { ProgressReporter, type ProgressReporterOptions } from "./progress.js";
import { downloadFileRanged, type RangedDownloadOptions } from "./ranged-download.js";
import type { ArtifactFileInfo, DownloadedFile, DownloadResult, TransferOptions } from "./types.js";

/** Settings a download needs beyond its arguments. */
export interface DownloadSettings extends Omit<FileDownloadContext, "signal" | "onBytes" | "call"> {
  concurrency: number;
  progress?: ProgressReporterOptions;
  /** Parallel byte ranges for large files, or false. */
  ranged: RangedDownloadOptions | false;
}

/** Where to GET one artifact of a location: the proxy route, or the tracking server's get-artifact. */
export function fileRequest(
  loc: ArtifactLocation,
  rel: string,
): { requestPath: string; query?: Record<string, QueryValue> } {
  const full = joinArtifactPath(loc.path, rel);
  if (loc.kind === "proxy") return { requestPath: proxyUrlPath(PROXY_ARTIFACTS_ROUTE, full) };
  return { requestPath: "/get-artifact", query: { run_uuid: loc.runId, path: full } };
}

/**
 * Downloads every file below `loc` into `destDir`, keeping relative paths. The whole listing is
 * fetched and every entry checked first (see `listDirectory`), so an unsafe path (`..`, absolute,
 * backslash, NUL), a name listed twice or as file and directory, an implausible size, or sizes
 * that cannot fit into the destination's free space fail with ValidationError before anything is
 * written. Directories are created without following
 * symlinks; files are streamed with bounded concurrency (see `downloadFile` for the temp-file,
 * size-check, resume and retry rules). On failure the other transfers are stopped, files already
 * completed stay, and no partial file is left. Throws ValidationError, ApiError, NetworkError,
 * TimeoutError, AbortError.
 */
export async function downloadTree(
  http: HttpClient,
  loc: ArtifactLocation,
  destDir: string,
  settings: DownloadSettings,
  options: TransferOptions = {},
): Promise<DownloadResult> {
  const call = startCall(options);
  const entries: ArtifactFileInfo[] = [];
  for await (const entry of listArtifacts(http, loc, { ...call, recursive: true })) {
    entries.push(entry);
  }
  const root = resolve(destDir);
  const files = entries.filter((e) => !e.isDir);
  const planned = files.map((f) => ({ info: f, localPath: localPathInside(root, f.path) }));
  for (const d of entries.filter((e) => e.isDir)) localPathInside(root, d.path);
  const sizes = files.map((f) => f.fileSize);
  const listedBytes = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  await assertRoomFor(root, listedBytes, files.length);

  await mkdir(root, { recursive: true });
  const verified = new Set<string>();
  for (const d of entries) {
    const dir = d.isDir ? d.path : artifactDirName(d.path);
    if (dir !== "" && !verified.has(dir)) await ensureSafeDirectory(root, dir, verified);
  }

  const progress = new ProgressReporter("download", options.onProgress, settings.progress);
  progress.setTotals(files.length, sizes.every((s) => s !== undefined) ? listedBytes : undefined);
  const done: DownloadedFile[] = new Array(planned.length);
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const limiter = new Semaphore(options.concurrency ?? settings.concurrency, controller.signal);
  const ranged = settings.ranged;
  let firstError: { error: unknown } | undefined;
  try {
    // Every file is a task; the semaphore bounds the requests in flight across all of them,
    // including the byte ranges of large files.
    await Promise.all(
      planned.map(async ({ info, localPath }, i) => {
        try {
          // job and context are built once a slot is free, so queued files hold almost nothing
          const job = () => ({
            artifactPath: info.path,
            destPath: localPath,
            expectedSize: info.fileSize,
            ...fileRequest(loc, info.path),
          });
          const ctx = () => ({
            ...settings,
            signal: controller.signal,
            call,
            onBytes: (n: number) => progress.addBytes(n, info.path),
          });
          const size =
            ranged && info.fileSize !== undefined && info.fileSize > 0 && info.fileSize >= ranged.minFileSize
              ? await downloadFileRanged(
                  http,
                  { ...job(), expectedSize: info.fileSize },
                  ctx(),
                  ranged,
                  limiter,
                )
              : await limiter.run(() => downloadFile(http, job(), ctx()));
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
