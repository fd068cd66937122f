import { readFileSync } from "node:fs";
import { lstat, opendir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ValidationError } from "@modeltrail/core";
import { fileSystemErrorFor, type HttpClient, pickCallOptions, startCall } from "@modeltrail/core/internal";
import { PROXY_ARTIFACTS_ROUTE, proxyUrlPath } from "./artifact-location.js";
import {
  artifactBaseName,
  artifactDirName,
  assertSafeArtifactPath,
  joinArtifactPath,
} from "./artifact-path.js";
import { runBounded } from "./bounded.js";
import { toAbortError } from "./download-file.js";
import { fileBodyFactory } from "./file-body.js";
import { type MultipartOptions, multipartUpload } from "./multipart-upload.js";
import { ProgressReporter, type ProgressReporterOptions } from "./progress.js";
import type { TransferOptions, UploadedFile, UploadResult } from "./types.js";

/** Settings an upload needs beyond its arguments. */
export interface UploadSettings {
  concurrency: number;
  /** Multipart settings, or false to always PUT whole files. */
  multipart: MultipartOptions | false;
  /** Shared across uploads: set once the server said it has no multipart support. */
  multipartState: { unsupported: boolean };
  /** Files of at most this many bytes are read into memory with one synchronous call (0: never). */
  syncIoMaxBytes?: number;
  progress?: ProgressReporterOptions;
}

/** A local file and the proxy path it goes to. */
export interface UploadItem {
  localPath: string;
  /** Artifact path relative to the upload target. */
  path: string;
  size: number;
}

/** Most directory levels walked below an uploaded directory. */
const MAX_WALK_DEPTH = 64;

/**
 * Lists the regular files below `localDir` with their `/`-separated relative paths, in a stable
 * order. Like `os.walk` in MLflow's Python client, symbolic links to files are uploaded with their
 * content and symbolic links to directories are not descended into. Throws ValidationError when a
 * name cannot be an artifact path (backslash, control characters) or the tree is too deep, or the
 * directory does not exist or is not one; ConfigError when it cannot be read (see core's
 * `fileSystemErrorFor`).
 */
export async function collectLocalTree(localDir: string): Promise<UploadItem[]> {
  try {
    return await walkLocalTree(localDir);
  } catch (err) {
    throw fileSystemErrorFor(err, "The directory to upload", resolve(localDir));
  }
}

async function walkLocalTree(localDir: string): Promise<UploadItem[]> {
  const root = resolve(localDir);
  const st = await stat(root);
  if (!st.isDirectory()) throw new ValidationError(`${root} is not a directory`);
  const out: UploadItem[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > MAX_WALK_DEPTH)
      throw new ValidationError(`${dir} is nested deeper than ${MAX_WALK_DEPTH} levels`);
    const names: Array<{ name: string; isDir: boolean; isLink: boolean; isFile: boolean }> = [];
    for await (const d of await opendir(dir)) {
      names.push({ name: d.name, isDir: d.isDirectory(), isLink: d.isSymbolicLink(), isFile: d.isFile() });
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const n of names) {
      const artifactPath = assertSafeArtifactPath(joinArtifactPath(rel, n.name), "local file name");
      const full = join(dir, n.name);
      if (n.isDir) await walk(full, artifactPath, depth + 1);
      else if (n.isFile) out.push({ localPath: full, path: artifactPath, size: (await lstat(full)).size });
      else if (n.isLink) {
        const target = await stat(full).catch(() => undefined);
        if (target?.isFile()) out.push({ localPath: full, path: artifactPath, size: target.size });
      }
    }
  };
  await walk(root, "", 0);
  return out;
}

/**
 * Uploads files to the artifact proxy below the proxy path `targetPath`, with bounded concurrency.
 * Files up to `syncIoMaxBytes` are read whole with one synchronous call and checked against their
 * listed size; larger ones stream from disk with a body factory (so a retried PUT re-opens the
 * file); files of at least `multipart.minFileSize` try MLflow's multipart protocol first and fall
 * back to a single PUT when the server does not support it. Throws ApiError, NetworkError, TimeoutError,
 * AbortError; ValidationError for unsafe paths (checked for every file before the first request)
 * and for a small file that cannot be read or changed size since it was listed.
 */
export async function uploadItems(
  http: HttpClient,
  targetPath: string,
  items: ReadonlyArray<UploadItem>,
  settings: UploadSettings,
  options: TransferOptions = {},
): Promise<UploadResult> {
  for (const item of items) assertSafeArtifactPath(item.path, "artifact path");
  const progress = new ProgressReporter("upload", options.onProgress, settings.progress);
  progress.setTotals(
    items.length,
    items.reduce((a, i) => a + i.size, 0),
  );
  const done: UploadedFile[] = new Array(items.length);
  const call = startCall(options);
  try {
    await runBounded(
      items,
      options.concurrency ?? settings.concurrency,
      async (item, i, signal) => {
        const full = joinArtifactPath(targetPath, item.path);
        const onBytes = (n: number): void => progress.addBytes(n, item.path);
        let multipart = false;
        const mp = settings.multipart;
        if (mp && !settings.multipartState.unsupported && item.size >= mp.minFileSize) {
          const outcome = await multipartUpload(http, {
            dirPath: artifactDirName(full),
            fileName: artifactBaseName(full),
            localPath: item.localPath,
            size: item.size,
            partSize: mp.partSize,
            concurrency: options.concurrency ?? settings.concurrency,
            signal,
            call,
            onBytes,
          });
          if (outcome === "unsupported") settings.multipartState.unsupported = true;
          else multipart = true;
        }
        if (!multipart) {
          // Small files are read whole, once (a retried PUT resends the same bytes); others stream.
          const whole = item.size <= (settings.syncIoMaxBytes ?? 0) ? readWholeFile(item) : undefined;
          const res = await http.request({
            ...pickCallOptions(call),
            method: "PUT",
            path: proxyUrlPath(PROXY_ARTIFACTS_ROUTE, full),
            headers: {
              ...call.headers,
              "content-type": "application/octet-stream",
              "content-length": String(item.size),
            },
            body: whole ?? fileBodyFactory(item.localPath, item.size, undefined, onBytes),
            signal,
          });
          await res.dump();
          if (whole) onBytes(whole.length);
        }
        done[i] = { localPath: item.localPath, path: item.path, size: item.size, multipart };
        progress.fileDone(item.path);
      },
      options.signal,
    );
  } catch (err) {
    if (options.signal?.aborted) throw toAbortError(options.signal, targetPath || "(root)");
    throw err;
  }
  progress.finish();
  return { files: done, bytes: done.reduce((a, f) => a + f.size, 0) };
}

/**
 * Reads a small file to upload in one synchronous call and checks it still has the size it was
 * listed with. Throws ValidationError when it cannot be read or changed since.
 */
function readWholeFile(item: UploadItem): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(item.localPath);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ValidationError(
      `Cannot read ${item.localPath} to upload it as "${item.path}": ${String(code ?? err)}`,
      {
        cause: err,
        issues: [{ path: item.path, message: String(code ?? "unreadable") }],
        hint: "Check that the file exists and is readable, then upload again",
      },
    );
  }
  if (data.length !== item.size) {
    throw new ValidationError(
      `${item.localPath} changed while it was being uploaded: it was ${item.size} bytes, it is ${data.length}`,
      {
        issues: [{ path: item.path, message: "size changed" }],
        hint: "Upload again once the file is no longer being written",
      },
    );
  }
  return data;
}

/**
 * The upload item of a single local file stored as `<name>` (default: the file's own name). Throws
 * ValidationError when the file does not exist or is not a regular file, or the name is unsafe.
 */
export async function singleFileItem(localFile: string, name?: string): Promise<UploadItem> {
  const st = await stat(localFile).catch((err: unknown) => {
    throw fileSystemErrorFor(err, "The file to upload", localFile);
  });
  if (!st.isFile()) throw new ValidationError(`${localFile} is not a regular file`);
  const fileName = assertSafeArtifactPath(name ?? basename(localFile), "artifact file name");
  return { localPath: resolve(localFile), path: fileName, size: st.size };
}
