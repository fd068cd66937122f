import { ConfigError } from "@modeltrail/core";

/** Why `reproduce()` refused to start. */
export type ReproduceRefusal =
  /** The trace found no training run for the run id. */
  | "run-not-found"
  /** The run id matched several MLflow runs (a job run that logged more than one). */
  | "ambiguous-run"
  /** The run records no git commit (no `GIT_SHA` tag, no `git_sha` job parameter). */
  | "no-commit"
  /** The recorded commit is not in the local repository. */
  | "commit-not-in-repository"
  /** The job template does not exist at the recorded commit. */
  | "template-missing"
  /** The directory given as the repository is not a git repository. */
  | "not-a-repository";

/**
 * `reproduce()` could not start: what is needed to re-run the training (the run, its commit, the
 * commit in the repository, the job template at that commit) is missing. `reason` says which; the
 * message names the value and the hint says what to do. A ConfigError (code `CONFIG_ERROR`).
 */
export class ReproduceRefusedError extends ConfigError {
  /** Which precondition failed. */
  readonly reason: ReproduceRefusal;

  constructor(message: string, options: { reason: ReproduceRefusal; hint: string; cause?: unknown }) {
    const { reason, ...rest } = options ?? {};
    super(message, rest);
    this.reason = reason;
  }
}
