import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { ApiError, type CallOptions } from "@modeltrail/core";
import { runBounded } from "../artifacts/bounded.js";
import { fileBodyFactory } from "../artifacts/file-body.js";
import {
  type CredentialHandle,
  pickHeaders,
  storageCallOptions,
  withCredential,
  withQuery,
} from "./storage-request.js";
import type { StorageTransport } from "./storage-transport.js";

/** One file to write to an Azure blob through a SAS URI. */
export interface AzureBlobUploadJob {
  localPath: string;
  size: number;
  /** Block size (MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE, default 10 MiB; Azure allows up to 4000 MiB). */
  chunkSize: number;
  /** Blocks staged at the same time. */
  concurrency: number;
  signal: AbortSignal;
  /** The caller\'s per-call options (storage requests get them without `headers`). */
  call?: CallOptions | undefined;
  onBytes: (n: number) => void;
}

/** The outcome of a block upload. */
export interface AzureBlobUploadOutcome {
  /** Blocks staged by this call. */
  staged: number;
  /** Blocks found already staged by an earlier, interrupted upload of the same file, and kept. */
  reused: number;
}

/** Headers of Put Block (https://learn.microsoft.com/rest/api/storageservices/put-block). */
const PUT_BLOCK_HEADERS = new Set([
  "x-ms-date",
  "x-ms-version",
  "content-md5",
  "x-ms-content-crc64",
  "x-ms-encryption-scope",
  "x-ms-lease-id",
  "x-ms-client-request-id",
  "x-ms-encryption-key",
  "x-ms-encryption-key-sha256",
  "x-ms-encryption-algorithm",
]);

/** Headers of Put Block List and Put Blob. */
const COMMIT_HEADERS = new Set([
  "x-ms-date",
  "x-ms-version",
  "x-ms-content-crc64",
  "x-ms-blob-cache-control",
  "x-ms-blob-content-type",
  "x-ms-blob-content-encoding",
  "x-ms-blob-content-language",
  "x-ms-blob-content-md5",
  "x-ms-encryption-scope",
  "x-ms-tags",
  "x-ms-lease-id",
  "x-ms-client-request-id",
  "x-ms-blob-content-disposition",
  "x-ms-access-tier",
  "x-ms-encryption-key",
  "x-ms-encryption-key-sha256",
  "x-ms-encryption-algorithm",
  "if-modified-since",
  "if-unmodified-since",
  "if-match",
  "if-none-match",
]);

const isCommitHeader = (n: string): boolean => n.startsWith("x-ms-meta-") || COMMIT_HEADERS.has(n);

/**
 * Writes a local file to the block blob a SAS URI names. A file of at most one block goes in one
 * Put Blob; a larger one is staged as blocks of `chunkSize` with bounded concurrency (Put Block,
 * streamed from disk, retried by the transport) and committed with Put Block List. Block ids are
 * derived from the file's size, modification time and the block size, so that an upload
 * interrupted before its commit is resumed by the next one: the blob's uncommitted block list is
 * read first and blocks already staged with the right size are not sent again. A refused SAS
 * (401/403: expired) is replaced through `credential.refresh` and the step repeated, for every
 * block and for the commit. Throws ApiError, NetworkError, TimeoutError, AbortError.
 */
export async function uploadAzureBlob(
  transport: StorageTransport,
  credential: CredentialHandle,
  job: AzureBlobUploadJob,
): Promise<AzureBlobUploadOutcome> {
  if (job.size <= job.chunkSize) {
    await withCredential(credential, async (cred) => {
      const http = await transport.client(cred.signedUri);
      const res = await http.request({
        ...storageCallOptions(job.call),
        method: "PUT",
        path: cred.signedUri,
        headers: {
          ...pickHeaders(cred.headers, isCommitHeader),
          "x-ms-blob-type": "BlockBlob",
          "content-length": String(job.size),
        },
        body: fileBodyFactory(job.localPath, job.size, undefined, job.onBytes),
        signal: job.signal,
      });
      await res.dump();
    });
    return { staged: 1, reused: 0 };
  }

  const count = Math.ceil(job.size / job.chunkSize);
  const ids = await blockIds(job, count);
  const already = await uncommittedBlocks(transport, credential, job.signal, job.call);
  const todo: number[] = [];
  let reused = 0;
  for (let i = 0; i < count; i++) {
    const length = Math.min(job.size, (i + 1) * job.chunkSize) - i * job.chunkSize;
    if (already.get(ids[i] as string) === length) {
      reused++;
      job.onBytes(length);
    } else todo.push(i);
  }
  await runBounded(
    todo,
    job.concurrency,
    async (i, _index, signal) => {
      const start = i * job.chunkSize;
      const end = Math.min(job.size, start + job.chunkSize) - 1;
      await withCredential(credential, async (cred) => {
        const http = await transport.client(cred.signedUri);
        const res = await http.request({
          ...storageCallOptions(job.call),
          method: "PUT",
          path: withQuery(cred.signedUri, { comp: "block", blockid: ids[i] as string }),
          headers: {
            ...pickHeaders(cred.headers, (n) => PUT_BLOCK_HEADERS.has(n)),
            "content-length": String(end - start + 1),
          },
          body: fileBodyFactory(job.localPath, job.size, { start, end }, job.onBytes),
          signal,
        });
        await res.dump();
      });
    },
    job.signal,
  );
  const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join("")}</BlockList>`;
  await withCredential(credential, async (cred) => {
    const http = await transport.client(cred.signedUri);
    const res = await http.request({
      ...storageCallOptions(job.call),
      method: "PUT",
      path: withQuery(cred.signedUri, { comp: "blocklist" }),
      headers: { ...pickHeaders(cred.headers, isCommitHeader), "content-type": "application/xml" },
      body: xml,
      signal: job.signal,
    });
    await res.dump();
  });
  return { staged: todo.length, reused };
}

/**
 * Block ids of equal length (Azure requires it) that name the file version and the block: an
 * upload of the same file with the same block size makes the same ids, so it can find the blocks
 * an interrupted attempt left.
 */
async function blockIds(job: AzureBlobUploadJob, count: number): Promise<string[]> {
  const st = await stat(job.localPath);
  const version = createHash("sha256")
    .update(`${job.size}:${Math.trunc(st.mtimeMs)}:${st.ino}:${job.chunkSize}`)
    .digest("hex")
    .slice(0, 16);
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(`modeltrail-${version}-${String(i).padStart(6, "0")}`).toString("base64"),
  );
}

/** The blob's uncommitted blocks (id -> size); empty when the blob does not exist yet. */
async function uncommittedBlocks(
  transport: StorageTransport,
  credential: CredentialHandle,
  signal: AbortSignal,
  call: CallOptions | undefined,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  // Best effort: a SAS without read permission cannot list blocks; then every block is sent.
  try {
    const cred = await credential.current();
    const http = await transport.client(cred.signedUri);
    const res = await http.request({
      ...storageCallOptions(call),
      method: "GET",
      path: withQuery(cred.signedUri, { comp: "blocklist", blocklisttype: "uncommitted" }),
      headers: pickHeaders(cred.headers, (n) => n === "x-ms-version" || n === "x-ms-lease-id"),
      retry: { maxRetries: 1 },
      signal,
    });
    const text = await res.text();
    const section = /<UncommittedBlocks>([\s\S]*?)<\/UncommittedBlocks>/.exec(text)?.[1] ?? "";
    for (const m of section.matchAll(/<Block>\s*<Name>([^<]+)<\/Name>\s*<Size>(\d+)<\/Size>\s*<\/Block>/g)) {
      out.set(m[1] as string, Number(m[2]));
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  return out;
}
