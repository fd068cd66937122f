import type { CallOptions } from "@modeltrail/core";
import type { ArtifactProgress } from "./progress.js";

/**
 * Where artifacts live: an artifact URI (`mlflow-artifacts:/0/<run>/artifacts/model`,
 * `http(s)://host/api/2.0/mlflow-artifacts/artifacts/...`, `runs:/<run>/model`), or a run id and a
 * path inside the run's artifact root, or an artifact root URI plus a path below it.
 */
export type ArtifactRef = string | { runId: string; path?: string } | { artifactUri: string; path?: string };

/** One entry of an artifact listing. `path` is relative to the listed location, `/`-separated. */
export interface ArtifactFileInfo {
  path: string;
  isDir: boolean;
  /** Size in bytes as the server reported it (directories have none). */
  fileSize: number | undefined;
}

/**
 * Options shared by downloads and uploads: the per-call options (every request of the transfer gets
 * `timeoutMs`, `retry`, `headers` and `maxResponseBytes`; `deadlineMs` bounds the whole transfer;
 * `signal` cancels it, temporary files removed), plus progress and concurrency.
 */
export interface TransferOptions extends CallOptions {
  /** Cancels the transfer; temporary files are removed. */
  signal?: AbortSignal | undefined;
  /** Receives throttled progress events (and always a final one). */
  onProgress?: (progress: ArtifactProgress) => void;
  /** Files transferred at the same time (defaults to the client's `concurrency`). */
  concurrency?: number;
}

/** Options of `MlflowArtifacts.download`. */
export interface DownloadOptions extends TransferOptions {
  /**
   * Name of the file or directory written inside the destination (default: the last segment of
   * the requested artifact path). Ignored when a whole artifact root is downloaded.
   */
  name?: string;
}

/** A file written by a download. */
export interface DownloadedFile {
  /** Artifact path relative to the downloaded location. */
  path: string;
  /** Absolute local path. */
  localPath: string;
  /** Bytes written. */
  size: number;
}

/** The outcome of a download. */
export interface DownloadResult {
  /** Absolute path of the local file or directory that was written. */
  localPath: string;
  files: DownloadedFile[];
  bytes: number;
}

/** A file sent by an upload. */
export interface UploadedFile {
  /** Local file. */
  localPath: string;
  /** Artifact path it was stored at, relative to the upload target. */
  path: string;
  size: number;
  /** True when it went through the multipart protocol. */
  multipart: boolean;
}

/** The outcome of an upload. */
export interface UploadResult {
  files: UploadedFile[];
  bytes: number;
}
