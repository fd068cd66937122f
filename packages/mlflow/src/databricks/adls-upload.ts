import type { CallOptions } from "@modeltrail/core";
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

/** One file to write to ADLS Gen2 through a SAS URI of the `dfs` endpoint. */
export interface AdlsUploadJob {
  localPath: string;
  size: number;
  /** Bytes per append (MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE, default 10 MiB). */
  chunkSize: number;
  concurrency: number;
  signal: AbortSignal;
  /** The caller\'s per-call options (storage requests get them without `headers`). */
  call?: CallOptions | undefined;
  onBytes: (n: number) => void;
}

/** Headers of Path - Create (https://learn.microsoft.com/rest/api/storageservices/datalakestoragegen2/path/create). */
const CREATE_HEADERS = new Set([
  "cache-control",
  "content-encoding",
  "content-language",
  "content-disposition",
  "x-ms-cache-control",
  "x-ms-content-type",
  "x-ms-content-encoding",
  "x-ms-content-language",
  "x-ms-content-disposition",
  "x-ms-lease-id",
  "x-ms-properties",
  "x-ms-permissions",
  "x-ms-umask",
  "x-ms-owner",
  "x-ms-group",
  "x-ms-acl",
  "x-ms-encryption-key",
  "x-ms-encryption-key-sha256",
  "x-ms-encryption-algorithm",
  "x-ms-encryption-context",
  "x-ms-client-request-id",
  "x-ms-date",
  "x-ms-version",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
]);

/** Headers of Path - Update (append, flush). */
const UPDATE_HEADERS = new Set([
  "content-md5",
  "x-ms-lease-id",
  "x-ms-cache-control",
  "x-ms-content-type",
  "x-ms-content-disposition",
  "x-ms-content-encoding",
  "x-ms-content-language",
  "x-ms-content-md5",
  "x-ms-properties",
  "x-ms-owner",
  "x-ms-group",
  "x-ms-permissions",
  "x-ms-acl",
  "x-ms-encryption-key",
  "x-ms-encryption-key-sha256",
  "x-ms-encryption-algorithm",
  "x-ms-encryption-context",
  "x-ms-client-request-id",
  "x-ms-date",
  "x-ms-version",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
]);

/**
 * Writes a local file to ADLS Gen2 as MLflow does: `PUT ?resource=file` creates (or truncates) it,
 * `PATCH ?action=append&position=N` sends each chunk (in parallel, streamed from disk), and
 * `PATCH ?action=flush&position=<size>` commits them (a single chunk is appended with
 * `flush=true`). A refused SAS (401/403) is replaced and the step repeated. Throws ApiError,
 * NetworkError, TimeoutError, AbortError.
 */
export async function uploadAdls(
  transport: StorageTransport,
  credential: CredentialHandle,
  job: AdlsUploadJob,
): Promise<void> {
  const send = (
    query: Record<string, string>,
    headers: Record<string, string>,
    body?: () => import("node:stream").Readable,
    length = 0,
  ) =>
    withCredential(credential, async (cred) => {
      const http = await transport.client(cred.signedUri);
      const allowed = query.resource ? CREATE_HEADERS : UPDATE_HEADERS;
      const res = await http.request({
        ...storageCallOptions(job.call),
        method: query.resource ? "PUT" : "PATCH",
        path: withQuery(cred.signedUri, query),
        headers: {
          ...pickHeaders(cred.headers, (n) => allowed.has(n)),
          ...headers,
          "content-length": String(length),
        },
        ...(body ? { body } : {}),
        retrySafe: true,
        signal: job.signal,
      });
      await res.dump();
    });

  await send({ resource: "file" }, {});
  const count = Math.ceil(job.size / job.chunkSize);
  const single = count === 1;
  await runBounded(
    Array.from({ length: count }, (_, i) => i),
    job.concurrency,
    async (i) => {
      const start = i * job.chunkSize;
      const end = Math.min(job.size, start + job.chunkSize) - 1;
      await send(
        { action: "append", position: String(start), ...(single ? { flush: "true" } : {}) },
        {},
        fileBodyFactory(job.localPath, job.size, { start, end }, job.onBytes),
        end - start + 1,
      );
    },
    job.signal,
  );
  if (!single) await send({ action: "flush", position: String(job.size) }, {});
}
