import { type CallOptions, fromAnnotations, NotFoundError, type TraceContext } from "@modeltrail/core";
import { findImageForRun, formatReference, parseReference, type RegistryClient } from "@modeltrail/registry";

/** An image to deploy: its reference (by digest), digest and the trace it carries. */
export interface ImageToDeploy {
  /** `registry/repo@sha256:...` (or `registry/repo:tag@sha256:...` as given). */
  ref: string;
  digest: string;
  context: TraceContext;
}

/**
 * Reads an image's trace from its manifest annotations (`org.opencontainers.image.revision`,
 * `modeltrail.dev/...`), with the digest of the manifest it resolved to. Throws NotFoundError when
 * the image does not exist, ValidationError when its annotations hold an invalid trace.
 */
export async function imageByReference(
  client: RegistryClient,
  ref: string,
  call: CallOptions,
): Promise<ImageToDeploy> {
  const parsed = parseReference(ref);
  const resolved = await client.resolveImage(parsed, call);
  const context = fromAnnotations(resolved.manifest.manifest.annotations ?? {});
  const digest = resolved.manifest.digest;
  return { ref: formatReference({ ...parsed, digest }), digest, context };
}

/**
 * The image built for a run (either kind of run id) in a repository. Throws NotFoundError when
 * there is none.
 */
export async function imageByRunId(
  client: RegistryClient,
  repository: string,
  runId: string,
  call: CallOptions,
): Promise<ImageToDeploy> {
  const found = await findImageForRun(client, repository, runId, call);
  if (!found)
    throw new NotFoundError({
      service: "oci-registry",
      status: 404,
      method: "GET",
      url: repository,
      message: `No image in ${repository} was built for run ${runId}`,
      hint: `build it with "modeltrail image build --run-id ${runId}", or check the repository`,
    });
  return { ref: found.ref, digest: found.digest, context: found.context };
}
