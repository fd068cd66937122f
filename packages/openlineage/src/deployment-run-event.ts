import { type TraceContext, ValidationError } from "@modeltrail/core";
import type { RunEventOptions } from "./event-options.js";
import {
  checkOptions,
  errorFacet,
  imageDataset,
  jobFacets,
  parentFacet,
  processingEngineFacet,
  runEvent,
  traceFacet,
  withFacets,
} from "./event-parts.js";
import type { RunEvent } from "./run-event.js";
import { openLineageRunId } from "./run-uuid.js";

/**
 * The OpenLineage RunEvent of a deployment (a rollout of an image to a serving platform), from
 * the TraceContext of the deployment.
 *
 * - job: namespace `<platform>://<cluster>` (`k8s://default` when neither is named), name
 *   `<namespace>/<deployment name>`; facets `sourceCodeLocation` and `jobType` (BATCH, `DEPLOYMENT`).
 * - run: id a UUID derived from the job and the deployment revision (else the image digest or
 *   reference), so each rollout is a run; facets `parent` (the CI run), `modeltrail_trace` and,
 *   for FAIL, `errorMessage`.
 * - inputs: the image deployed, with its digest; no outputs.
 *
 * Throws ValidationError when the context names no deployment name or no image, or for invalid
 * options.
 */
export function deploymentRunEvent(ctx: TraceContext, options: RunEventOptions): RunEvent {
  const producer = checkOptions(options);
  const d = ctx.deployment;
  const image = imageDataset(ctx, producer);
  if (!d?.name || !image) {
    const issues = [];
    if (!d?.name) issues.push({ path: "deployment.name", message: "the context names no deployment" });
    if (!image) issues.push({ path: "image.ref", message: "the context names no image" });
    throw new ValidationError("Cannot build the OpenLineage event of this deployment", {
      issues,
      hint: "Build the event from the context of the deploy step (deployment.name and image.ref set)",
    });
  }
  const jobNamespace = options.jobNamespace ?? `${d.platform ?? "k8s"}://${d.cluster ?? "default"}`;
  const jobName = options.jobName ?? `${d.namespace ?? "default"}/${d.name}`;
  const revision = d.revision ?? ctx.image?.digest ?? ctx.image?.ref ?? "";
  return runEvent({
    options,
    producer,
    runId: openLineageRunId(jobNamespace, "deployment", jobName, revision),
    runFacets: withFacets({
      parent: parentFacet(ctx, producer),
      processing_engine: options.processingEngine ? processingEngineFacet(ctx, producer, options) : undefined,
      modeltrail_trace: traceFacet(ctx, "deployment", producer),
      errorMessage:
        options.eventType === "FAIL" ? errorFacet(options.failure, producer, "javascript") : undefined,
    }),
    jobNamespace,
    jobName,
    jobFacets: jobFacets(ctx, producer, "DEPLOYMENT"),
    inputs: [image],
    outputs: [],
  });
}
