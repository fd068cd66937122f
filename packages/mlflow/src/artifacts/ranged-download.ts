import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ValidationError } from "@modeltrail/core";
import type { HttpClient } from "@modeltrail/core/internal";
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
 * Throws like `downloadFile`, and ValidationError when the artifact changes during the download.
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
  const chunks: Array<{ start: number; end: number; done: number; counted: number }> = [];
  for (let s = 0; s < total; s += options.chunkSize) {
    chunks.push({ start: s, end: Math.min(total, s + options.chunkSize) - 1, done: 0, counted: 0 });
  }
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let etag: string | undefined;
  let created = false;
  let whole = false;

  const fetchChunk = async (index: number): Promise<void> => {
    const chunk = chunks[index] as (typeof chunks)[number];
    for (let attempt = 1; ; attempt++) {
      if (controller.signal.aborted) throw controller.signal.reason;
      const from = chunk.start + chunk.done;
      try {
        const res = await http.request({
          method: "GET",
          path: job.requestPath,
          query: job.query,
          headers: { range: `bytes=${from}-${chunk.end}`, ...(etag ? { "if-range": etag } : {}) },
          signal: controller.signal,
        });
        if (res.status === 200) {
          if (index !== 0 || chunk.done !== 0) {
            await res.dump();
            throw new ValidationError(`Artifact "${job.artifactPath}" changed during the download`, {
              hint: "Retry the download",
            });
          }
          // The server ignores Range: this response is the whole file.
          whole = true;
          const written = await writeBodyToFile(res.body, {
            path: tmp,
            flags: constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_TRUNC,
            start: 0,
            maxBytes: total,
            onChunk: count(chunk),
            label: job.artifactPath,
          });
          chunk.done = written.bytes;
          if (written.error !== undefined) throw written.error;
          return;
        }
        const range = parseContentRange(res.headers["content-range"]);
        if (res.status !== 206 || range === undefined || range.start !== from || range.end !== chunk.end) {
          await res.dump();
          throw new ValidationError(
            `Server answered a range request for "${job.artifactPath}" with a wrong range`,
          );
        }
        if (range.total !== undefined && range.total !== total) {
          await res.dump();
          throw new ValidationError(
            `"${job.artifactPath}": the listing reported ${total} bytes but the server has ${range.total}`,
          );
        }
        if (index === 0) {
          const tag = res.headers.etag;
          etag = tag !== undefined && !tag.startsWith("W/") ? tag : undefined;
        }
        const want = chunk.end - from + 1;
        const written = await writeBodyToFile(res.body, {
          path: tmp,
          flags: constants.O_WRONLY | constants.O_NOFOLLOW,
          start: from,
          maxBytes: want,
          onChunk: count(chunk),
          label: job.artifactPath,
        });
        chunk.done += written.bytes;
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
  const count =
    (chunk: { counted: number }) =>
    (n: number): void => {
      chunk.counted += n;
      ctx.onBytes?.(n);
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
    if (!whole) {
      const results = await Promise.allSettled(
        chunks.slice(1).map((_, i) =>
          limiter
            .run(() => fetchChunk(i + 1))
            .catch((err: unknown) => {
              controller.abort(err);
              throw err;
            }),
        ),
      );
      const failed = results.find((r) => r.status === "rejected");
      if (failed)
        throw controller.signal.aborted ? controller.signal.reason : (failed as PromiseRejectedResult).reason;
    }
    const size = (await lstat(tmp)).size;
    if (size !== total)
      throw new SizeMismatch(`"${job.artifactPath}": wrote ${size} bytes, expected ${total}`);
    await rename(tmp, job.destPath);
    created = false;
    return size;
  } catch (err) {
    const counted = chunks.reduce((a, c) => a + c.counted, 0);
    if (counted !== 0) ctx.onBytes?.(-counted);
    if (ctx.signal?.aborted) throw toAbortError(ctx.signal, job.artifactPath);
    throw err;
  } finally {
    ctx.signal?.removeEventListener("abort", onOuterAbort);
    if (created) await rm(tmp, { force: true }).catch(() => {});
  }
}
