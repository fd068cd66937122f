import { resolve } from "node:path";
import {
  type ArtifactFileRecord,
  fromAnnotations,
  type ImageRecord,
  NotFoundError,
  type ProvenanceRecord,
  type TraceContext,
  type TraceLookupOptions,
  type TraceQuery,
  type TraceResolver,
  ValidationError,
} from "@modeltrail/core";
import { throwIfAborted } from "@modeltrail/core/internal";
import type { VerificationKey } from "./dsse.js";
import { IMAGE_ANNOTATIONS } from "./image-builder.js";
import { type Descriptor, type ImageManifest, parseImageConfig } from "./manifest-schemas.js";
import { MediaType } from "./media-types.js";
import { OciLayout, REF_NAME_ANNOTATION } from "./oci-layout.js";
import { referrersFallbackTag } from "./referrers.js";
import { attestationRecord, compact, hashLayer, imageContents } from "./trace-resolver.js";

/** Options of {@link layoutTraceResolver}. */
export interface LayoutTraceResolverOptions {
  /** The key provenance signatures are verified with; without it, `verified` is left unset. */
  publicKey?: VerificationKey | undefined;
  /** Where the model is in the image (default `/opt/model`, as `buildModelImage` puts it). */
  modelPath?: string | undefined;
  /** The most bytes of model layer read by `getImageModelFiles` (default 64 GiB). */
  maxLayerBytes?: number | undefined;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Tags that are not images: cosign's attestation/signature tags and the referrers fallback. */
const NOT_AN_IMAGE_TAG = /^sha(256|512)-[0-9a-f]+(\..*)?$/;

interface LayoutImage {
  layout: OciLayout;
  desc: Descriptor;
  tags: string[];
}

/**
 * The registry part of `trace()` and `verify()` for images kept in OCI image layout directories
 * (what `skopeo copy ... oci:DIR:TAG` and modeltrail's `buildModelImage` into a layout write) instead
 * of a registry: the same {@link ImageRecord}s as `registryTraceResolver` (manifest annotations,
 * config env the conventions name, labels, layers with their roles), provenance attestations stored
 * under cosign's tag `sha256-<hex>.att` (verified when a public key is given), images by digest, run
 * id (the tag, else the annotations) or commit, and the files of the model layer with their sha256
 * digests (streamed from the blob, digest-checked). Its system is `oci-layout`; an image's `ref` is
 * `oci:<dir>@sha256:...`. It reads only the directories it is given: `getImage` answers
 * `oci:<dir>:<tag>`, `oci:<dir>@<digest>`, bare digests, and any reference pinned by digest
 * (`repo:tag@sha256:...`, as a Deployment names it) whose manifest one of them holds.
 * Throws ValidationError for no directory or a bad option; a directory that is not a layout makes
 * its look-ups fail (reported by the walk as unreachable).
 */
export function layoutTraceResolver(
  dirs: string | readonly string[],
  options: LayoutTraceResolverOptions = {},
): TraceResolver {
  const list = (typeof dirs === "string" ? [dirs] : [...dirs]).filter((d) => d.trim() !== "");
  if (list.length === 0)
    throw new ValidationError("layoutTraceResolver needs at least one OCI layout directory", {
      issues: [{ path: "dirs", message: "is empty" }],
    });
  const maxLayerBytes = options.maxLayerBytes ?? 64 * 1024 ** 3;
  if (!Number.isSafeInteger(maxLayerBytes) || maxLayerBytes < 1)
    throw new ValidationError("Invalid layoutTraceResolver options", {
      issues: [{ path: "maxLayerBytes", message: "must be a positive whole number" }],
    });
  const modelRoot = (options.modelPath ?? "/opt/model").replace(/^\/+|\/+$/g, "");
  const layouts = list.map((d) => ({ dir: d, abs: resolve(d) }));
  const opened = new Map<string, Promise<OciLayout>>();
  const open = (dir: string): Promise<OciLayout> => {
    let p = opened.get(dir);
    if (!p) {
      p = OciLayout.open(dir);
      opened.set(dir, p);
      p.catch(() => opened.delete(dir));
    }
    return p;
  };

  /** Every image manifest of a layout with the tags that name it (attestation tags left out). */
  async function images(dir: string): Promise<LayoutImage[]> {
    const layout = await open(dir);
    const byDigest = new Map<string, LayoutImage>();
    for (const desc of (await layout.index()).manifests) {
      if (desc.mediaType !== MediaType.OciManifest && desc.mediaType !== MediaType.DockerManifest) continue;
      const tag = desc.annotations?.[REF_NAME_ANNOTATION];
      if (tag !== undefined && NOT_AN_IMAGE_TAG.test(tag)) continue;
      const seen = byDigest.get(desc.digest) ?? { layout, desc, tags: [] };
      if (tag !== undefined) seen.tags.push(tag);
      byDigest.set(desc.digest, seen);
    }
    return [...byDigest.values()];
  }

  async function manifestOf(layout: OciLayout, desc: Descriptor): Promise<ImageManifest> {
    const m = await layout.manifest(desc);
    if (m.kind !== "image")
      throw new ValidationError(`${desc.digest} in ${layout.dir} is an index, not an image manifest`);
    return m.manifest;
  }

  async function read(img: LayoutImage, o: TraceLookupOptions): Promise<ImageRecord> {
    throwIfAborted(o.signal, "reading an image of an OCI layout");
    const { layout, desc } = img;
    const manifest = await manifestOf(layout, desc);
    const config = parseImageConfig(
      await layout.readBlob(manifest.config),
      `config of ${desc.digest} in ${layout.dir}`,
    );
    return compact({
      ref: `oci:${layout.dir}@${desc.digest}`,
      digest: desc.digest,
      repository: `oci:${layout.dir}`,
      tags: img.tags.length > 0 ? [...img.tags].sort() : undefined,
      mediaType: desc.mediaType,
      ...imageContents(manifest, config, o.conventions),
      provenance: await provenanceOf(layout, desc.digest),
    });
  }

  /** The attestation stored under `sha256-<hex>.att`, when its subject is this image. */
  async function provenanceOf(layout: OciLayout, digest: string): Promise<ProvenanceRecord[]> {
    let attDesc: Descriptor;
    try {
      attDesc = await layout.resolve({ tag: `${referrersFallbackTag(digest)}.att` });
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
    const att = await manifestOf(layout, attDesc);
    if (att.subject?.digest !== digest) return [];
    const out: ProvenanceRecord[] = [];
    for (const layer of att.layers) {
      if (layer.mediaType !== MediaType.DsseEnvelope) continue;
      const bytes = await layout.readBlob(layer, 4 * 1024 * 1024);
      out.push(attestationRecord(bytes, attDesc.digest, digest, options.publicKey));
    }
    return out;
  }

  /** The image a reference names in one of the layouts, or undefined. */
  async function find(ref: string): Promise<LayoutImage | undefined> {
    if (DIGEST.test(ref)) return (await byDigest(ref))[0];
    if (!ref.startsWith("oci:")) {
      // `repo:tag@sha256:...` names content: the layout's manifest of that digest is that image
      const at = ref.lastIndexOf("@");
      const digest = ref.slice(at + 1);
      return at > 0 && DIGEST.test(digest) ? (await byDigest(digest))[0] : undefined;
    }
    const rest = ref.slice("oci:".length);
    const at = rest.lastIndexOf("@");
    let dir = rest;
    let digest: string | undefined;
    let tag: string | undefined;
    if (at > 0 && DIGEST.test(rest.slice(at + 1))) {
      dir = rest.slice(0, at);
      digest = rest.slice(at + 1);
    } else {
      const colon = rest.lastIndexOf(":");
      if (colon > 0 && !rest.slice(colon + 1).includes("/")) {
        dir = rest.slice(0, colon);
        tag = rest.slice(colon + 1);
      }
    }
    const layout = layouts.find((l) => l.dir === dir || l.abs === resolve(dir));
    if (!layout) return undefined;
    const all = await images(layout.dir);
    if (digest) return all.find((i) => i.desc.digest === digest);
    if (tag) return all.find((i) => i.tags.includes(tag));
    return all.length === 1 ? all[0] : undefined;
  }

  async function byDigest(digest: string): Promise<LayoutImage[]> {
    const out: LayoutImage[] = [];
    for (const l of layouts) {
      const hit = (await images(l.dir)).find((i) => i.desc.digest === digest);
      if (hit) out.push(hit);
    }
    return out;
  }

  async function traced(img: LayoutImage, o: TraceLookupOptions): Promise<TraceContext | undefined> {
    const manifest = await manifestOf(img.layout, img.desc);
    try {
      return fromAnnotations(manifest.annotations ?? {}, { conventions: o.conventions });
    } catch {
      return undefined; // annotations that do not parse are no trace
    }
  }

  return {
    system: "oci-layout",
    location: layouts.map((l) => `oci:${l.dir}`).join(", "),

    async getImage(ref, o) {
      const img = await find(ref);
      return img ? read(img, o) : undefined;
    },

    async findImages(query: TraceQuery, o) {
      if (query.imageDigest) return Promise.all((await byDigest(query.imageDigest)).map((i) => read(i, o)));
      const runId = query.jobRunId ?? query.mlflowRunId;
      if (!runId && !query.gitSha) return [];
      const out: ImageRecord[] = [];
      for (const l of layouts) {
        for (const img of await images(l.dir)) {
          throwIfAborted(o.signal, "searching an OCI layout");
          const ctx = await traced(img, o);
          const hit = runId
            ? ctx?.job?.runId === runId || ctx?.model?.mlflowRunId === runId
            : ctx?.code?.gitSha === query.gitSha;
          if (hit) out.push(await read(img, o));
        }
      }
      return out;
    },

    async getImageModelFiles(ref, o): Promise<ArtifactFileRecord[] | undefined> {
      const img = await find(ref);
      if (!img) return undefined;
      const manifest = await manifestOf(img.layout, img.desc);
      const layer = manifest.layers.find((l) => l.annotations?.[IMAGE_ANNOTATIONS.layerRole] === "model");
      if (!layer) return undefined;
      if (layer.size > maxLayerBytes)
        throw new ValidationError(
          `The model layer of ${ref} is ${layer.size} bytes, more than maxLayerBytes`,
          { hint: 'Raise maxLayerBytes, or verify with artifacts: "sizes"' },
        );
      throwIfAborted(o.signal, "hashing a model layer");
      return hashLayer(img.layout.openBlob(layer), layer, modelRoot);
    },
  };
}
