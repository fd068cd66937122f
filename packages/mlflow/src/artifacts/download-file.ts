import { randomBytes } from "node:crypto";
import { closeSync, constants, createWriteStream, openSync, renameSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import {
  AbortError,
  ApiError,
  type CallOptions,
  ModelTrailError,
  NetworkError,
  TimeoutError,
  ValidationError,
} from "@modeltrail/core";
import { type HttpClient, pickCallOptions, type QueryValue } from "@modeltrail/core/internal";

/** How to fetch one file and where to put it. */
export interface FileDownloadJob {
  /** Artifact path, for messages and progress. */
  artifactPath: string;
  /** Request path on the tracking server (proxy route or `/get-artifact`). */
  requestPath: string;
  query?: Record<string, QueryValue>;
  /** Absolute destination path; its directory must exist. */
  destPath: string;
  /** Size the listing reported, checked against what arrives. */
  expectedSize?: number | undefined;
}

/** Knobs and hooks of a file download. */
export interface FileDownloadContext {
  /** Attempts in total, first one included (default 5). */
  maxAttempts: number;
  /** Stops this file (the caller's signal, or the one of a tree download that failed elsewhere). */
  signal?: AbortSignal | undefined;
  /**
   * The caller's per-call options, given to every request of this file (`timeoutMs`, `deadlineMs`,
   * `retry`, `headers`, `maxResponseBytes`); its `signal` is replaced by `signal` above.
   */
  call?: CallOptions | undefined;
  /** Called with each chunk's size; negative when a restart discards bytes already counted. */
  onBytes?: (n: number) => void;
  /** Wait between attempts (ms); injectable for tests. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Base of the exponential backoff between attempts in ms (default 200). */
  retryBaseMs?: number;
  /** Files of at most this many bytes are written with synchronous calls (default 0: never). */
  syncIoMaxBytes?: number;
}

/** Local file-system errors that another attempt would not fix. */
const FATAL_FS_CODES = new Set([
  "ENOSPC",
  "EDQUOT",
  "EACCES",
  "EPERM",
  "EROFS",
  "ELOOP",
  "EEXIST",
  "EISDIR",
  "ENOTDIR",
  "ENAMETOOLONG",
  "EMFILE",
]);

/** Default of `syncIoMaxBytes`: files up to 1 MiB are read or written with synchronous calls. */
export const DEFAULT_SYNC_IO_MAX_BYTES = 1024 * 1024;

/** The bytes received do not match the size announced; retried from scratch. */
export class SizeMismatch extends ValidationError {}

/** Where and how `writeBodyToFile` writes a response body. */
export interface BodyTarget {
  /** File to write; opened with `flags` (numeric: O_EXCL and O_NOFOLLOW have no string form). */
  path: string;
  flags: number;
  /** Byte offset of the first byte of the body in the file. */
  start: number;
  /** More bytes than this fail with SizeMismatch at once (the body is not read further). */
  maxBytes: number | undefined;
  /** Called with each chunk's size once it is accepted. */
  onChunk: (n: number) => void;
  /** Artifact path, for messages. */
  label: string;
}

/**
 * Pipes a response body into `path` (opened with `flags`, written from byte `start`), calling
 * `onChunk` per chunk and failing with SizeMismatch past `maxBytes`. With `sync`, each chunk is
 * written with a synchronous call as it arrives (for small bodies: no thread-pool round trip per
 * open, write and close); otherwise through a write stream with back-pressure. Never throws:
 * returns the bytes written (exact, counted once the file is closed) and the error that stopped
 * it, if any.
 */
export async function writeBodyToFile(
  body: Readable,
  target: BodyTarget,
  sync = false,
): Promise<{ bytes: number; error?: unknown }> {
  if (sync) return writeBodySync(body, target);
  const { path, flags, start, maxBytes, onChunk, label } = target;
  // fs.WriteStream opens the path itself (integer fd, no FileHandle object per file): numeric
  // flags carry O_EXCL / O_NOFOLLOW, which the string forms cannot express.
  const out = createWriteStream(path, {
    flags: flags as unknown as string,
    mode: 0o644,
    start,
    highWaterMark: 1024 * 1024,
  });
  // A hand-made pipe: stream.pipeline costs an AbortController, a DOMException and several
  // end-of-stream watchers per call, which thousands of small files turn into garbage.
  let received = 0;
  const error = await new Promise<unknown>((resolve) => {
    let settled = false;
    // `keep`: the bytes received so far are good (the connection broke), so they are flushed to
    // the file and a resumed attempt starts after them; otherwise they are thrown away.
    const fail = (err: unknown, keep = false): void => {
      if (settled) return;
      settled = true;
      body.unpipe(out);
      body.destroy();
      if (keep && !out.destroyed) out.end();
      else out.destroy();
      resolve(err ?? new Error("stream failed"));
    };
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (maxBytes !== undefined && received > maxBytes) {
        fail(new SizeMismatch(`"${label}" is larger than the size the server reported`));
        return;
      }
      onChunk(chunk.length);
    });
    body.once("error", (err) => fail(err, true));
    body.once("close", () => {
      if (!body.readableEnded) fail(new Error(`the response body of "${label}" closed before its end`), true);
    });
    out.once("error", (err) => fail(err));
    out.once("finish", () => {
      if (settled) return;
      settled = true;
      resolve(undefined);
    });
    body.pipe(out);
  });
  if (!out.closed) await new Promise<void>((resolve) => out.once("close", () => resolve()));
  return error === undefined ? { bytes: out.bytesWritten } : { bytes: out.bytesWritten, error };
}

/** `writeBodyToFile` with synchronous open, write and close on the calling thread. */
async function writeBodySync(
  body: Readable,
  { path, flags, start, maxBytes, onChunk, label }: BodyTarget,
): Promise<{ bytes: number; error?: unknown }> {
  let fd: number;
  try {
    fd = openSync(path, flags, 0o644);
  } catch (err) {
    body.destroy();
    return { bytes: 0, error: err };
  }
  let written = 0;
  const error = await new Promise<unknown>((resolve) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      body.destroy();
      resolve(err ?? new Error("stream failed"));
    };
    body.on("data", (chunk: Buffer) => {
      if (settled) return;
      if (maxBytes !== undefined && written + chunk.length > maxBytes) {
        fail(new SizeMismatch(`"${label}" is larger than the size the server reported`));
        return;
      }
      try {
        for (let off = 0; off < chunk.length; ) {
          off += writeSync(fd, chunk, off, chunk.length - off, start + written + off);
        }
      } catch (err) {
        fail(err);
        return;
      }
      written += chunk.length;
      onChunk(chunk.length);
    });
    body.once("end", () => {
      if (settled) return;
      settled = true;
      resolve(undefined);
    });
    body.once("error", fail);
    body.once("close", () => {
      if (!body.readableEnded) fail(new Error(`the response body of "${label}" closed before its end`));
    });
  });
  try {
    closeSync(fd);
  } catch (err) {
    return { bytes: written, error: error ?? err };
  }
  return error === undefined ? { bytes: written } : { bytes: written, error };
}

/**
 * Streams one artifact to `job.destPath`: the body is piped into a temporary file next to the
 * destination (created exclusively, never through a symlink), its byte count is checked against
 * Content-Length / Content-Range and the size the listing reported, and only then is it renamed
 * into place. A dropped connection is retried up to `maxAttempts` times, resuming with
 * `Range: bytes=N-` when the server advertised `accept-ranges: bytes`, else from the start. On
 * final failure or abort the temporary file is removed and nothing exists at the destination that
 * was not there before. Returns the number of bytes written.
 * Throws ApiError (e.g. NotFoundError) for error responses, ValidationError for a size mismatch
 * that persists, NetworkError/TimeoutError when every attempt failed, AbortError when aborted.
 */
export async function downloadFile(
  http: HttpClient,
  job: FileDownloadJob,
  ctx: FileDownloadContext,
): Promise<number> {
  const tmp = join(
    dirname(job.destPath),
    `.${basename(job.destPath)}.${randomBytes(6).toString("hex")}.part`,
  );
  let created = false;
  let offset = 0; // bytes of the temporary file that are good
  let canResume = false;
  let total = job.expectedSize;
  let counted = 0; // bytes reported to onBytes for this file
  let etag: string | undefined; // strong validator of the first response, sent as If-Range
  const report = (n: number): void => {
    counted += n;
    ctx.onBytes?.(n);
  };
  try {
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(ctx.signal, job.artifactPath);
      try {
        const ranged = canResume && offset > 0;
        const res = await http.request({
          ...pickCallOptions(ctx.call),
          method: "GET",
          path: job.requestPath,
          query: job.query,
          headers: {
            ...ctx.call?.headers,
            ...(ranged ? { range: `bytes=${offset}-`, ...(etag ? { "if-range": etag } : {}) } : {}),
          },
          signal: ctx.signal,
          okStatuses: ranged ? [416] : undefined,
        });
        let start = 0;
        let bodyLength: number | undefined;
        if (res.status === 206) {
          const range = parseContentRange(res.headers["content-range"]);
          if (!ranged || range === undefined || range.start !== offset) {
            await res.dump();
            canResume = false;
            throw new SizeMismatch(
              `Server answered a range request for "${job.artifactPath}" with a wrong range`,
            );
          }
          start = offset;
          bodyLength = range.end - range.start + 1;
          if (range.total !== undefined) total = checkTotal(job, total, range.total);
        } else if (res.status === 416) {
          await res.dump();
          canResume = false; // our offset is wrong; start over
          throw new SizeMismatch(`Server refused to resume "${job.artifactPath}" at byte ${offset}`);
        } else {
          const cl = parseLength(res.headers["content-length"]);
          if (cl !== undefined) total = checkTotal(job, total, cl);
          bodyLength = cl;
        }
        canResume = /\bbytes\b/i.test(res.headers["accept-ranges"] ?? "") || res.status === 206;
        const tag = res.headers.etag;
        if (res.status === 200) etag = tag !== undefined && !tag.startsWith("W/") ? tag : undefined;
        if (start === 0 && counted !== 0) report(-counted);
        offset = start;

        const limit = total === undefined ? undefined : total - start;
        const flags =
          constants.O_WRONLY |
          constants.O_NOFOLLOW |
          (created ? 0 : constants.O_CREAT | constants.O_EXCL) |
          (start === 0 ? constants.O_TRUNC : 0);
        created = true;
        const sync = limit !== undefined && limit <= (ctx.syncIoMaxBytes ?? 0);
        const written = await writeBodyToFile(
          res.body,
          { path: tmp, flags, start, maxBytes: limit, onChunk: report, label: job.artifactPath },
          sync,
        );
        offset = start + written.bytes;
        if (written.error !== undefined) throw written.error;
        const received = written.bytes;
        if (bodyLength !== undefined && received !== bodyLength) {
          throw new SizeMismatch(
            `"${job.artifactPath}": received ${received} bytes, the response announced ${bodyLength}`,
          );
        }
        // offset counts the bytes the write stream wrote (exact once it closed)
        if (total !== undefined && offset !== total) {
          throw new SizeMismatch(`"${job.artifactPath}": wrote ${offset} bytes, expected ${total}`);
        }
        break;
      } catch (err) {
        if (ctx.signal?.aborted) throw toAbortError(ctx.signal, job.artifactPath);
        if (err instanceof SizeMismatch) canResume = false;
        if (!isRetryable(err) || attempt >= ctx.maxAttempts) throw finalError(err, job, attempt);
        if (!canResume) offset = 0;
        await ctx.sleep(retryDelayMs(ctx, attempt), ctx.signal).catch(() => {
          throw toAbortError(ctx.signal, job.artifactPath);
        });
      }
    }
    if (offset <= (ctx.syncIoMaxBytes ?? 0)) renameSync(tmp, job.destPath);
    else await rename(tmp, job.destPath);
    created = false;
    return offset;
  } catch (err) {
    if (counted !== 0) ctx.onBytes?.(-counted);
    throw err;
  } finally {
    if (created) await rm(tmp, { force: true }).catch(() => {});
  }
}

function checkTotal(job: FileDownloadJob, known: number | undefined, reported: number): number {
  if (known !== undefined && known !== reported) {
    throw new SizeMismatch(
      `"${job.artifactPath}": the listing reported ${known} bytes but the server sends ${reported}`,
      { hint: "The artifact may have changed during the download; retry" },
    );
  }
  return reported;
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Parses `bytes START-END/TOTAL` (TOTAL may be `*`). */
export function parseContentRange(
  value: string | undefined,
): { start: number; end: number; total: number | undefined } | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? "");
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return undefined;
  return { start, end, total: m[3] === "*" ? undefined : Number(m[3]) };
}

/** Wait before re-trying a transfer after failed attempt number `attempt` (1-based): doubling from `retryBaseMs` (200 ms), at most 10 s. */
export function retryDelayMs(ctx: Pick<FileDownloadContext, "retryBaseMs">, attempt: number): number {
  return Math.min(10_000, (ctx.retryBaseMs ?? 200) * 2 ** (attempt - 1));
}

/** True when a failed transfer attempt may be repeated (or resumed): connection and size problems, not HTTP or file-system errors. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof SizeMismatch) return true;
  if (err instanceof AbortError) return false;
  if (err instanceof ValidationError) return false;
  if (err instanceof ApiError) return false; // HttpClient already retried 408/429/5xx
  if (err instanceof NetworkError || err instanceof TimeoutError) return true;
  if (err instanceof ModelTrailError) return false;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && FATAL_FS_CODES.has(code)) return false;
  return true; // socket errors, premature close, body timeouts
}

/** The error to throw once a download gives up: modeltrail errors as they are, others mapped (file system -> ValidationError, stall -> TimeoutError, else NetworkError). */
export function finalError(err: unknown, job: FileDownloadJob, attempts: number): unknown {
  if (err instanceof ModelTrailError) return err;
  const code = (err as { code?: unknown })?.code;
  const detail = err instanceof Error ? err.message : String(err);
  if (typeof code === "string" && FATAL_FS_CODES.has(code)) {
    return new ValidationError(`Cannot write artifact "${job.artifactPath}" to ${job.destPath}: ${detail}`, {
      cause: err,
      issues: [{ path: job.artifactPath, message: code }],
    });
  }
  if (code === "UND_ERR_BODY_TIMEOUT") {
    return new TimeoutError(`Download of artifact "${job.artifactPath}" stalled (${attempts} attempts)`, 0, {
      cause: err,
    });
  }
  return new NetworkError(
    `Download of artifact "${job.artifactPath}" failed after ${attempts} attempt(s): ${detail}`,
    typeof code === "string" ? code : undefined,
    { cause: err, hint: "Check the connection to the MLflow server and retry" },
  );
}

function throwIfAborted(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) throw toAbortError(signal, path);
}

/** An AbortError for a transfer stopped through its signal. */
export function toAbortError(signal: AbortSignal | undefined, path: string): ModelTrailError {
  const reason = signal?.reason;
  if (reason instanceof ModelTrailError) return reason;
  return new AbortError(`Transfer of artifact "${path}" was aborted`, { cause: reason });
}
