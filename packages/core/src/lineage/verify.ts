import { ValidationError } from "../errors/validation-error.js";
import type { TraceHandle } from "./trace-handle.js";
import { type ArtifactCheckMode, runChecks } from "./verify-checks.js";
import type { VerifyCheck, VerifySummary } from "./verify-result.js";
import type { VerifyResult } from "./verify-types.js";
import { type TraceOptions, walk } from "./walk/walk.js";

/** Options of {@link verify}. */
export interface VerifyOptions extends TraceOptions {
  /** Count checks that could not be decided (unknown) as failures. Default false. */
  strict?: boolean | undefined;
  /**
   * How `artifacts.model-layer` compares the image's model layer with the model version: `digests`
   * (default; streams both, nothing written to disk), `sizes` (paths and sizes: streams only the
   * layer) or `skip`.
   */
  artifacts?: ArtifactCheckMode | undefined;
  /** Fail `provenance.signature` when an image has no provenance attestation. Default false. */
  requireProvenance?: boolean | undefined;
}

/**
 * Walks the same graph as `trace()` and checks every link of every lineage: the commit the
 * deployment, image, model version, training run and job run name; the run id the deployment, image
 * and model version name; the deployed digest against the pushed one; the image's model layer
 * against the model version's files; the provenance signature and commit; the training data
 * digests. Each check is pass, fail (with every value and its source) or unknown (with the reason:
 * a system unreachable, a value nobody records). `ok` is false when any check fails (with `strict`,
 * also when any is unknown): a CI gate exits non-zero on it (the CLI with 3).
 *
 * Throws what `trace()` throws (a bad handle or options, an abort); failing systems are reported.
 */
export async function verify(
  handle: TraceHandle | string | Record<string, unknown>,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const artifacts = options.artifacts ?? "digests";
  if (!["digests", "sizes", "skip"].includes(artifacts)) {
    throw new ValidationError("Invalid verify options", {
      issues: [{ path: "artifacts", message: 'must be "digests", "sizes" or "skip"' }],
    });
  }
  const { strict = false, artifacts: _a, requireProvenance = false, ...traceOptions } = options;
  const walked = await walk(handle, traceOptions);
  const checks: VerifyCheck[] = [];
  for (let i = 0; i < walked.chains.length; i++) {
    const chain = walked.chains[i];
    const lineage = walked.lineages[i];
    if (!chain || !lineage) continue;
    checks.push(
      ...(await runChecks({
        chain,
        lineage,
        records: walked.records,
        session: walked.session,
        artifacts,
        requireProvenance,
      })),
    );
  }
  const summary: VerifySummary = { pass: 0, fail: 0, unknown: 0 };
  for (const c of checks) summary[c.status]++;
  const report = { ...walked.report(), checks, summary };
  const ok = summary.fail === 0 && (!strict || summary.unknown === 0) && (checks.length > 0 || !strict);
  return { ok, strict, summary, checks, report };
}
