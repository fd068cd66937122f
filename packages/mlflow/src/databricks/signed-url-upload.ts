import type { CallOptions } from "@modeltrail/core";
import { fileBodyFactory } from "../artifacts/file-body.js";
import { type CredentialHandle, storageCallOptions, withCredential } from "./storage-request.js";
import type { StorageTransport } from "./storage-transport.js";

/** One file to PUT to a presigned (AWS) or signed (GCP) URL. */
export interface SignedUrlUploadJob {
  localPath: string;
  size: number;
  signal: AbortSignal;
  /** The caller\'s per-call options (storage requests get them without `headers`). */
  call?: CallOptions | undefined;
  onBytes: (n: number) => void;
}

/**
 * PUTs a whole local file to a presigned S3 URL or a GCS signed URL with the credential's headers
 * (an empty file as an empty body), streamed from disk and retried by the transport. A refused URL
 * (401/403) is replaced and the PUT repeated. Throws ApiError, NetworkError, TimeoutError, AbortError.
 */
export async function uploadToSignedUrl(
  transport: StorageTransport,
  credential: CredentialHandle,
  job: SignedUrlUploadJob,
): Promise<void> {
  await withCredential(credential, async (cred) => {
    const http = await transport.client(cred.signedUri, cred.headers);
    const res = await http.request({
      ...storageCallOptions(job.call),
      method: "PUT",
      path: cred.signedUri,
      headers: { "content-length": String(job.size) },
      body: job.size === 0 ? "" : fileBodyFactory(job.localPath, job.size, undefined, job.onBytes),
      signal: job.signal,
    });
    await res.dump();
  });
}
