import { randomUUID } from "node:crypto";
import {
  type DetectEnv,
  type DetectionSource,
  detectTraceContext,
  type FieldSources,
  type GitRunner,
  type ReadTextFile,
  type TraceContext,
  type TraceContextInput,
} from "@modeltrail/core";

/** Options of {@link readJobContext} and {@link detectJobContext}; every input is injectable for tests. */
export interface ReadJobContextOptions {
  /** Directory whose git work tree supplies the commit when no parameter does (default `process.cwd()`). */
  cwd?: string;
  /** Fail when git cannot be read and no other source gave the commit (default false: `code.gitSha` may then be absent). */
  requireGit?: boolean;
  /** Explicit values; they win over everything detected. */
  overrides?: TraceContextInput;
  /** Generates local ids (default `local-<uuid>`). */
  newLocalId?: () => string;
  /** Detection sources (default: core's `DEFAULT_DETECTION_SOURCES`). */
  sources?: readonly DetectionSource[];
  /** Runs git (default: core's `runGit`). */
  git?: GitRunner;
  /** Reads files (CI event payloads). */
  readFile?: ReadTextFile;
}

/** What {@link detectJobContext} found. */
export interface JobContextResult {
  /** The task's trace context. */
  context: TraceContext;
  /** Source of each detected field (`databricks`, `git`, a CI provider, ...); generated ids are `local`. */
  sources: FieldSources;
  /** Field paths whose value was generated locally (`job.jobId`, `job.runId`, `job.taskRunId`). */
  generated: string[];
  /** Problems that did not stop detection (e.g. no git repository). */
  warnings: string[];
}

const ID_FIELDS = ["jobId", "runId", "taskRunId"] as const;

/**
 * Like {@link readJobContext}, and also says where each field came from and which ids were generated.
 * Throws like {@link readJobContext}.
 */
export async function detectJobContext(
  argv: readonly string[] = process.argv.slice(2),
  env: DetectEnv = process.env,
  options: ReadJobContextOptions = {},
): Promise<JobContextResult> {
  const detected = await detectTraceContext({
    argv,
    env,
    requireGit: options.requireGit ?? false,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
    ...(options.sources === undefined ? {} : { sources: options.sources }),
    ...(options.git === undefined ? {} : { git: options.git }),
    ...(options.readFile === undefined ? {} : { readFile: options.readFile }),
  });
  let context = detected.context;
  const sources: FieldSources = { ...detected.sources };
  const generated: string[] = [];
  const job = context.job;
  if (job?.platform !== "databricks") {
    const newId = options.newLocalId ?? (() => `local-${randomUUID()}`);
    const patch: Record<string, string> = {};
    for (const field of ID_FIELDS) {
      if (job?.[field] === undefined) {
        patch[field] = newId();
        generated.push(`job.${field}`);
        (sources as Record<string, string>)[`job.${field}`] = "local";
      }
    }
    context = context.with({ job: { platform: "local", ...patch } });
    if (job?.platform === undefined) (sources as Record<string, string>)["job.platform"] = "local";
  }
  return { context, sources, generated, warnings: detected.warnings };
}

/**
 * Reads the trace context of a job task written in TypeScript/JavaScript. The contract with the job
 * definition (what `deployJob` adds to every task, and what `renderJobTemplate` users write):
 *
 *     --job-id={{job.id}} --job-run-id={{job.run_id}} --task-run-id={{task.run_id}}
 *     --task-key={{task.name}} --git-sha=<40-hex sha, or {{job.parameters.git_sha}}>
 *
 * (also `--flag value`, `--flag_name=...`, and `key=value` positional forms; see core's
 * `parseJobArgs`). Other arguments are ignored, so they can sit among the script's own.
 *
 * On Databricks (`DATABRICKS_RUNTIME_VERSION` set) `job.platform` is `databricks` and the ids are the
 * ones passed; missing ones stay absent (never invented). Anywhere else the same script works
 * unchanged: `job.platform` is `local`, and ids that were not passed, or still read `{{job.id}}`
 * because nothing substituted them, are generated as `local-<uuid>`; ids passed by the
 * `LocalJobRunner` (numeric) are kept. The commit comes from `--git-sha`, else from CI, container env
 * (`GIT_SHA`) or the git work tree (core's `detectTraceContext` precedence); without any of them
 * `code.gitSha` is absent unless `requireGit` is set.
 *
 * Throws ValidationError for a malformed id or SHA in the parameters or env; with `requireGit`,
 * ConfigError when git cannot be read.
 */
export async function readJobContext(
  argv: readonly string[] = process.argv.slice(2),
  env: DetectEnv = process.env,
  options: ReadJobContextOptions = {},
): Promise<TraceContext> {
  return (await detectJobContext(argv, env, options)).context;
}
