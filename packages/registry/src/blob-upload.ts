import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import {
  ApiError,
  BadRequestError,
  type CallOptions,
  NetworkError,
  TimeoutError,
  ValidationError,
} from "@modeltrail/core";
import { repositoryScope } from "./auth/token-flow.js";
import { blobSize } from "./blob-download.js";
import { parseDigest, sha256Digest } from "./digest.js";
import { type ImageReference, repositoryName } from "./reference.js";
import type { RegistryTransport } from "./registry-transport.js";

/** Content to upload: its digest and size, and a way to read any byte range of it (again). */
export interface BlobSource {
  /** The digest the registry will check (`sha256:...`). */
  digest: string;
  /** The size in bytes. */
  size: number;
  /** Opens bytes `[start, end)`; called again for retries and resumption. */
  open(start: number, end: number): Readable;
}

/** A blob source over bytes in memory (configs, manifests, attestations). */
export function bytesSource(bytes: Uint8Array, digest = sha256Digest(bytes)): BlobSource {
  return {
    digest,
    size: bytes.length,
    open: (start, end) => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start)]),
  };
}

/** A blob source over a file whose digest and size are known (a layer in an OCI layout). */
export function fileSource(path: string, digest: string, size: number): BlobSource {
  return {
    digest: parseDigest(digest),
    size,
    open: (start, end) =>
      end > start
        ? createReadStream(path, { start, end: end - 1, highWaterMark: 1024 * 1024 })
        : Readable.from([]),
  };
}

/** Options of a blob upload. */
export interface BlobUploadOptions extends CallOptions {
  /**
   * Upload in chunks of this many bytes (PATCH with Content-Range, then PUT) instead of one PUT.
   * Either way an interrupted upload resumes from what the registry reports it has.
   */
  chunkSize?: number | undefined;
  /** Mount the blob from this repository of the same registry instead of sending it (when the registry can). */
  mountFrom?: string | undefined;
  /** Recoveries (resumptions or restarts) after interruptions before giving up (default 3). */
  maxResumes?: number | undefined;
  /** Skip the HEAD that avoids sending a blob the repository already has. */
  skipExistenceCheck?: boolean | undefined;
  /** Called with the bytes the registry has confirmed so far. */
  onProgress?: ((confirmedBytes: number) => void) | undefined;
  /**
   * Called with the upload session (its location and confirmed offset) when it opens and after
   * each confirmed chunk; keep it to resume the upload after this process was interrupted.
   */
  onSession?: ((session: UploadSession) => void) | undefined;
  /** Continue this session (from `onSession` of an interrupted upload) instead of opening a new one. */
  resume?: UploadSession | undefined;
}

/** An open upload session: where to send the next bytes and how many the registry confirmed. */
export interface UploadSession {
  location: string;
  offset: number;
}

/** How a blob got into the repository. */
export interface BlobUploadResult {
  digest: string;
  size: number;
  /** `exists`: nothing was sent; `mounted`: linked from `mountFrom`; `uploaded`: the bytes were sent. */
  status: "exists" | "mounted" | "uploaded";
  /** How many times an interrupted upload continued from the bytes the registry had. */
  resumed: number;
  /** How many times the upload had to start over in a new session (the registry dropped the old one). */
  restarted: number;
}

const UPLOAD_RETRY = { maxRetries: 0 };

/**
 * Uploads a blob unless the repository has it: HEAD first; then a cross-repository mount when
 * `mountFrom` is given; else a monolithic PUT (or PATCH chunks then PUT with `chunkSize`). When the
 * connection breaks mid-way, the registry is asked which range it has (GET on the upload
 * location) and the upload continues from there; when the registry dropped the session
 * (distribution does when a request broke off mid-body) or rejects the digest after a resumption,
 * the upload starts again in a new session. An upload interrupted between chunks (an abort, a
 * crash) continues later from the session kept with `onSession`, passed back as `resume`.
 *
 * @throws BadRequestError (DIGEST_INVALID) when the content does not match `source.digest`;
 *   NetworkError/TimeoutError when resuming did not help; other ApiErrors; AbortError.
 */
export async function uploadBlob(
  t: RegistryTransport,
  repo: ImageReference,
  source: BlobSource,
  options: BlobUploadOptions = {},
): Promise<BlobUploadResult> {
  parseDigest(source.digest);
  if (!Number.isSafeInteger(source.size) || source.size < 0) {
    throw new ValidationError(`Invalid blob size ${source.size} for ${source.digest}`);
  }
  if (
    options.chunkSize !== undefined &&
    (!Number.isSafeInteger(options.chunkSize) || options.chunkSize < 1)
  ) {
    throw new ValidationError(`Invalid chunkSize ${options.chunkSize}: give a positive number of bytes`);
  }
  const { chunkSize, mountFrom, onProgress } = options;
  const call: CallOptions = {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    deadlineMs: options.deadlineMs,
    retry: options.retry,
    headers: options.headers,
  };
  if (!options.skipExistenceCheck) {
    const existing = await blobSize(t, repo, source.digest, call, true);
    if (existing !== undefined)
      return { digest: source.digest, size: source.size, status: "exists", resumed: 0, restarted: 0 };
  }
  const scopes = [
    repositoryScope(repo.repository, "pull,push"),
    ...(mountFrom ? [repositoryScope(mountFrom, "pull")] : []),
  ];
  const maxResumes = options.maxResumes ?? 3;
  const what = `blob ${source.digest} to ${repositoryName(repo)}`;

  const start = async (mount: boolean): Promise<{ mounted: true } | { mounted: false; location: string }> => {
    const res = await t.request({
      ...call,
      method: "POST",
      path: `/v2/${repo.repository}/blobs/uploads/`,
      query: mount && mountFrom ? { mount: source.digest, from: mountFrom } : undefined,
      headers: { ...call.headers, "content-length": "0" },
      retrySafe: true,
      scopes,
      okStatuses: [201, 202],
    });
    await res.dump();
    if (res.status === 201) return { mounted: true };
    return { mounted: false, location: locationOf(res.headers.location, res.url, what) };
  };

  const sessionLost = (err: unknown) =>
    err instanceof ApiError &&
    (err.status === 404 ||
      err.serviceCode === "BLOB_UPLOAD_INVALID" ||
      err.serviceCode === "BLOB_UPLOAD_UNKNOWN");
  let location = "";
  let offset = 0;
  let resumed = 0;
  let restarted = 0;
  let recoveries = 0;
  const report = () => {
    onProgress?.(offset);
    options.onSession?.({ location, offset });
  };
  /** Opens a new session; true when the registry mounted the blob instead. */
  const fresh = async (mount: boolean): Promise<boolean> => {
    const session = await start(mount);
    if (session.mounted) return true;
    location = session.location;
    offset = 0;
    report();
    return false;
  };
  const mounted = (): BlobUploadResult => ({
    digest: source.digest,
    size: source.size,
    status: "mounted",
    resumed,
    restarted,
  });

  if (options.resume) {
    location = locationOf(options.resume.location, t.http.baseUrl.href, what);
    try {
      offset = await uploadedBytes(t, location, scopes, call);
      if (offset > source.size) offset = 0;
      if (offset > 0) resumed++;
      report();
    } catch (err) {
      if (!sessionLost(err)) throw err;
      restarted++;
      if (await fresh(true)) return mounted();
    }
  } else if (await fresh(true)) {
    return mounted();
  }

  const send = async (method: "PATCH" | "PUT", from: number, to: number, digestParam: boolean) => {
    const url = new URL(location);
    if (digestParam) url.searchParams.set("digest", source.digest);
    const length = to - from;
    const headers: Record<string, string> = {
      ...call.headers,
      "content-type": "application/octet-stream",
      "content-length": String(length),
    };
    if (method === "PATCH") headers["content-range"] = `${from}-${to - 1}`;
    const res = await t.request({
      ...call,
      retry: UPLOAD_RETRY,
      method,
      path: url.href,
      headers,
      body: length > 0 ? () => source.open(from, to) : undefined,
      scopes,
      okStatuses: [201, 202, 204],
    });
    await res.dump();
    if (res.headers.location) location = locationOf(res.headers.location, res.url, what);
    return res;
  };

  for (;;) {
    try {
      if (chunkSize !== undefined) {
        while (offset < source.size) {
          const end = Math.min(source.size, offset + chunkSize);
          const res = await send("PATCH", offset, end, false);
          const reported = rangeEnd(res.headers.range);
          offset = reported !== undefined && reported <= end && reported > offset ? reported : end;
          report();
        }
        await send("PUT", offset, offset, true);
      } else {
        await send("PUT", offset, source.size, true);
      }
      offset = source.size;
      onProgress?.(offset);
      return { digest: source.digest, size: source.size, status: "uploaded", resumed, restarted };
    } catch (err) {
      const interrupted =
        err instanceof NetworkError || (err instanceof TimeoutError && !call.signal?.aborted);
      const rejectedAfterResume =
        err instanceof BadRequestError && resumed > 0 && err.serviceCode === "DIGEST_INVALID";
      // The registry dropped the session (expired, or invalidated by a request that broke off earlier).
      const dropped = sessionLost(err);
      if ((!interrupted && !rejectedAfterResume && !dropped) || recoveries >= maxResumes) throw err;
      recoveries++;
      if (rejectedAfterResume || dropped) {
        restarted++;
        if (await fresh(false)) return mounted();
        continue;
      }
      try {
        // Continue from what the registry has, which may include part of the failed request.
        offset = Math.min(await uploadedBytes(t, location, scopes, call), source.size);
        resumed++;
        report();
      } catch (statusErr) {
        // distribution invalidates a session whose last request broke off mid-body: start it again
        if (!sessionLost(statusErr)) throw statusErr;
        restarted++;
        if (await fresh(false)) return mounted();
      }
    }
  }
}

/**
 * Mounts a blob from another repository of the same registry. Returns true when the registry
 * linked it, false when it could not (the upload session it opened instead is cancelled).
 */
export async function mountBlob(
  t: RegistryTransport,
  repo: ImageReference,
  digest: string,
  fromRepository: string,
  options: CallOptions = {},
): Promise<boolean> {
  parseDigest(digest);
  const res = await t.request({
    ...options,
    method: "POST",
    path: `/v2/${repo.repository}/blobs/uploads/`,
    query: { mount: digest, from: fromRepository },
    headers: { ...options.headers, "content-length": "0" },
    retrySafe: true,
    scopes: [repositoryScope(repo.repository, "pull,push"), repositoryScope(fromRepository, "pull")],
    okStatuses: [201, 202],
  });
  await res.dump();
  if (res.status === 201) return true;
  if (res.headers.location) {
    const cancel = await t.request({
      ...options,
      method: "DELETE",
      path: locationOf(res.headers.location, res.url, `mount of ${digest}`),
      scopes: [repositoryScope(repo.repository, "pull,push")],
      okStatuses: [204, 404],
    });
    await cancel.dump();
  }
  return false;
}

/** Asks the registry how many bytes of an upload it has (GET on the upload location, `Range: 0-N`). */
async function uploadedBytes(
  t: RegistryTransport,
  location: string,
  scopes: string[],
  call: CallOptions,
): Promise<number> {
  const res = await t.request({ ...call, method: "GET", path: location, scopes, okStatuses: [204] });
  await res.dump();
  // "0-0" means no byte as well as one byte; treating it as none at worst costs the one restart.
  return rangeEnd(res.headers.range) ?? 0;
}

/** The byte count a `Range: 0-N` header reports (N + 1), 0 for `0-0`, undefined when absent. */
function rangeEnd(range: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(range?.trim() ?? "");
  if (!m) return undefined;
  const last = Number(m[1]);
  return last === 0 ? 0 : last + 1;
}

function locationOf(location: string | undefined, base: string, what: string): string {
  if (!location)
    throw new ValidationError(`The registry answered the upload of ${what} without a Location header`);
  try {
    return new URL(location, base).href;
  } catch {
    throw new ValidationError(`The registry answered the upload of ${what} with an invalid Location`);
  }
}
