import type { CallOptions } from "../http/call-options.js";
import type { TraceContext } from "../trace/trace-context.js";

/** The container image built for one training run, as a {@link RunImageResolver} finds it. */
export interface RunImage {
  /** A pullable reference, by digest when the digest is known: `registry/repo@sha256:...` or `registry/repo:tag`. */
  ref: string;
  /** The manifest digest (`sha256:<64 hex>`), when known. */
  digest?: string | undefined;
  /** The trace the image carries (from its annotations), when it carries one. */
  context?: TraceContext | undefined;
}

/**
 * Finds the image that was built for a training run. Kubernetes rollback asks it for the image of a
 * run id that no retained revision ran; the registry package provides an implementation, and the
 * caller (CLI, examples, user code) wires it in, so that k8s never imports the registry package.
 * Implementations accept either kind of run id (DESIGN.md, "Which id is which"): a Databricks job run
 * id (decimal) or an MLflow run id (32 hex characters).
 */
export interface RunImageResolver {
  /**
   * Returns the image of the run, or `undefined` when no image was built for it. Throws a
   * ModelTrailError when the look-up itself fails (unreachable registry, bad credentials, ...).
   */
  imageForRun(runId: string, options?: CallOptions): Promise<RunImage | undefined>;
}
