import { resolve } from "node:path";
import {
  type CallOptions,
  ConfigError,
  fromAnnotations,
  fromEnv,
  type RunImage,
  type RunImageResolver,
  type TraceContext,
  ValidationError,
} from "@modeltrail/core";
import {
  formatReference,
  type ImageSource,
  layoutImageSource,
  OciLayout,
  parseReference,
  REF_NAME_ANNOTATION,
  type RegistryClient,
  registryImageSource,
  withReference,
} from "@modeltrail/registry";
import { envRecord } from "./container-command.js";

/** Where an image is: an OCI layout directory (with a tag or digest), or a registry reference. */
export type LocalImageRef =
  | { kind: "layout"; dir: string; tag?: string | undefined; digest?: string | undefined }
  | { kind: "registry"; ref: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Reads an image reference as the local deploy target takes it: `oci:DIR`, `oci:DIR:TAG` or
 * `oci:DIR@sha256:...` (skopeo's `oci:` transport; DIR made absolute against `cwd`), else a
 * registry reference (`registry/repo:tag`, `...@sha256:...`).
 * @throws ValidationError for an empty reference or a malformed digest.
 */
export function parseLocalImageRef(ref: string, cwd = process.cwd()): LocalImageRef {
  const text = ref.trim();
  if (text === "") throw new ValidationError("The image reference is empty");
  if (!text.startsWith("oci:")) return { kind: "registry", ref: text };
  let rest = text.slice(4);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      throw new ValidationError(`"${digest}" in ${text} is not a sha256 digest`, {
        hint: "Write oci:DIR@sha256:<64 hex>",
      });
  }
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/") && colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (rest === "") throw new ValidationError(`${text} names no layout directory`);
  return { kind: "layout", dir: resolve(cwd, rest), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** An image opened for deploying: its source, the reference it is recorded under, and its trace. */
export interface OpenedImage {
  source: ImageSource;
  /** By digest: `oci:/abs/dir@sha256:...` or `registry/repo@sha256:...`. */
  ref: string;
  digest: string;
  /** The trace of the image: its manifest annotations, else its config's env. */
  context: TraceContext;
}

/**
 * Opens an image for the local deploy target: from its OCI layout, or from its registry with
 * `registry` (a RegistryClient). The trace is read from the manifest annotations (as Kubernetes
 * deploy does), else from the config's env.
 * @throws ConfigError when a registry image is given without a client; the registry package's
 *   errors (NotFoundError, ValidationError) when the image cannot be read.
 */
export async function openLocalImage(
  ref: string,
  options: CallOptions & { registry?: RegistryClient | undefined; cwd?: string | undefined } = {},
): Promise<OpenedImage> {
  const parsed = parseLocalImageRef(ref, options.cwd);
  let source: ImageSource;
  let byDigest: string;
  if (parsed.kind === "layout") {
    source = await layoutImageSource(parsed.dir, { tag: parsed.tag, digest: parsed.digest });
    byDigest = `oci:${parsed.dir}@${source.digest}`;
  } else {
    if (!options.registry)
      throw new ConfigError(`${parsed.ref} is in a registry, and no registry client was given`, {
        hint: "Pass registry (a RegistryClient), or deploy from an OCI layout (oci:DIR:TAG)",
      });
    const { registry, cwd: _cwd, ...call } = options;
    source = await registryImageSource(registry, parsed.ref, call);
    byDigest = formatReference(
      withReference(parseReference(parsed.ref), { tag: null, digest: source.digest }),
    );
  }
  return { source, ref: byDigest, digest: source.digest, context: imageTrace(source) };
}

/** The trace an image carries: its annotations, else its config's env (empty when neither has one). */
export function imageTrace(source: ImageSource): TraceContext {
  const fromManifest = fromAnnotations(source.manifest.annotations ?? {});
  if (Object.keys(fromManifest.toJSON()).length > 1) return fromManifest;
  return fromEnv(envRecord(source.config.config?.Env));
}

/**
 * A RunImageResolver over an OCI layout: the image tagged with the run id when its trace names
 * that run, else the newest image whose trace has it as job run id or MLflow run id. What the local
 * target's rollback asks for a run that no retained revision ran. Refs are `oci:DIR@sha256:...`.
 */
export function layoutRunImageResolver(dir: string): RunImageResolver {
  const abs = resolve(dir);
  return {
    async imageForRun(runId: string): Promise<RunImage | undefined> {
      const id = runId.trim();
      if (id === "") return undefined;
      const layout = await OciLayout.open(abs);
      const index = await layout.index();
      const matches = (ctx: TraceContext) =>
        ctx.job?.runId === id || ctx.model?.mlflowRunId?.toLowerCase() === id.toLowerCase();
      const candidates: Array<{ digest: string; created: string; tagged: boolean; context: TraceContext }> =
        [];
      for (const desc of index.manifests) {
        let context: TraceContext;
        try {
          const m = await layout.manifest(desc);
          if (m.kind !== "image") continue;
          context = fromAnnotations(m.manifest.annotations ?? {});
          if (!matches(context)) continue;
          candidates.push({
            digest: desc.digest,
            created: m.manifest.annotations?.["org.opencontainers.image.created"] ?? "",
            tagged: desc.annotations?.[REF_NAME_ANNOTATION] === id,
            context,
          });
        } catch {
          // an entry that is not a traceable image (an attestation, a broken manifest) is not the run's
        }
      }
      candidates.sort((a, b) => Number(b.tagged) - Number(a.tagged) || b.created.localeCompare(a.created));
      const best = candidates[0];
      return best
        ? { ref: `oci:${abs}@${best.digest}`, digest: best.digest, context: best.context }
        : undefined;
    },
  };
}
