import { ValidationError } from "@modeltrail/core";
import { z } from "zod";
import { isDigest } from "./digest.js";
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, MediaType } from "./media-types.js";

/** Largest manifest read or written, in bytes (the limit of distribution and most registries). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const digestSchema = z.string().refine(isDigest, 'must be a digest such as "sha256:<64 hex>"');
const annotations = z.record(z.string(), z.string());

/** A platform of the OCI image index. */
export const platformSchema = z.looseObject({
  architecture: z.string().min(1),
  os: z.string().min(1),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

/** An OCI content descriptor. */
export const descriptorSchema = z.looseObject({
  mediaType: z.string().min(1),
  digest: digestSchema,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  urls: z.array(z.string()).optional(),
  annotations: annotations.optional(),
  data: z.string().optional(),
  platform: platformSchema.optional(),
  artifactType: z.string().optional(),
});

/** An image manifest: OCI (`mediaType` optional) or Docker schema 2. */
export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});

/** An index: OCI image index or Docker manifest list. */
export const imageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});

/** The `config` section of an image config (the runtime settings). */
export const containerConfigSchema = z.looseObject({
  User: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.object({})).optional(),
  Env: z.array(z.string()).optional(),
  Entrypoint: z.array(z.string()).nullable().optional(),
  Cmd: z.array(z.string()).nullable().optional(),
  Volumes: z.record(z.string(), z.object({})).nullable().optional(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
  StopSignal: z.string().optional(),
});

/** One history entry of an image config. */
export const historySchema = z.looseObject({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

/** An image config (OCI or Docker). Unknown fields are kept. */
export const imageConfigSchema = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  "os.version": z.string().optional(),
  config: containerConfigSchema.optional(),
  rootfs: z.looseObject({ type: z.literal("layers"), diff_ids: z.array(digestSchema) }),
  history: z.array(historySchema).optional(),
});

/** An OCI content descriptor. */
export type Descriptor = z.infer<typeof descriptorSchema>;
/** A platform (`os`, `architecture`, `variant`, ...). */
export type Platform = z.infer<typeof platformSchema>;
/** An image manifest (OCI or Docker schema 2). */
export type ImageManifest = z.infer<typeof imageManifestSchema>;
/** An image index (OCI) or manifest list (Docker). */
export type ImageIndex = z.infer<typeof imageIndexSchema>;
/** An image config. */
export type ImageConfig = z.infer<typeof imageConfigSchema>;
/** The runtime settings inside an image config. */
export type ContainerConfig = z.infer<typeof containerConfigSchema>;

/** A parsed manifest with the exact bytes it came from (the digest is over these bytes). */
export type ParsedManifest =
  | { kind: "image"; mediaType: string; manifest: ImageManifest }
  | { kind: "index"; mediaType: string; manifest: ImageIndex };

/**
 * Parses manifest bytes. The media type is the one the server declared, else the manifest's own
 * `mediaType` field, else inferred (`manifests` -> OCI index, `config` -> OCI manifest).
 * @throws ValidationError naming `what` when the bytes are not JSON, the media type is not a
 *   manifest type, or the manifest does not match its schema.
 */
export function parseManifest(
  bytes: Uint8Array,
  declaredMediaType: string | undefined,
  what: string,
): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ValidationError(
      `${what} is ${bytes.length} bytes, larger than the ${MAX_MANIFEST_BYTES}-byte manifest limit`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new ValidationError(`${what} is not valid JSON`, {
      hint: "The registry or layout holds a corrupt manifest",
    });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ValidationError(`${what} is not a JSON object`);
  }
  const own = (json as { mediaType?: unknown }).mediaType;
  const declared = declaredMediaType?.split(";")[0]?.trim();
  const usable = (t: string | undefined) =>
    t && (IMAGE_MANIFEST_TYPES.has(t) || INDEX_TYPES.has(t)) ? t : undefined;
  let mediaType = usable(declared) ?? (typeof own === "string" ? usable(own) : undefined);
  if (!mediaType) {
    if (typeof own === "string" && own !== "") {
      throw new ValidationError(`${what} has the unsupported media type "${own}"`, {
        hint: `Supported: ${[...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES].join(", ")}`,
      });
    }
    mediaType = "manifests" in json ? MediaType.OciIndex : MediaType.OciManifest;
  }
  if (typeof own === "string" && own !== "" && own !== mediaType) {
    throw new ValidationError(`${what} declares media type "${own}" but was served as "${mediaType}"`, {
      hint: "A manifest's mediaType field must match its Content-Type",
    });
  }
  if (INDEX_TYPES.has(mediaType)) {
    const r = imageIndexSchema.safeParse(json);
    if (!r.success) throw ValidationError.fromZod(what, r.error);
    return { kind: "index", mediaType, manifest: r.data };
  }
  const r = imageManifestSchema.safeParse(json);
  if (!r.success) throw ValidationError.fromZod(what, r.error);
  return { kind: "image", mediaType, manifest: r.data };
}

/**
 * Parses an image config blob.
 * @throws ValidationError naming `what` when it is not JSON or not an image config.
 */
export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new ValidationError(`${what} is not valid JSON`);
  }
  const r = imageConfigSchema.safeParse(json);
  if (!r.success) throw ValidationError.fromZod(what, r.error);
  return r.data;
}
