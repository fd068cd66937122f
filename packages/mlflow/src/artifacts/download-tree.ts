import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { HttpClient, QueryValue } from "@modeltrail/core";
import { type ArtifactLocation, PROXY_ARTIFACTS_ROUTE, proxyUrlPath } from "./artifact-location.js";
import { artifactDirName, ensureSafeDirectory, joinArtifactPath, localPathInside } from "./artifact-path.js";
import { runBounded } from "./bounded.js";
import { downloadFile, type FileDownloadContext, toAbortError } from "./download-file.js";
import { listArtifacts } from "./list.js";
import { ProgressReporter, type ProgressReporterOptions } from "./progress.js";
import type { ArtifactFileInfo, DownloadedFile, DownloadResult, TransferOptions } from "./types.js";

/** Settings a download needs beyond its arguments. */
export interface DownloadSettings extends Omit<FileDownloadContext, "signal" | "onBytes"> {
  concurrency: number;
  progress?: ProgressReporterOptions;
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
 * fetched and every path checked first, so an unsafe entry (`..`, absolute, backslash, NUL) fails
 * with ValidationError before any file is written. Directories are created without following
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
  const entries: ArtifactFileInfo[] = [];
  for await (const entry of listArtifacts(http, loc, { recursive: true, signal: options.signal })) {
    entries.push(entry);
  }
  const root = resolve(destDir);
  const files = entries.filter((e) => !e.isDir);
  const planned = files.map((f) => ({ info: f, localPath: localPathInside(root, f.path) }));
  for (const d of entries.filter((e) => e.isDir)) localPathInside(root, d.path);

  await mkdir(root, { recursive: true });
  const verified = new Set<string>();
  for (const d of entries) {
    const dir = d.isDir ? d.path : artifactDirName(d.path);
    await ensureSafeDirectory(root, dir, verified);
  }

  const progress = new ProgressReporter("download", options.onProgress, settings.progress);
  const sizes = files.map((f) => f.fileSize);
  progress.setTotals(
    files.length,
    sizes.every((s) => s !== undefined) ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined,
  );
  const done: DownloadedFile[] = new Array(planned.length);
  await runBoundedOrAbort(
    planned,
    options.concurrency ?? settings.concurrency,
    async ({ info, localPath }, i, signal) => {
      const size = await downloadFile(
        http,
        {
          artifactPath: info.path,
          destPath: localPath,
          expectedSize: info.fileSize,
          ...fileRequest(loc, info.path),
        },
        { ...settings, signal, onBytes: (n) => progress.addBytes(n, info.path) },
      );
      done[i] = { path: info.path, localPath, size };
      progress.fileDone(info.path);
    },
    options.signal,
  );
  progress.finish();
  return { localPath: root, files: done, bytes: done.reduce((a, f) => a + f.size, 0) };
}

/** runBounded, turning an abort of the caller's signal into a modeltrail AbortError. */
export async function runBoundedOrAbort<T>(
  items: ReadonlyArray<T>,
  limit: number,
  worker: (item: T, index: number, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await runBounded(items, limit, worker, signal);
  } catch (err) {
    if (signal?.aborted) throw toAbortError(signal, "(tree)");
    throw err;
  }
}
