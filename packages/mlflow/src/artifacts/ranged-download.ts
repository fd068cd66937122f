import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions } from "@modeltrail/core/internal";
import type { Semaphore } from "./bounded.js";
import {
  type FileDownloadContext,
  type FileDownloadJob,
  finalError,
  isRetryable,
  parseContentRange,
  retryDelayMs,
  SizeMismatch,
  toAbortError,
  writeBodyToFile,
} from "./download-file.js";

/** Settings of parallel ranged downloads of large files. */
export interface RangedDownloadOptions {
  /** Files at least this large (per the listing) are fetched as parallel byte ranges (default 64 MiB). */
  minFileSize: number;
  /** Size of each range (default 16 MiB). */
  chunkSize: number;
  /**
   * Read the ranges after the first over connections that reuse one read buffer each
   * (`HttpClient.readRange`), so that memory does not grow with the file (default true); false: every
   * range through `HttpClient.request`.
   */
  direct?: boolean;
}

/** Defaults of ranged downloads. */
export const DEFAULT_RANGED: RangedDownloadOptions = {
  minFileSize: 64 * 1024 ** 2,
  chunkSize: 16 * 1024 ** 2,
};

/**
 * Downloads a large file of known size as parallel byte ranges that share `limiter` with the other
 * transfers: the first range is requested alone; when the server answers 206 the others follow in
 * parallel, each written at its offset into one temporary file next to the destination (created
 * exclusively, never through a symlink) and retried on its own, resuming where it stopped. When
 * the server ignores Range (200), that first response is streamed as the whole file. The file is
 * checked against the expected size and renamed into place; on failure it is removed.
 *
 * The size comes from a listing, so it is not trusted: the plan is lazy (ranges are numbered and
 * computed when a lane takes the next one, so time and memory do not depend on the claimed size,
 * and abort and timeouts work throughout), and the first response must confirm the size
 * (Content-Range total of a 206, Content-Length of a 200) before anything else is requested.
 * Throws like `downloadFile`, and ValidationError when the server's size or ranges disagree with
 * the listing or the artifact changes during the download.
 */
export async function downloadFileRanged(
  http: HttpClient,
  job: FileDownloadJob & { expectedSize: number },
  ctx: FileDownloadContext,
  options: RangedDownloadOptions,
  limiter: Semaphore,
): Promise<number> {
  const total = job.expectedSize;
  const tmp = join(
    dirname(job.destPath),
    `.${basename(job.destPath)}.${randomBytes(6).toString("hex")}.part`,
  );
  const chunkSize = options.chunkSize;
  const chunkCount = Math.ceil(total / chunkSize);
  const rangeOf = (index: number): { start: number; end: number } => {
    const start = index * chunkSize;
    return { start, end: Math.min(total, start + chunkSize) - 1 };
  };
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) onOuterAbort();
  else ctx.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let etag: string | undefined;
  let created = false;
  let whole = false;
  let direct = options.direct !== false;
  let counted = 0; // bytes reported to onBytes for this file
  const report = (n: number): void => {
    counted += n;
    ctx.onBytes?.(n);
  };

  /**
   * Reads bytes `from`..`end` into the file over a connection that reuses one read buffer (see
   * `HttpClient.readRange`), counting each chunk once written; false when the server's answer was
   * not a plain 206 of that range (nothing was written then).
   */
  const readDirect = async (from: number, end: number, onWritten: (n: number) => void): Promise<boolean> => {
    const handle = await open(tmp, constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      let pos = from;
      const outcome = await http.readRange({
        ...pickCallOptions(ctx.call),
        path: job.requestPath,
        query: job.query,
        headers: { ...ctx.call?.headers, ...(etag ? { "if-range": etag } : {}) },
        start: from,
        end,
        total,
        signal: controller.signal,
        write: async (chunk) => {
          for (let off = 0; off < chunk.length; ) {
            off += (await handle.write(chunk, off, chunk.length - off, pos + off)).bytesWritten;
          }
          pos += chunk.length;
          onWritten(chunk.length);
        },
      });
      return outcome.kind === "done";
    } finally {
      await handle.close();
    }
  };

  const fetchChunk = async (index: number): Promise<void> => {
    const { start, end } = rangeOf(index);
    let done = 0; // bytes of this range already in the file
    for (let attempt = 1; ; attempt++) {
      if (controller.signal.aborted) throw controller.signal.reason;
      const from = start + done;
      try {
        // After the first range (read through `request`, which confirmed the size), the others are
        // read over connections that reuse one buffer each, while the server answers plainly.
        if (direct && index > 0) {
          const read = await readDirect(from, end, (n) => {
            done += n;
            report(n);
          });
          if (read) {
            if (start + done !== end + 1) {
              throw new SizeMismatch(
                `"${job.artifactPath}": range ended after ${done} of ${end - start + 1} bytes`,
              );
            }
            return;
          }
          direct = false; // this server's answers need `request`: the other ranges use it too
        }
        const res = await http.request({
          ...pickCallOptions(ctx.call),
          method: "GET",
          path: job.requestPath,
          query: job.query,
          headers: {
            ...ctx.call?.headers,
            range: `bytes=${from}-${end}`,
            ...(etag ? { "if-range": etag } : {}),
          },
          signal: controller.signal,
        });
        if (res.status === 200) {
          if (index !== 0 || done !== 0) {
            await res.dump();
            throw new ValidationError(`Artifact "${job.artifactPath}" changed during the download`, {
              hint: "Retry the download",
            });
          }
          // The server ignores Range: this response is the whole file, and must say it has the size listed.
          const length = res.headers["content-length"];
          if (length !== undefined && length.trim() !== String(total)) {
            await res.dump();
            throw new ValidationError(
              `"${job.artifactPath}": the listing reported ${total} bytes but the server sends ${JSON.stringify(length)} (Content-Length)`,
              { hint: "The artifact may have changed, or the server is misreporting sizes; retry" },
            );
          }
          whole = true;
          const written = await writeBodyToFile(res.body, {
            path: tmp,
            flags: constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_TRUNC,
            start: 0,
            maxBytes: total,
            onChunk: report,
            label: job.artifactPath,
          });
          done = written.bytes;
          if (written.error !== undefined) throw written.error;
          return;
        }
        const range = parseContentRange(res.headers["content-range"]);
        if (res.status !== 206 || range === undefined || range.start !== from || range.end !== end) {
          await res.dump();
          throw new ValidationError(
            `Server answered the range request bytes=${from}-${end} for "${job.artifactPath}" with ${res.status === 206 ? `the range ${JSON.stringify(res.headers["content-range"] ?? "")}` : `HTTP ${res.status}`}`,
          );
        }
        if (range.total !== undefined && range.total !== total) {
          await res.dump();
          throw new ValidationError(
            `"${job.artifactPath}": the listing reported ${total} bytes but the server has ${range.total}`,
            { hint: "The artifact may have changed, or the server is misreporting sizes; retry" },
          );
        }
        if (index === 0) {
          const tag = res.headers.etag;
          etag = tag !== undefined && !tag.startsWith("W/") ? tag : undefined;
        }
        const want = end - from + 1;
        const written = await writeBodyToFile(res.body, {
          path: tmp,
          flags: constants.O_WRONLY | constants.O_NOFOLLOW,
          start: from,
          maxBytes: want,
          onChunk: report,
          label: job.artifactPath,
        });
        done += written.bytes;
        if (written.error !== undefined) throw written.error;
        if (written.bytes !== want) {
          throw new SizeMismatch(
            `"${job.artifactPath}": range ended after ${written.bytes} of ${want} bytes`,
          );
        }
        return;
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        if (!isRetryable(err) || attempt >= ctx.maxAttempts) throw finalError(err, job, attempt);
        await ctx.sleep(retryDelayMs(ctx, attempt), controller.signal);
      }
    }
  };

  try {
    const handle = await open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    created = true;
    await handle.close();
    await limiter.run(() => fetchChunk(0));
    if (!whole && chunkCount > 1) {
      // At most `limiter.limit` lanes, each taking the next range number when it is free.
      let next = 1;
      let firstError: { error: unknown } | undefined;
      const lane = async (): Promise<void> => {
        while (firstError === undefined && !controller.signal.aborted && next < chunkCount) {
          const index = next++;
          try {
            await limiter.run(() => fetchChunk(index));
          } catch (error) {
            firstError ??= { error };
            controller.abort(error);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(limiter.limit, chunkCount - 1) }, lane));
      if (firstError !== undefined) throw firstError.error;
      if (controller.signal.aborted) throw controller.signal.reason;
    }
    const size = (await lstat(tmp)).size;
    if (size !== total)
      throw new SizeMismatch(`"${job.artifactPath}": wrote ${size} bytes, expected ${total}`);
    await rename(tmp, job.destPath);
    created = false;
    return size;
  } catch (err) {
    if (counted !== 0) ctx.onBytes?.(-counted);
    if (ctx.signal?.aborted) throw toAbortError(ctx.signal, job.artifactPath);
    throw err;
  } finally {
    ctx.signal?.removeEventListener("abort", onOuterAbort);
    if (created) await rm(tmp, { force: true }).catch(() => {});
  }
}
