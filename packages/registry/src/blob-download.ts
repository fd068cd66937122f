import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import {
  type CallOptions,
  isModelTrailError,
  NetworkError,
  TimeoutError,
  ValidationError,
} from "@modeltrail/core";
import { repositoryScope } from "./auth/token-flow.js";
import { digestMismatch, hasherFor, sizeMismatch, splitDigest } from "./digest.js";
import { bodyError, discardBody, readLimited } from "./read-limited.js";
import { type ImageReference, repositoryName } from "./reference.js";
import type { RegistryTransport } from "./registry-transport.js";

/** What a blob download checks the content against. */
export interface BlobDescriptor {
  digest: string;
  /** The declared size; more or fewer bytes fail the download. */
  size?: number | undefined;
}

/** Options of a blob download to a file. */
export interface BlobDownloadOptions extends CallOptions {
  /** How many times an interrupted download resumes where it broke off (HTTP Range; default 3). */
  maxResumes?: number | undefined;
}

/**
 * HEADs a blob: its size, or undefined when the repository does not have it.
 * @throws ApiError (other than 404), NetworkError, TimeoutError, AbortError.
 */
export async function blobSize(
  t: RegistryTransport,
  repo: ImageReference,
  digest: string,
  options: CallOptions = {},
  push = false,
): Promise<number | undefined> {
  const res = await t.request({
    ...options,
    method: "HEAD",
    path: `/v2/${repo.repository}/blobs/${digest}`,
    scopes: [repositoryScope(repo.repository, push ? "pull,push" : "pull")],
    okStatuses: [404],
    followRedirects: true,
  });
  await res.dump();
  if (res.status === 404) return undefined;
  const size = Number(res.headers["content-length"]);
  return Number.isSafeInteger(size) && size >= 0 ? size : -1;
}

async function getBlob(
  t: RegistryTransport,
  repo: ImageReference,
  digest: string,
  offset: number,
  options: CallOptions,
) {
  return t.request({
    ...options,
    method: "GET",
    path: `/v2/${repo.repository}/blobs/${digest}`,
    headers: { ...options.headers, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
    scopes: [repositoryScope(repo.repository, "pull")],
    followRedirects: true,
  });
}

/**
 * Reads a small blob (a config, an attestation) into memory, checked against its digest and size.
 * @throws ValidationError when it is larger than `limit` (default 16 MiB) or does not match.
 */
export async function fetchBlob(
  t: RegistryTransport,
  repo: ImageReference,
  desc: BlobDescriptor,
  options: CallOptions & { limit?: number } = {},
): Promise<Buffer> {
  const limit = Math.min(options.limit ?? 16 * 1024 * 1024, desc.size ?? Number.POSITIVE_INFINITY);
  const what = `blob ${desc.digest} of ${repositoryName(repo)}`;
  const res = await getBlob(t, repo, desc.digest, 0, options);
  const bytes = await readLimited(res.body, limit, what, res.headers["content-length"]);
  if (desc.size !== undefined && bytes.length !== desc.size)
    throw sizeMismatch(what, desc.size, bytes.length);
  const actual = `${splitDigest(desc.digest).algorithm}:${hasherFor(desc.digest).update(bytes).digest("hex")}`;
  if (actual !== desc.digest) throw digestMismatch(what, desc.digest, actual);
  return bytes;
}

/**
 * Opens a blob as a stream that fails (with a ValidationError) as soon as more bytes than declared
 * arrive, and at its end unless size and digest match. A consumer must treat the content as
 * untrusted until the stream ended without error.
 */
export async function openBlob(
  t: RegistryTransport,
  repo: ImageReference,
  desc: BlobDescriptor,
  options: CallOptions = {},
): Promise<Readable> {
  const what = `blob ${desc.digest} of ${repositoryName(repo)}`;
  const res = await getBlob(t, repo, desc.digest, 0, options);
  const declared = Number(res.headers["content-length"]);
  if (desc.size !== undefined && Number.isFinite(declared) && declared !== desc.size) {
    discardBody(res.body);
    throw sizeMismatch(what, desc.size, declared);
  }
  const hash = hasherFor(desc.digest);
  let bytes = 0;
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const body = res.body;
  body.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (desc.size !== undefined && bytes > desc.size) {
      discardBody(body);
      out.destroy(sizeMismatch(what, desc.size, bytes, true));
      return;
    }
    hash.update(chunk);
    if (!out.write(chunk)) body.pause();
  });
  out.on("drain", () => body.resume());
  body.on("error", (err) => out.destroy(bodyError(err, what) as Error));
  body.on("end", () => {
    if (desc.size !== undefined && bytes !== desc.size) {
      out.destroy(sizeMismatch(what, desc.size, bytes));
      return;
    }
    const actual = `${splitDigest(desc.digest).algorithm}:${hash.digest("hex")}`;
    if (actual !== desc.digest) out.destroy(digestMismatch(what, desc.digest, actual));
    else out.end();
  });
  out.on("close", () => {
    if (!body.destroyed) discardBody(body);
  });
  return out;
}

/**
 * Downloads a blob into `destPath`: written to a temporary file beside it, checked against the
 * digest and size while streaming, and renamed into place only when both match; an interrupted
 * download resumes with an HTTP Range request. Nothing is left at `destPath` or beside it on failure.
 * @throws ValidationError on a digest or size mismatch (also a lying Content-Length or an endless
 *   body), NetworkError/TimeoutError when resuming did not help, other ApiErrors, AbortError.
 */
export async function downloadBlob(
  t: RegistryTransport,
  repo: ImageReference,
  desc: BlobDescriptor,
  destPath: string,
  options: BlobDownloadOptions = {},
): Promise<{ path: string; size: number }> {
  const what = `blob ${desc.digest} of ${repositoryName(repo)}`;
  const temp = join(dirname(destPath), `.${basename(destPath)}.${randomBytes(6).toString("hex")}.partial`);
  const maxResumes = options.maxResumes ?? 3;
  const handle = await open(temp, "wx");
  let done = false;
  try {
    let hash = hasherFor(desc.digest);
    let written = 0;
    for (let resumes = 0; ; resumes++) {
      try {
        const res = await getBlob(t, repo, desc.digest, written, options);
        if (written > 0 && res.status !== 206) {
          // The server ignored the Range: start over.
          await handle.truncate(0);
          hash = hasherFor(desc.digest);
          written = 0;
        } else if (res.status === 206) {
          const start = Number(/^bytes (\d+)-/.exec(res.headers["content-range"] ?? "")?.[1]);
          if (start !== written) {
            discardBody(res.body);
            throw new ValidationError(`${what}: the server resumed at byte ${start}, not ${written}`);
          }
        }
        const declared = Number(res.headers["content-length"]);
        if (desc.size !== undefined && Number.isFinite(declared) && written + declared !== desc.size) {
          discardBody(res.body);
          throw sizeMismatch(what, desc.size, written + declared);
        }
        try {
          for await (const chunk of res.body) {
            const buf = chunk as Buffer;
            if (desc.size !== undefined && written + buf.length > desc.size) {
              discardBody(res.body);
              throw sizeMismatch(what, desc.size, written + buf.length, true);
            }
            hash.update(buf);
            await handle.write(buf, 0, buf.length, written);
            written += buf.length;
          }
        } catch (err) {
          throw bodyError(err, what);
        }
        break;
      } catch (err) {
        const interrupted =
          err instanceof NetworkError || (err instanceof TimeoutError && !options.signal?.aborted);
        if (!interrupted || resumes >= maxResumes || !isModelTrailError(err)) throw err;
      }
    }
    if (desc.size !== undefined && written !== desc.size) throw sizeMismatch(what, desc.size, written);
    const actual = `${splitDigest(desc.digest).algorithm}:${hash.digest("hex")}`;
    if (actual !== desc.digest) throw digestMismatch(what, desc.digest, actual);
    await handle.close();
    await rename(temp, destPath);
    done = true;
    return { path: destPath, size: written };
  } finally {
    if (!done) {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
    }
  }
}
