import { type TraceContext, ValidationError } from "@modeltrail/core";
import { datasetNameOfImage } from "./dataset-names.js";
import type { RunEventOptions } from "./event-options.js";
import {
  checkOptions,
  ciNamespace,
  errorFacet,
  imageDataset,
  jobFacets,
  modelDataset,
  parentFacet,
  processingEngineFacet,
  runEvent,
  traceFacet,
  withFacets,
} from "./event-parts.js";
import type { RunEvent } from "./run-event.js";
import { openLineageRunId } from "./run-uuid.js";

/**
 * The OpenLineage RunEvent of an image build (the CI step that packs a model version into an
 * image), from the TraceContext of the build.
 *
 * - job: namespace `ci://<provider>`, name `image-build/<registry>/<repository>`; facets
 *   `sourceCodeLocation` and `jobType` (BATCH, `IMAGE_BUILD`).
 * - run: id a UUID derived from the CI run id and attempt and the image repository; facets
 *   `parent` (the CI run), `modeltrail_trace` and, for FAIL, `errorMessage`.
 * - inputs: the model version the image serves (`mlflow` namespace).
 * - outputs: the image, namespace `oci://<registry>`, name its repository, its digest as the
 *   `version` facet and in `modeltrail_digest`.
 *
 * Throws ValidationError when the context has no image reference or no CI run id, or for invalid
 * options.
 */
export function imageBuildRunEvent(ctx: TraceContext, options: RunEventOptions): RunEvent {
  const producer = checkOptions(options);
  const ref = ctx.image?.ref;
  const ciRun = ctx.ci?.runId;
  if (!ref || !ciRun) {
    const issues = [];
    if (!ref) issues.push({ path: "image.ref", message: "the context names no image" });
    if (!ciRun) issues.push({ path: "ci.runId", message: "the context names no CI run" });
    throw new ValidationError("Cannot build the OpenLineage event of this image build", {
      issues,
      hint: "Build the event from the context the CI step recorded (image.ref and ci.runId set)",
    });
  }
  const image = datasetNameOfImage(ref);
  const registry = image.namespace.replace(/^oci:\/\//, "");
  const jobNamespace = options.jobNamespace ?? ciNamespace(ctx);
  const model = modelDataset(ctx, producer, options.mlflowNamespace ?? "mlflow");
  const output = imageDataset(ctx, producer);
  return runEvent({
    options,
    producer,
    runId: openLineageRunId(
      jobNamespace,
      "image-build",
      ciRun,
      ctx.ci?.runAttempt ?? "1",
      image.namespace,
      image.name,
    ),
    runFacets: withFacets({
      parent: parentFacet(ctx, producer),
      processing_engine: options.processingEngine ? processingEngineFacet(ctx, producer, options) : undefined,
      modeltrail_trace: traceFacet(ctx, "image-build", producer),
      errorMessage:
        options.eventType === "FAIL" ? errorFacet(options.failure, producer, "javascript") : undefined,
    }),
    jobNamespace,
    jobName: options.jobName ?? `image-build/${registry}/${image.name}`,
    jobFacets: jobFacets(ctx, producer, "IMAGE_BUILD"),
    inputs: model ? [model] : [],
    outputs: output ? [output] : [],
  });
}
