import { createHash, createHmac } from "node:crypto";
import { registerSecret } from "@modeltrail/core/internal";

/** AWS temporary credentials (Unity Catalog hands them out per model version). */
export interface AwsTemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** A node:crypto SHA-256 in the shape smithy's signer takes (a constructor, optionally keyed for HMAC). */
class NodeSha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

type Signer = import("@smithy/signature-v4").SignatureV4;
let signerModule: Promise<typeof import("@smithy/signature-v4")> | undefined;

/**
 * Presigns S3 requests (SigV4 query signing) with temporary credentials, through
 * `@smithy/signature-v4` (the signer of the AWS SDK), loaded on first use so that clients that never
 * meet S3 credentials do not load it. The secret key and session token are registered for redaction.
 */
export class S3Presigner {
  private signer: Promise<Signer> | undefined;

  constructor(
    private readonly credentials: AwsTemporaryCredentials,
    readonly region: string,
  ) {
    registerSecret(credentials.secretAccessKey);
    registerSecret(credentials.sessionToken);
  }

  /**
   * A presigned URL for `method` on `url` valid for `expiresInSeconds` (at most 7 days), signing
   * `headers` too (they must then be sent as given).
   */
  async presign(
    method: "GET" | "PUT" | "HEAD" | "DELETE",
    url: URL,
    expiresInSeconds: number,
    headers: Record<string, string> = {},
  ): Promise<string> {
    signerModule ??= import("@smithy/signature-v4");
    this.signer ??= signerModule.then(
      ({ SignatureV4 }) =>
        new SignatureV4({
          credentials: this.credentials,
          region: this.region,
          service: "s3",
          sha256: NodeSha256,
          uriEscapePath: false,
          applyChecksum: false,
        }),
    );
    const signer = await this.signer;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await signer.presign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { host: url.host, ...headers },
      },
      {
        expiresIn: Math.max(1, Math.min(expiresInSeconds, 7 * 24 * 3600)),
        // signed as headers (and sent as such), not moved into the query
        unhoistableHeaders: new Set(Object.keys(headers).map((h) => h.toLowerCase())),
      },
    );
    const out = new URL(url.toString());
    out.search = "";
    for (const [k, v] of Object.entries(signed.query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v])
        if (item !== null && item !== undefined) out.searchParams.append(k, String(item));
    }
    const sig = out.searchParams.get("X-Amz-Signature");
    registerSecret(sig ?? undefined);
    return out.toString();
  }
}
