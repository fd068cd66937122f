import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "@modeltrail/test-utils";

/** An object in a fake workspace's cloud store. */
export interface StoredObject {
  key: string;
  size: number;
}

/**
 * The cloud store behind a fake Databricks workspace: a real emulator (Azurite for Azure blob,
 * moto for S3) or an in-memory store served by the fake itself (ADLS Gen2 and GCS, which no
 * emulator here speaks). Hands out signed URLs as the workspace's credential endpoints do.
 */
export interface CloudStore {
  /** The `ArtifactCredentialType` the workspace reports for this store. */
  readonly type: "AZURE_SAS_URI" | "AZURE_ADLS_GEN2_SAS_URI" | "AWS_PRESIGNED_URL" | "GCP_SIGNED_URL";
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): Promise<StoredObject[]>;
  /** A signed URL for reading or writing `key`, valid for `ttlSeconds`. */
  signedUrl(key: string, mode: "read" | "write", ttlSeconds: number): Promise<string>;
  /** An object's bytes (for assertions). */
  read(key: string): Promise<Buffer>;
  /** Writes an object directly (test fixtures). */
  write(key: string, data: Buffer): Promise<void>;
}

/** An Azure blob container on Azurite, with service SAS URLs signed by the account key. */
export async function azuriteStore(
  azuriteUrl: string,
  container: string,
): Promise<CloudStore & { service: BlobServiceClient }> {
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const service = new BlobServiceClient(azuriteUrl, credential);
  const containerClient = service.getContainerClient(container);
  await containerClient.createIfNotExists();
  return {
    type: "AZURE_SAS_URI",
    service,
    async list(prefix) {
      const out: StoredObject[] = [];
      for await (const b of containerClient.listBlobsFlat({ prefix })) {
        out.push({ key: b.name, size: b.properties.contentLength ?? 0 });
      }
      return out;
    },
    async signedUrl(key, mode, ttlSeconds) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: key,
          permissions: BlobSASPermissions.parse(mode === "read" ? "r" : "racw"),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: new Date(Date.now() + ttlSeconds * 1000),
          protocol: SASProtocol.HttpsAndHttp,
        },
        credential,
      ).toString();
      return `${azuriteUrl}/${container}/${key.split("/").map(encodeURIComponent).join("/")}?${sas}`;
    },
    async read(key) {
      return containerClient.getBlobClient(key).downloadToBuffer();
    },
    async write(key, data) {
      await containerClient.getBlockBlobClient(key).uploadData(data);
    },
  };
}

/** An S3 client for moto (any credentials work there). */
export function motoClient(motoUrl: string): S3Client {
  return new S3Client({
    endpoint: motoUrl,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** An S3 bucket on moto, with SigV4 presigned URLs. */
export async function motoStore(
  motoUrl: string,
  bucket: string,
): Promise<
  CloudStore & { s3: S3Client; bucket: string; presign(command: object, ttlSeconds: number): Promise<string> }
> {
  const s3 = motoClient(motoUrl);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!/BucketAlready/.test(String((err as Error).name))) throw err;
  }
  const presign = (command: object, ttlSeconds: number) =>
    getSignedUrl(s3, command as Parameters<typeof getSignedUrl>[1], { expiresIn: ttlSeconds });
  return {
    type: "AWS_PRESIGNED_URL",
    s3,
    bucket,
    presign,
    async list(prefix) {
      const out: StoredObject[] = [];
      let token: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const res = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of res.Contents ?? []) out.push({ key: o.Key ?? "", size: o.Size ?? 0 });
        token = res.NextContinuationToken;
        if (!res.IsTruncated || !token) break;
      }
      return out;
    },
    signedUrl(key, mode, ttlSeconds) {
      return presign(
        mode === "read"
          ? new GetObjectCommand({ Bucket: bucket, Key: key })
          : new PutObjectCommand({ Bucket: bucket, Key: key }),
        ttlSeconds,
      );
    },
    async read(key) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(
        await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    },
    async write(key, data) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
    },
  };
}

/** S3 multipart operations of the fake workspace's `create-multipart-upload` endpoints, on moto. */
export const s3Multipart = {
  create: CreateMultipartUploadCommand,
  uploadPart: UploadPartCommand,
  complete: CompleteMultipartUploadCommand,
  abort: AbortMultipartUploadCommand,
};
