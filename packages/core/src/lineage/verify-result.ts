import { z } from "zod";
import { traceScalarSchema, traceSourceSchema } from "./trace-source.js";

/**
 * The links `verify()` checks, by id:
 * - `commit.deployment-image`: the deployment's `GIT_SHA` env equals the image's
 *   `org.opencontainers.image.revision` annotation;
 * - `commit.image-model-version`: the image's revision equals the model version's `GIT_SHA` tag;
 * - `commit.model-version-run`: the model version's `GIT_SHA` equals the training run's commit
 *   (`mlflow.source.git.commit` / `GIT_SHA` on the MLflow run);
 * - `commit.run-job`: the training run's commit equals the job run's `GIT_SHA` parameter (or its git
 *   source commit);
 * - `run-id.deployment-image`, `run-id.image-model-version`: the same for the run id (`RUN_ID` env,
 *   the image's run id, the model version's `DBR_RUN_ID` or MLflow run);
 * - `image.deployed-digest`: the digest the cluster runs equals the digest the registry holds for the
 *   image (the pushed one);
 * - `artifacts.model-layer`: the image's model layer holds the model version's files (paths, sizes
 *   and, when both sides have them, digests);
 * - `provenance.signature`: the provenance attestation (when present) verifies;
 * - `provenance.commit`: the provenance names the same commit;
 * - `data.digests`: every training data set listed on the run is present with a digest.
 */
export const VERIFY_CHECK_IDS = [
  "commit.deployment-image",
  "commit.image-model-version",
  "commit.model-version-run",
  "commit.run-job",
  "run-id.deployment-image",
  "run-id.image-model-version",
  "image.deployed-digest",
  "artifacts.model-layer",
  "provenance.signature",
  "provenance.commit",
  "data.digests",
] as const;

/** The id of a check (see {@link VERIFY_CHECK_IDS}). */
export type VerifyCheckId = (typeof VERIFY_CHECK_IDS)[number];

/** The outcomes of a check. */
export const VERIFY_STATUSES = ["pass", "fail", "unknown"] as const;

/** The outcome of a check. */
export type VerifyStatus = (typeof VERIFY_STATUSES)[number];

/** A value a check compared, with its source; `null` when the source lacks it. */
export const verifyValueSchema = z.strictObject({
  value: traceScalarSchema.nullable(),
  source: traceSourceSchema,
});

/** A value a check compared, with its source. */
export type VerifyValue = z.output<typeof verifyValueSchema>;

const checkBase = {
  id: z.enum(VERIFY_CHECK_IDS),
  /** One line saying what is checked. */
  title: z.string(),
  /** The lineage (`TraceReport.lineages[].id`) the check belongs to. */
  lineage: z.string(),
  /** The graph nodes the checked link joins, for drawing it. */
  link: z.strictObject({ from: z.string(), to: z.string() }).optional(),
  /** What was found, in one sentence. */
  message: z.string(),
};

/**
 * One check of one link: `pass` with the values that agree, `fail` with every value (both sides at
 * least) and its source, `unknown` with the reason it could not be decided (a system unreachable, a
 * value nobody records, no key to verify a signature with).
 */
export const verifyCheckSchema = z.discriminatedUnion("status", [
  z.strictObject({ ...checkBase, status: z.literal("pass"), values: z.array(verifyValueSchema) }),
  z.strictObject({ ...checkBase, status: z.literal("fail"), values: z.array(verifyValueSchema).min(1) }),
  z.strictObject({
    ...checkBase,
    status: z.literal("unknown"),
    reason: z.string(),
    values: z.array(verifyValueSchema),
  }),
]);

/** One check of one link (see {@link verifyCheckSchema}). */
export type VerifyCheck = z.output<typeof verifyCheckSchema>;

/** Counts of checks by outcome. */
export const verifySummarySchema = z.strictObject({
  pass: z.number().int().nonnegative(),
  fail: z.number().int().nonnegative(),
  unknown: z.number().int().nonnegative(),
});

/** Counts of checks by outcome. */
export type VerifySummary = z.output<typeof verifySummarySchema>;
