import { fromAnnotations, type TraceContext } from "@modeltrail/core";
import { OciLayout, REF_NAME_ANNOTATION } from "@modeltrail/registry";
import { UsageError } from "../cli/usage-error.js";

/** Where images are: a registry repository (`MODELTRAIL_REGISTRY`) or an OCI layout directory. */
export interface ImageLocation {
  repository?: string | undefined;
  layout?: string | undefined;
}

/**
 * The image location from `--repository`/`--layout`, else `MODELTRAIL_REGISTRY` (a repository, or
 * `oci:DIR` for a layout). With `both` (where an image is written: `image build`), `--layout` adds
 * a layout to the repository of `MODELTRAIL_REGISTRY` instead of replacing it. Throws UsageError
 * when none is given.
 */
export function imageLocation(
  opts: { repository?: string | undefined; layout?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  required = true,
  both = false,
): ImageLocation {
  const fromEnv = env.MODELTRAIL_REGISTRY?.trim();
  const envLocation: ImageLocation = !fromEnv
    ? {}
    : fromEnv.startsWith("oci:")
      ? { layout: fromEnv.slice(4) }
      : { repository: fromEnv };
  if (both && (opts.repository || opts.layout))
    return {
      repository: opts.repository ?? envLocation.repository,
      layout: opts.layout ?? (opts.repository ? undefined : envLocation.layout),
    };
  if (opts.repository || opts.layout) return { repository: opts.repository, layout: opts.layout };
  if (fromEnv) return envLocation;
  if (required)
    throw new UsageError("No image repository given", {
      hint: "pass --repository REGISTRY/REPO or --layout DIR, or set MODELTRAIL_REGISTRY (a repository, or oci:DIR)",
    });
  return {};
}

/** One image of an OCI layout that carries a trace. */
export interface LayoutImage {
  ref: string;
  digest: string;
  tags: string[];
  created?: string | undefined;
  context: TraceContext;
}

/**
 * The images of an OCI layout directory that carry a trace (modeltrail annotations), newest first,
 * each with its tags (`org.opencontainers.image.ref.name`) and TraceContext.
 */
export async function listLayoutImages(dir: string): Promise<LayoutImage[]> {
  const layout = await OciLayout.open(dir);
  const index = await layout.index();
  const byDigest = new Map<string, LayoutImage>();
  for (const desc of index.manifests) {
    const tag = desc.annotations?.[REF_NAME_ANNOTATION];
    const seen = byDigest.get(desc.digest);
    if (seen) {
      if (tag) seen.tags.push(tag);
      continue;
    }
    const m = await layout.manifest(desc);
    const annotations = m.manifest.annotations ?? {};
    let context: TraceContext;
    try {
      context = fromAnnotations(annotations);
    } catch {
      continue;
    }
    if (Object.keys(context.toJSON()).length <= 1) continue;
    byDigest.set(desc.digest, {
      ref: `oci:${dir}@${desc.digest}`,
      digest: desc.digest,
      tags: tag ? [tag] : [],
      created: annotations["org.opencontainers.image.created"],
      context,
    });
  }
  const list = [...byDigest.values()];
  for (const i of list) i.tags.sort();
  return list.sort(
    (a, b) =>
      (b.created ?? "").localeCompare(a.created ?? "") || (b.tags[0] ?? "").localeCompare(a.tags[0] ?? ""),
  );
}
