/**
 * The parts of a TraceContext that deploying and running a job read: the commit and the CI run.
 * A `TraceContext` from @modeltrail/core satisfies it; plain objects do too.
 */
export interface DeployContext {
  code?:
    | {
        /** The commit, 40 lowercase hex characters. */
        gitSha?: string | undefined;
        repoUrl?: string | undefined;
        branch?: string | undefined;
      }
    | undefined;
  ci?:
    | {
        /** `github-actions`, `azure-pipelines`, `gitlab-ci`... */
        provider?: string | undefined;
        runId?: string | number | undefined;
        runAttempt?: string | number | undefined;
        runUrl?: string | undefined;
      }
    | undefined;
}
