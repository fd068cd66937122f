import { type CallOptions, ConfigError, ValidationError } from "@modeltrail/core";
import { registerSecret } from "@modeltrail/core/internal";
import { z } from "zod";
import { assertSafeArtifactPath, joinArtifactPath, readUriArtifactPath } from "../artifacts/artifact-path.js";
import { checkFlatListing, listedSizeProblem } from "../artifacts/listing-entry.js";
import { registerPresignedSecrets } from "../artifacts/multipart-upload.js";
import type { ArtifactFileInfo } from "../artifacts/types.js";
import type { ArtifactCredential } from "../databricks/artifact-credentials.js";
import type { CredentialMode, DatabricksArtifactResource } from "../databricks/artifact-resources.js";
import { storageCallOptions } from "../databricks/storage-request.js";
import type { StorageTransport } from "../databricks/storage-transport.js";
import { S3Presigner } from "./s3-presign.js";
import type { UcOperation, UnityCatalogRegistry } from "./uc-registry.js";
import type { UcTemporaryCredentials } from "./uc-schemas.js";

/** Where Unity Catalog's storage is reached, for private endpoints and emulators. */
export interface UcStorageOptions {
  /**
   * Base URL of the blob service of an Azure storage account (default
   * `https://<account>.blob.<suffix>`), e.g. `(a) => "http://127.0.0.1:10000/" + a` for Azurite.
   */
  azureBlobEndpoint?: ((account: string, domainSuffix: string) => string) | undefined;
  /** S3 endpoint, path-style (`MLFLOW_S3_ENDPOINT_URL`; default `https://<bucket>.s3.<region>.amazonaws.com`). */
  s3EndpointUrl?: string | undefined;
  /** Region of the bucket (`AWS_REGION`, `AWS_DEFAULT_REGION`; else asked from S3, else us-east-1). */
  s3Region?: string | undefined;
  /** GCS endpoint (`STORAGE_EMULATOR_HOST`; default `https://storage.googleapis.com`). */
  gcsEndpoint?: string | undefined;
}

/** A model version's storage location, parsed. */
export type UcStorageLocation =
  | { cloud: "azure"; container: string; account: string; suffix: string; path: string }
  | { cloud: "s3"; bucket: string; path: string }
  | { cloud: "gcs"; bucket: string; path: string };

/**
 * Parses the storage location Unity Catalog assigns a model version: `abfss://<container>@<account>.<suffix>/<path>`,
 * `s3://<bucket>/<path>` or `gs://<bucket>/<path>`. Throws ValidationError for other schemes
 * (e.g. Cloudflare R2, which modeltrail does not read) and unsafe paths.
 */
export function parseUcStorageLocation(location: string): UcStorageLocation {
  const m = /^([a-z0-9]+):\/\/([^/]+)(?:\/(.*))?$/i.exec(location);
  const path = (raw: string | undefined) => {
    const reading = readUriArtifactPath(raw ?? "");
    if (!reading.ok) {
      throw new ValidationError(
        `Refusing the storage location ${JSON.stringify(location)}: its path ${reading.problem}`,
        {
          issues: [{ path: "storage_location", message: reading.problem }],
        },
      );
    }
    return reading.path;
  };
  if (m) {
    const scheme = (m[1] as string).toLowerCase();
    const host = m[2] as string;
    if (scheme === "abfss" || scheme === "abfs") {
      const a = /^([^@]+)@([^.]+)\.(.+)$/.exec(host);
      if (a)
        return {
          cloud: "azure",
          container: a[1] as string,
          account: a[2] as string,
          suffix: a[3] as string,
          path: path(m[3]),
        };
    }
    if (scheme === "s3" || scheme === "s3a") return { cloud: "s3", bucket: host, path: path(m[3]) };
    if (scheme === "gs") return { cloud: "gcs", bucket: host, path: path(m[3]) };
  }
  throw new ValidationError(`Unsupported Unity Catalog storage location ${JSON.stringify(location)}`, {
    hint: "modeltrail reads and writes abfss:// (Azure), s3:// (AWS) and gs:// (GCP) model storage",
  });
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) =>
    e[0] === "#"
      ? String.fromCodePoint(
          e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
        )
      : (XML_ENTITIES[e] ?? all),
  );
}

const gcsListPage = z.looseObject({
  items: z
    .array(z.looseObject({ name: z.string(), size: z.union([z.string(), z.number()]).optional() }))
    .default([]),
  nextPageToken: z.string().optional(),
});

/** Most listing pages read for one model version. */
const MAX_PAGES = 10_000;

/**
 * The files of a Unity Catalog model version as an artifact resource: listed in its storage
 * location with the cloud's own API (Azure List Blobs, S3 ListObjectsV2, GCS objects.list) and
 * transferred with URLs built from the temporary credentials UC hands out (the user-delegation SAS
 * appended to blob URLs, SigV4-presigned S3 URLs, the OAuth token as a bearer header on GCS URLs),
 * which are fetched again when they are about to expire or the store refused them.
 */
export function ucStorageResource(deps: {
  registry: UnityCatalogRegistry;
  transport: StorageTransport;
  name: string;
  version: string;
  storageLocation: string;
  operation: UcOperation;
  options?: UcStorageOptions | undefined;
  env?: Record<string, string | undefined> | undefined;
  /** Credentials this close to their expiry are renewed (default 60 s). */
  marginMs?: number | undefined;
  now?: (() => number) | undefined;
}): DatabricksArtifactResource & { invalidate(): void } {
  const loc = parseUcStorageLocation(deps.storageLocation);
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const margin = deps.marginMs ?? 60_000;
  const label = `model version ${deps.name}/${deps.version}`;
  let creds:
    | Promise<{ raw: UcTemporaryCredentials; expiresAt: number | undefined; s3?: S3Presigner }>
    | undefined;
  let listing: Promise<ArtifactFileInfo[]> | undefined;

  const s3Endpoint = deps.options?.s3EndpointUrl ?? (env.MLFLOW_S3_ENDPOINT_URL?.trim() || undefined);
  const gcsEndpoint = (
    deps.options?.gcsEndpoint ??
    (env.STORAGE_EMULATOR_HOST?.trim() || "https://storage.googleapis.com")
  ).replace(/\/+$/, "");

  const fetchCreds = async (options: CallOptions) => {
    const raw = await deps.registry.temporaryCredentials(deps.name, deps.version, deps.operation, options);
    const expiresAt = raw.expiration_time === undefined ? undefined : Number(raw.expiration_time);
    registerSecret(raw.azure_user_delegation_sas?.sas_token);
    if (raw.azure_user_delegation_sas)
      registerPresignedSecrets(`https://x/?${raw.azure_user_delegation_sas.sas_token}`, {});
    registerSecret(raw.gcp_oauth_token?.oauth_token);
    const aws = raw.aws_temp_credentials;
    if (loc.cloud === "s3" && aws) {
      const region = await s3Region(loc.bucket);
      return {
        raw,
        expiresAt,
        s3: new S3Presigner(
          {
            accessKeyId: aws.access_key_id,
            secretAccessKey: aws.secret_access_key,
            sessionToken: aws.session_token,
          },
          region,
        ),
      };
    }
    return { raw, expiresAt };
  };
  const current = async (options: CallOptions) => {
    if (creds) {
      const c = await creds.catch(() => undefined);
      if (c && (c.expiresAt === undefined || c.expiresAt - margin > now())) return c;
    }
    creds = fetchCreds(options);
    creds.catch(() => {
      creds = undefined;
    });
    return creds;
  };

  const s3Region = async (bucket: string): Promise<string> => {
    const configured = deps.options?.s3Region ?? (env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim());
    if (configured) return configured;
    if (s3Endpoint) return "us-east-1";
    try {
      const http = await deps.transport.client("https://s3.amazonaws.com");
      const res = await http.request({
        method: "HEAD",
        path: `https://${bucket}.s3.amazonaws.com/`,
        okStatuses: [301, 400, 403, 404],
        retry: { maxRetries: 1 },
      });
      await res.dump();
      return res.headers["x-amz-bucket-region"] ?? "us-east-1";
    } catch {
      return "us-east-1";
    }
  };

  const keyOf = (rel: string) => joinArtifactPath(loc.path, rel);
  const azureContainerUrl = (): string => {
    if (loc.cloud !== "azure") return "";
    const base =
      deps.options?.azureBlobEndpoint?.(loc.account, loc.suffix) ??
      `https://${loc.account}.${loc.suffix.replace(/^dfs\./i, "blob.")}`;
    return `${base.replace(/\/+$/, "")}/${encodeURIComponent(loc.container)}`;
  };
  const objectUrl = (rel: string): string => {
    const key = keyOf(rel).split("/").map(encodeURIComponent).join("/");
    switch (loc.cloud) {
      case "azure":
        return `${azureContainerUrl()}/${key}`;
      case "s3":
        return s3Endpoint
          ? `${s3Endpoint.replace(/\/+$/, "")}/${loc.bucket}/${key}`
          : `https://${loc.bucket}.s3.amazonaws.com/${key}`;
      case "gcs":
        return `${gcsEndpoint}/${loc.bucket}/${key}`;
    }
  };

  /** Every file below the storage location (paths relative to it), read once. */
  const listAll = async (options: CallOptions): Promise<ArtifactFileInfo[]> => {
    const c = await current(options);
    // The listing goes to cloud storage: the caller's options but its headers (meant for the
    // workspace), read per page so that each page gets what is left of the deadline.
    const listCall = (): CallOptions => ({ ...storageCallOptions(options), signal: options.signal });
    const prefix = loc.path === "" ? "" : `${loc.path}/`;
    const out: ArtifactFileInfo[] = [];
    const add = (key: string, size: string | number) => {
      if (!key.startsWith(prefix) || key.endsWith("/")) return;
      const path = assertSafeArtifactPath(key.slice(prefix.length), "storage listing entry");
      const problem = listedSizeProblem(size);
      if (problem !== undefined) {
        throw new ValidationError(
          `Refusing the storage listing of ${label}: ${JSON.stringify(path)} ${problem}`,
          {
            issues: [{ path: JSON.stringify(path), message: problem }],
          },
        );
      }
      out.push({ path, isDir: false, fileSize: Number(size) });
    };
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let next: string | undefined;
      if (loc.cloud === "azure") {
        const sas = c.raw.azure_user_delegation_sas?.sas_token;
        if (!sas) throw noCredential(label, "an Azure SAS");
        const q = new URLSearchParams({
          restype: "container",
          comp: "list",
          prefix,
          ...(token ? { marker: token } : {}),
        });
        const url = `${azureContainerUrl()}?${q}&${sas.replace(/^\?/, "")}`;
        const http = await deps.transport.client(url);
        const text = await (await http.request({ method: "GET", path: url, ...listCall() })).text();
        for (const b of text.matchAll(/<Blob>([\s\S]*?)<\/Blob>/g)) {
          const name = /<Name>([\s\S]*?)<\/Name>/.exec(b[1] as string)?.[1];
          const size = /<Content-Length>(\d+)<\/Content-Length>/.exec(b[1] as string)?.[1];
          if (name !== undefined) add(xmlText(name), size ?? 0);
        }
        next = /<NextMarker>([^<]+)<\/NextMarker>/.exec(text)?.[1];
      } else if (loc.cloud === "s3") {
        if (!c.s3) throw noCredential(label, "AWS temporary credentials");
        const base = new URL(objectUrl("").replace(/\/$/, ""));
        if (!s3Endpoint) base.pathname = "/";
        else base.pathname = `/${loc.bucket}`;
        base.searchParams.set("list-type", "2");
        base.searchParams.set("prefix", prefix);
        if (token) base.searchParams.set("continuation-token", token);
        const url = await c.s3.presign("GET", base, 900);
        const http = await deps.transport.client(url);
        const text = await (await http.request({ method: "GET", path: url, ...listCall() })).text();
        for (const o of text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const key = /<Key>([\s\S]*?)<\/Key>/.exec(o[1] as string)?.[1];
          const size = /<Size>(\d+)<\/Size>/.exec(o[1] as string)?.[1];
          if (key !== undefined) add(xmlText(key), size ?? 0);
        }
        next = /<IsTruncated>true<\/IsTruncated>/.test(text)
          ? xmlText(/<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(text)?.[1] ?? "")
          : undefined;
      } else {
        const token0 = c.raw.gcp_oauth_token?.oauth_token;
        if (!token0) throw noCredential(label, "a GCP OAuth token");
        const q = new URLSearchParams({ prefix, ...(token ? { pageToken: token } : {}) });
        const url = `${gcsEndpoint}/storage/v1/b/${encodeURIComponent(loc.bucket)}/o?${q}`;
        const http = await deps.transport.client(url, { authorization: `Bearer ${token0}` });
        const page = await http.json({ method: "GET", path: url, ...listCall(), schema: gcsListPage });
        for (const i of page.items) add(i.name, i.size ?? 0);
        next = page.nextPageToken;
      }
      token = next || undefined;
      if (!token) {
        checkFlatListing(out, label);
        return out;
      }
    }
    throw new ValidationError(`The storage listing of ${label} did not end after ${MAX_PAGES} pages`);
  };

  return {
    kind: "model-version",
    label,
    writable: deps.operation === "MODEL_VERSION_OPERATION_READ_WRITE",
    invalidate() {
      creds = undefined;
      listing = undefined;
    },
    async listDirectory(dir, options) {
      listing ??= listAll(options);
      listing.catch(() => {
        listing = undefined;
      });
      const all = await listing;
      const prefix = dir === "" ? "" : `${dir}/`;
      const children = new Map<string, ArtifactFileInfo>();
      for (const f of all) {
        if (f.path === dir) return [f];
        if (!f.path.startsWith(prefix)) continue;
        const rest = f.path.slice(prefix.length);
        const slash = rest.indexOf("/");
        const child = `${prefix}${slash === -1 ? rest : rest.slice(0, slash)}`;
        children.set(child, slash === -1 ? f : { path: child, isDir: true, fileSize: undefined });
      }
      return [...children.values()];
    },
    async credentials(mode: CredentialMode, paths, options): Promise<ArtifactCredential[]> {
      const c = await current(options);
      return Promise.all(
        paths.map(async (path): Promise<ArtifactCredential> => {
          const url = objectUrl(path);
          if (loc.cloud === "azure") {
            const sas = c.raw.azure_user_delegation_sas?.sas_token;
            if (!sas) throw noCredential(label, "an Azure SAS");
            return {
              path,
              type: "AZURE_SAS_URI",
              signedUri: `${url}?${sas.replace(/^\?/, "")}`,
              headers: {},
              expiresAt: c.expiresAt,
            };
          }
          if (loc.cloud === "s3") {
            if (!c.s3) throw noCredential(label, "AWS temporary credentials");
            const headers = mode === "write" ? sseHeaders(c.raw) : {};
            const ttl =
              c.expiresAt === undefined ? 3600 : Math.max(60, Math.floor((c.expiresAt - now()) / 1000));
            const signedUri = await c.s3.presign(
              mode === "read" ? "GET" : "PUT",
              new URL(url),
              Math.min(ttl, 3600 * 12),
              headers,
            );
            return { path, type: "AWS_PRESIGNED_URL", signedUri, headers, expiresAt: c.expiresAt };
          }
          const token = c.raw.gcp_oauth_token?.oauth_token;
          if (!token) throw noCredential(label, "a GCP OAuth token");
          return {
            path,
            type: "GCP_SIGNED_URL",
            signedUri: url,
            headers: { authorization: `Bearer ${token}` },
            expiresAt: c.expiresAt,
          };
        }),
      );
    },
  };
}

/** The server-side encryption headers UC asks for on S3 uploads (`encryption_details`). */
function sseHeaders(raw: UcTemporaryCredentials): Record<string, string> {
  const sse = raw.encryption_details?.sse_encryption_details;
  const algorithm = sse?.algorithm;
  if (algorithm === "AWS_SSE_S3" || algorithm === 1) return { "x-amz-server-side-encryption": "AES256" };
  if (algorithm === "AWS_SSE_KMS" || algorithm === 2) {
    return {
      "x-amz-server-side-encryption": "aws:kms",
      ...(sse?.aws_kms_key_arn ? { "x-amz-server-side-encryption-aws-kms-key-id": sse.aws_kms_key_arn } : {}),
    };
  }
  return {};
}

function noCredential(label: string, what: string): ConfigError {
  return new ConfigError(`Unity Catalog handed out no ${what} for ${label}, whose storage needs one`, {
    hint: "The workspace's storage type is not supported by modeltrail, or the metastore is misconfigured",
  });
}
