import {
  type CallOptions,
  type CodecOptions,
  classifyRunId,
  fromAnnotations,
  NotFoundError,
  type RunImage,
  type RunImageResolver,
  type TraceContext,
  ValidationError,
} from "@modeltrail/core";
import type { FetchedManifest } from "./manifests.js";
import {
  formatReference,
  type ImageReference,
  isValidTag,
  parseReference,
  withReference,
} from "./reference.js";
import type { RegistryClient } from "./registry-client.js";

/** One image of a repository that carries a trace. */
export interface TraceableImage {
  /** The image by digest: `registry/repo@sha256:...`. */
  ref: string;
  digest: string;
  /** Its tags in the repository. */
  tags: string[];
  /** `org.opencontainers.image.created`, when set. */
  created?: string | undefined;
  /** The trace read from the manifest annotations. */
  context: TraceContext;
}

/** Options of {@link listTraceableImages}. */
export interface ListTraceableImagesOptions extends CallOptions, CodecOptions {
  /** Manifests fetched at once (default 4). */
  concurrency?: number | undefined;
}

/**
 * Lists the images of a repository that carry a trace (modeltrail annotations), newest first by
 * `org.opencontainers.image.created` then by tag, each with its tags and TraceContext. Tags of the
 * referrers fallback (`sha256-...`) and images without a trace are skipped; an index counts with
 * the annotations of the index itself.
 * @throws NotFoundError when the repository does not exist; transport and ApiErrors.
 */
export async function listTraceableImages(
  client: RegistryClient,
  repository: string | ImageReference,
  options: ListTraceableImagesOptions = {},
): Promise<TraceableImage[]> {
  const { concurrency = 4, conventions, ...call } = options;
  const repo = toRepo(repository);
  const tags = (await client.tags(repo, call)).filter((t) => !/^sha(256|512)-[0-9a-f]+(\..*)?$/.test(t));
  const byDigest = new Map<string, TraceableImage>();
  let next = 0;
  const worker = async () => {
    while (next < tags.length) {
      const tag = tags[next++]!;
      let manifest: FetchedManifest;
      try {
        manifest = await client.getManifest(withReference(repo, { tag }), call);
      } catch (err) {
        if (err instanceof NotFoundError) continue; // deleted meanwhile
        throw err;
      }
      const seen = byDigest.get(manifest.digest);
      if (seen) {
        seen.tags.push(tag);
        continue;
      }
      const annotations = manifest.manifest.annotations ?? {};
      let context: TraceContext;
      try {
        context = fromAnnotations(annotations, { conventions });
      } catch {
        continue; // a trace that does not parse is not one
      }
      if (Object.keys(context.toJSON()).length <= 1) continue; // only schemaVersion: no trace
      byDigest.set(manifest.digest, {
        ref: formatReference(withReference(repo, { digest: manifest.digest })),
        digest: manifest.digest,
        tags: [tag],
        created: annotations["org.opencontainers.image.created"],
        context,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tags.length)) }, worker));
  const list = [...byDigest.values()];
  for (const image of list) image.tags.sort();
  return list.sort(
    (a, b) =>
      (b.created ?? "").localeCompare(a.created ?? "") || (b.tags[0] ?? "").localeCompare(a.tags[0] ?? ""),
  );
}

/**
 * Finds the image built for a run. Either kind of run id works (DESIGN.md, "Which id is which"): the
 * image tagged with the id is taken when its trace names that run; otherwise the repository's
 * traceable images are searched for one whose `job.runId` or `model.mlflowRunId` is the id (an
 * MLflow run id finds the image tagged with its job run id). Returns undefined when there is none.
 * @throws ValidationError for an empty run id; transport and ApiErrors.
 */
export async function findImageForRun(
  client: RegistryClient,
  repository: string | ImageReference,
  runId: string,
  options: ListTraceableImagesOptions = {},
): Promise<TraceableImage | undefined> {
  const id = String(runId ?? "").trim();
  if (id === "")
    throw new ValidationError("findImageForRun needs a run id (a Databricks job run id or an MLflow run id)");
  const repo = toRepo(repository);
  const matches = (ctx: TraceContext) => ctx.job?.runId === id || ctx.model?.mlflowRunId === id;
  if (isValidTag(id)) {
    try {
      const m = await client.getManifest(withReference(repo, { tag: id }), options);
      const ctx = fromAnnotations(m.manifest.annotations ?? {}, { conventions: options.conventions });
      if (matches(ctx)) {
        return {
          ref: formatReference(withReference(repo, { digest: m.digest })),
          digest: m.digest,
          tags: [id],
          created: m.manifest.annotations?.["org.opencontainers.image.created"],
          context: ctx,
        };
      }
    } catch (err) {
      if (!(err instanceof NotFoundError) && !(err instanceof ValidationError)) throw err;
    }
  }
  // Not tagged with this id (or the tag does not carry it): search the traces.
  const kind = classifyRunId(id);
  const images = await listTraceableImages(client, repo, options);
  return images.find((img) =>
    kind === "mlflow-run"
      ? img.context.model?.mlflowRunId === id || img.context.job?.runId === id
      : matches(img.context),
  );
}

/**
 * The registry's implementation of core's RunImageResolver, over {@link findImageForRun}: what
 * Kubernetes rollback asks for the image of a run id, wired in by the caller.
 */
export function registryRunImageResolver(
  client: RegistryClient,
  repository: string | ImageReference,
  options: Omit<ListTraceableImagesOptions, keyof CallOptions> = {},
): RunImageResolver {
  return {
    async imageForRun(runId: string, call?: CallOptions): Promise<RunImage | undefined> {
      const found = await findImageForRun(client, repository, runId, { ...options, ...call });
      return found ? { ref: found.ref, digest: found.digest, context: found.context } : undefined;
    },
  };
}

function toRepo(repository: string | ImageReference): ImageReference {
  const r = typeof repository === "string" ? parseReference(repository, { defaultTag: "none" }) : repository;
  return withReference(r, { tag: null, digest: null });
}
