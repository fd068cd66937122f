import { ValidationError } from "@modeltrail/core";
import { registerSecret } from "@modeltrail/core/internal";
import { z } from "zod";
import { registerPresignedSecrets } from "../artifacts/multipart-upload.js";

/**
 * How a signed URI is used, as MLflow's `ArtifactCredentialType`: Azure blob SAS (Put Block / Put
 * Block List), ADLS Gen2 SAS (create, append, flush), AWS presigned URL, GCP signed URL, or a
 * signed URL of unknown kind (the workspace registry's `get-signed-download-uri`), read with a
 * plain GET.
 */
export type ArtifactCredentialType =
  | "AZURE_SAS_URI"
  | "AZURE_ADLS_GEN2_SAS_URI"
  | "AWS_PRESIGNED_URL"
  | "GCP_SIGNED_URL"
  | "SIGNED_URL";

/** The credential types of `databricks_artifacts.proto`, by enum number. */
const TYPE_BY_NUMBER: Record<number, ArtifactCredentialType> = {
  1: "AZURE_SAS_URI",
  2: "AWS_PRESIGNED_URL",
  3: "GCP_SIGNED_URL",
  4: "AZURE_ADLS_GEN2_SAS_URI",
};

/** A signed URI of the cloud store for one artifact file, with the headers to send along. */
export interface ArtifactCredential {
  /** Artifact path the credential is for (relative to the resource's artifact root). */
  path: string;
  type: ArtifactCredentialType;
  /** The signed URI: a secret (registered for redaction as soon as it is parsed). */
  signedUri: string;
  /** Headers to send with every request on the signed URI (some are secrets too). */
  headers: Record<string, string>;
  /** When the signature expires (ms since the epoch), when the URI says (`se`, `X-Amz-Expires`, `X-Goog-Expires`). */
  expiresAt: number | undefined;
}

const headerList = z.array(z.looseObject({ name: z.string(), value: z.string().default("") })).default([]);

const credentialType = z.union([z.string(), z.number()]).optional();

/** `ArtifactCredentialInfo` of databricks_artifacts.proto. */
export const artifactCredentialInfoSchema = z.looseObject({
  run_id: z.string().optional(),
  path: z.string().optional(),
  signed_uri: z.string(),
  headers: headerList,
  type: credentialType,
});

/** The wire form of one credential. */
export type ArtifactCredentialInfo = z.infer<typeof artifactCredentialInfoSchema>;

/**
 * Turns a credential of the workspace into an ArtifactCredential: registers the signature, the
 * secret query parameters and secret headers for redaction, maps the type, parses the expiry.
 * Throws ValidationError for an unknown credential type or a signed URI that is not http(s).
 */
export function toArtifactCredential(
  info: ArtifactCredentialInfo,
  path: string,
  fallbackType: ArtifactCredentialType | undefined = undefined,
): ArtifactCredential {
  const headers: Record<string, string> = {};
  for (const h of info.headers) headers[h.name] = h.value;
  registerSecret(
    info.signed_uri.includes("?") ? info.signed_uri.slice(info.signed_uri.indexOf("?") + 1) : undefined,
  );
  registerPresignedSecrets(info.signed_uri, headers);
  // headers of the workspace can carry keys (x-ms-encryption-key, x-amz-server-side-encryption-customer-key)
  for (const [name, value] of Object.entries(headers))
    if (/key|token|auth|sig/i.test(name)) registerSecret(value);
  let url: URL;
  try {
    url = new URL(info.signed_uri);
  } catch {
    throw new ValidationError(`The workspace returned a signed URI for "${path}" that is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ValidationError(`The workspace returned a signed URI for "${path}" that is not http(s)`);
  }
  const type = credentialTypeOf(info.type) ?? fallbackType;
  if (type === undefined) {
    throw new ValidationError(
      `The workspace returned a credential of unsupported type ${JSON.stringify(info.type)} for "${path}"`,
      {
        hint: "modeltrail reads AZURE_SAS_URI, AZURE_ADLS_GEN2_SAS_URI, AWS_PRESIGNED_URL and GCP_SIGNED_URL credentials",
      },
    );
  }
  return { path, type, signedUri: info.signed_uri, headers, expiresAt: signedUriExpiry(url) };
}

function credentialTypeOf(value: string | number | undefined): ArtifactCredentialType | undefined {
  if (typeof value === "number") return TYPE_BY_NUMBER[value];
  if (value === undefined) return undefined;
  const numeric = /^\d+$/.test(value) ? TYPE_BY_NUMBER[Number(value)] : undefined;
  if (numeric) return numeric;
  return (Object.values(TYPE_BY_NUMBER) as string[]).includes(value)
    ? (value as ArtifactCredentialType)
    : undefined;
}

/**
 * When a signed URL stops working, in ms since the epoch: Azure SAS `se`, AWS SigV4
 * `X-Amz-Date` + `X-Amz-Expires`, GCS V4 `X-Goog-Date` + `X-Goog-Expires`, GCS V2 `Expires`.
 * Undefined when the URL does not say.
 */
export function signedUriExpiry(url: URL): number | undefined {
  const q = url.searchParams;
  const se = q.get("se");
  if (se) {
    const t = Date.parse(se);
    if (!Number.isNaN(t)) return t;
  }
  for (const prefix of ["X-Amz", "X-Goog"]) {
    const date = q.get(`${prefix}-Date`);
    const expires = q.get(`${prefix}-Expires`);
    if (date && expires && /^\d+$/.test(expires)) {
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
      if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + Number(expires) * 1000;
    }
  }
  const v2 = q.get("Expires");
  if (v2 && /^\d+$/.test(v2)) return Number(v2) * 1000;
  return undefined;
}
