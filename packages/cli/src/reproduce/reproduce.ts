import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CallOptions,
  createTraceContext,
  type TraceConventions,
  type TraceResolver,
  trace,
  ValidationError,
} from "@modeltrail/core";
import {
  GIT_SHA_PARAMETER,
  type JobSettings,
  type LocalRunEvent,
  renderJobTemplate,
  withTaskTraceParameters,
} from "@modeltrail/databricks";
import { withCommitCheckout } from "./commit-checkout.js";
import { compareRuns, DEFAULT_METRIC_TOLERANCE, summarizeComparison } from "./compare-runs.js";
import { type RecordedRun, recordedRun, trainingRuns } from "./recorded-run.js";
import {
  type MetricTolerance,
  REPRODUCE_REPORT_SCHEMA_VERSION,
  type ReproduceReport,
  type UsedParameter,
} from "./reproduce-report.js";
import { type ReproduceRunner, type ReproductionRun, runReproduction } from "./reproduce-runner.js";
import { type ArtifactDigest, type ArtifactReader, runArtifactDigests } from "./run-artifact-digests.js";

/** A step of `reproduce()`, for progress output. */
export type ReproduceProgress = { type: "step"; message: string } | { type: "run"; event: LocalRunEvent };

/** What `reproduce()` reads and runs with, and how it compares. */
export interface ReproduceOptions extends CallOptions {
  /**
   * The resolvers `trace()` reads the original run (and then the reproduction) with. An MLflow
   * resolver is needed (the runs' params, metrics, data sets); a Databricks one adds the job run's
   * recorded parameters.
   */
  resolvers: readonly TraceResolver[];
  /** The MLflow client the model artifacts of both runs are downloaded with (to hash them). */
  mlflow: ArtifactReader;
  /** Where the job runs (see {@link ReproduceRunner}). */
  runner: ReproduceRunner;
  /** A directory inside the git repository the model was trained from (default the current directory). */
  repoDir?: string | undefined;
  /** The job template, relative to the repository root, as it was at the recorded commit. */
  template: string;
  /** Template variables (as the CI step passed them: `env`, `repo_url`, ...). */
  vars?: Record<string, unknown> | undefined;
  /**
   * Job parameters to set instead of the recorded ones (a what-if: the report then names them as
   * differences). Only parameters the job defines.
   */
  parameters?: Record<string, string> | undefined;
  /** Metric tolerance: a metric counts as the same when `|a-b| <= max(absolute, relative*max(|a|,|b|))`. Default 1e-9 / 1e-6. */
  tolerance?: Partial<MetricTolerance> | undefined;
  /** Per-metric tolerances, overriding `tolerance`. */
  metricTolerances?: Record<string, Partial<MetricTolerance>> | undefined;
  /** The artifact directory of the model in both MLflow runs (default `model`). */
  artifactPath?: string | undefined;
  /** Tag, env and parameter names (default `DEFAULT_CONVENTIONS`). */
  conventions?: TraceConventions | undefined;
  /** Where temporary checkouts and downloads go (default the OS's temporary directory). */
  tempDir?: string | undefined;
  /** Receives progress: steps, and the local run's state changes. Errors it throws are ignored. */
  onProgress?: ((progress: ReproduceProgress) => void) | undefined;
}

const tol = (t: Partial<MetricTolerance> | undefined, base: MetricTolerance): MetricTolerance => {
  const out = { absolute: t?.absolute ?? base.absolute, relative: t?.relative ?? base.relative };
  for (const [k, v] of Object.entries(out))
    if (!Number.isFinite(v) || v < 0)
      throw new ValidationError("Invalid metric tolerance", {
        issues: [{ path: `tolerance.${k}`, message: "must be a finite number >= 0" }],
      });
  return out;
};

/**
 * Reproduces a training run: traces it (a Databricks job run id or an MLflow run id), checks the
 * recorded commit out of the repository into a temporary read-only git worktree (always removed),
 * re-renders the job template as it was at that commit with that commit injected, runs it with the
 * recorded job parameters (job run parameters, else the MLflow params of the same name, else the
 * template defaults; `parameters` override them) locally or on Databricks, traces the new run by its
 * job run id, and compares the two: commit, parameters, metrics (within the tolerance), data set
 * digests and the sha256 of every model artifact file (an MLmodel file without MLflow's per-run
 * fields).
 *
 * Resolves with a {@link ReproduceReport} (also when the reproduction run fails: `status: failed`).
 * Throws ReproduceRefusedError (a ConfigError) when the run is not found or is ambiguous, records no
 * commit, the commit is not in the repository or the template is missing at it; ValidationError for
 * a template that does not render, bad options, or an override of a parameter the job does not
 * define; the clients' errors (ApiError, NetworkError, TimeoutError, AbortError).
 */
export async function reproduce(runId: string, options: ReproduceOptions): Promise<ReproduceReport> {
  const tolerance = tol(options.tolerance, DEFAULT_METRIC_TOLERANCE);
  const metricTolerances = Object.fromEntries(
    Object.entries(options.metricTolerances ?? {}).map(([k, v]) => [k, tol(v, tolerance)]),
  );
  const artifactPath = options.artifactPath ?? "model";
  if (typeof options.template !== "string" || options.template.trim() === "")
    throw new ValidationError("reproduce() needs the job template's path", {
      issues: [{ path: "template", message: "must be a path relative to the repository root" }],
      hint: "pass the template the CI step renders, e.g. examples/pipeline/job.template.yaml",
    });
  const template = options.template.replace(/^\.\//, "");
  const progress = (p: ReproduceProgress) => {
    try {
      options.onProgress?.(p);
    } catch {
      // progress output must not break the reproduction
    }
  };
  const {
    resolvers,
    mlflow: _mlflow,
    runner,
    repoDir,
    template: _template,
    vars,
    parameters,
    tolerance: _tolerance,
    metricTolerances: _metricTolerances,
    artifactPath: _artifactPath,
    conventions,
    tempDir,
    onProgress: _onProgress,
    ...call
  } = options;
  const traceOptions = { ...call, resolvers, ...(conventions ? { conventions } : {}) };

  progress({ type: "step", message: `tracing run ${runId}` });
  const originalReport = await trace({ kind: "run", runId }, traceOptions);
  const original = recordedRun(runId, originalReport);
  const commit = original.gitSha as string;

  return withCommitCheckout(
    repoDir ?? process.cwd(),
    commit,
    async (checkout) => {
      progress({ type: "step", message: `checked out ${commit.slice(0, 12)} into ${checkout.dir}` });
      const text = await readFile(join(checkout.dir, template), "utf8");
      const repoUrl = original.lineage.code.repoUrl?.value;
      const ctx = createTraceContext({
        code: { gitSha: commit, ...(typeof repoUrl === "string" ? { repoUrl } : {}) },
      });
      const rendered = renderJobTemplate(text, { ctx, vars: { ...(vars ?? {}) }, name: template });
      const { settings, used } = withRecordedParameters(rendered.settings, original, commit, parameters);
      progress({
        type: "step",
        message: `running ${String(settings.name ?? "the job")} ${runner.kind === "local" ? "here" : "on Databricks"} with ${Object.entries(
          used,
        )
          .map(([k, v]) => `${k}=${v.value}`)
          .join(" ")}`,
      });
      const run = await runReproduction(runner, settings, {
        ...call,
        checkoutDir: checkout.dir,
        commit,
        jobParameters: Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v.value])),
        runName: `reproduce ${runId}`,
        onEvent: (event) => progress({ type: "run", event }),
      });
      const base = {
        schemaVersion: REPRODUCE_REPORT_SCHEMA_VERSION,
        createdAt: new Date().toISOString(),
        original: {
          runId,
          mlflowRunId: original.mlflowRunId,
          ...(original.jobRunId ? { jobRunId: original.jobRunId } : {}),
          gitSha: commit,
          ...(original.experimentId ? { experimentId: original.experimentId } : {}),
        },
        template: { path: template, commit },
        parameters: used,
        tolerance,
        ...(Object.keys(metricTolerances).length > 0 ? { metricTolerances } : {}),
      };
      const reproduction = (mlflowRunId?: string): ReproduceReport["reproduction"] => ({
        platform: run.platform,
        ...(run.jobId ? { jobId: run.jobId } : {}),
        jobRunId: run.jobRunId,
        ...(run.runPageUrl ? { runPageUrl: run.runPageUrl } : {}),
        ...(mlflowRunId ? { mlflowRunId } : {}),
        outcome: run.outcome,
        ...(run.message ? { message: run.message } : {}),
      });
      if (run.outcome !== "success") return failed(base, reproduction(), run, run.message ?? run.outcome);

      progress({ type: "step", message: `tracing the reproduction (job run ${run.jobRunId})` });
      const newReport = await trace(
        { kind: "run", runId: run.jobRunId },
        { ...traceOptions, resolvers: [...resolvers, ...(run.resolver ? [run.resolver] : [])] },
      );
      const candidates = trainingRuns(newReport);
      const reproduced = candidates.find((r) => r.experimentId === original.experimentId) ?? candidates[0];
      if (!reproduced)
        return failed(
          base,
          reproduction(),
          run,
          `The reproduction succeeded but no MLflow run records its job run id ${run.jobRunId} (tag DBR_RUN_ID): the training task must tag its run with the job run id`,
        );

      progress({ type: "step", message: `hashing the model artifacts (${artifactPath}/) of both runs` });
      const artifacts = await bothArtifacts(
        options,
        original.mlflowRunId,
        reproduced.mlflowRunId,
        artifactPath,
        call,
      );
      const comparison = compareRuns({
        original: original.lineage,
        reproduced: reproduced.lineage,
        originalJobParameters: recordedJobParameters(original, used),
        usedJobParameters: used,
        artifacts,
        tolerance,
        metricTolerances,
      });
      const { differences, unknown } = summarizeComparison(comparison);
      return {
        ...base,
        status: differences.length === 0 ? "reproduced" : "differs",
        reproduction: reproduction(reproduced.mlflowRunId),
        comparison,
        differences,
        unknown,
      };
    },
    { requiredFiles: [template], tempDir, signal: call.signal },
  );
}

function failed(
  base: Omit<ReproduceReport, "status" | "reproduction" | "differences" | "unknown">,
  reproduction: ReproduceReport["reproduction"],
  run: ReproductionRun,
  message: string,
): ReproduceReport {
  return {
    ...base,
    status: "failed",
    reproduction,
    differences: [],
    unknown: [],
    failure: {
      message,
      failedTasks: run.failedTasks.map((t) => ({
        taskKey: t.taskKey,
        state: t.state,
        ...(t.message ? { message: t.message } : {}),
      })),
    },
  };
}

/**
 * The job parameters to run with: for each parameter the job defines, the job run's recorded value,
 * else the MLflow param of the same name, else the template default; `git_sha` is the commit;
 * `overrides` win. Adds the `git_sha` parameter and the trace flags to the settings, as deployJob
 * does. Throws ValidationError for an override of a parameter the job does not define.
 */
function withRecordedParameters(
  rendered: JobSettings,
  original: RecordedRun,
  commit: string,
  overrides: Record<string, string> | undefined,
): { settings: JobSettings; used: Record<string, UsedParameter> } {
  const defined = (rendered.parameters ?? []).filter((p) => p.name !== GIT_SHA_PARAMETER);
  const unknown = Object.keys(overrides ?? {}).filter(
    (k) => k === GIT_SHA_PARAMETER || !defined.some((p) => p.name === k),
  );
  if (unknown.length > 0)
    throw new ValidationError("Unknown job parameters to override", {
      issues: unknown.map((k) => ({
        path: `parameters.${k}`,
        message:
          k === GIT_SHA_PARAMETER
            ? "the commit is the recorded one; reproduce another run to use another commit"
            : `the job defines no parameter "${k}" (defined: ${defined.map((p) => p.name).join(", ") || "none"})`,
      })),
    });
  const used: Record<string, UsedParameter> = {};
  for (const p of defined) {
    const override = overrides?.[p.name];
    const recorded = original.jobParameters[p.name];
    const param = original.params[p.name];
    used[p.name] =
      override !== undefined
        ? { value: override, origin: "override" }
        : recorded !== undefined
          ? { value: recorded, origin: "job run" }
          : param !== undefined
            ? { value: param, origin: "mlflow param" }
            : { value: String(p.default ?? ""), origin: "template default" };
  }
  used[GIT_SHA_PARAMETER] = { value: commit, origin: "commit" };
  const settings = withTaskTraceParameters({
    ...rendered,
    parameters: [...defined, { name: GIT_SHA_PARAMETER, default: commit }],
  } as JobSettings);
  return { settings, used };
}

/** The original's job parameters as recorded (job run, else MLflow params), for the comparison. */
function recordedJobParameters(
  original: RecordedRun,
  used: Record<string, UsedParameter>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(used)) {
    const v =
      name === GIT_SHA_PARAMETER
        ? (original.jobParameters[name] ?? original.gitSha)
        : (original.jobParameters[name] ?? original.params[name]);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

async function bothArtifacts(
  options: ReproduceOptions,
  originalRunId: string,
  reproducedRunId: string,
  artifactPath: string,
  call: CallOptions,
): Promise<{ original: ArtifactDigest[]; reproduced: ArtifactDigest[] } | { unknown: string }> {
  const o = { ...call, tempDir: options.tempDir };
  const original = await runArtifactDigests(options.mlflow, originalRunId, artifactPath, o);
  if (!original)
    return { unknown: `the original run ${originalRunId} has no artifacts under ${artifactPath}/` };
  const reproduced = (await runArtifactDigests(options.mlflow, reproducedRunId, artifactPath, o)) ?? [];
  return { original, reproduced };
}
