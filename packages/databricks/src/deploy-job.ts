import { createHash } from "node:crypto";
import { type CallOptions, ConfigError, ValidationError } from "@modeltrail/core";
import { startCall } from "@modeltrail/core/internal";
import { assertDatabricksId } from "./argument-checks.js";
import type { DatabricksClient } from "./client.js";
import type { DeployContext } from "./deploy-context.js";
import type { Job } from "./schemas/api/job.js";
import { diffJobSettings } from "./settings-diff.js";
import { withTaskTraceParameters } from "./task-trace-parameters.js";

/** Tag names `deployJob` writes on the job. */
export const DEPLOY_TAGS = Object.freeze({
  /** The stable key that identifies the job across renames. */
  jobKey: "modeltrail_job_key",
  /** The commit the job definition was deployed from. */
  gitSha: "git_sha",
  /** CI provider of the deploy that last changed the job. */
  ciProvider: "ci_provider",
  /** CI run id of the deploy that last changed the job. */
  ciRunId: "ci_run_id",
  /** Hash of the deployed settings, to notice fields removed since the last deploy. */
  settingsHash: "modeltrail_settings_hash",
});

/** The job parameter that carries the commit into every run (recorded on runs, unlike tags). */
export const GIT_SHA_PARAMETER = "git_sha";

/** Databricks allows at most 25 tags on a job. */
const MAX_TAGS = 25;

/** Options of `deployJob`: the per-call options of its requests (`deadlineMs` bounds the whole deploy), plus how to find the job. */
export interface DeployJobOptions extends CallOptions {
  /** Stable key stored in the `modeltrail_job_key` tag (default: the job name). Set it to rename jobs safely. */
  key?: string | undefined;
  /** Update this job id instead of looking the job up. */
  jobId?: number | undefined;
  /** Add the trace flags to Python tasks (default true; see `withTaskTraceParameters`). */
  traceParameters?: boolean | undefined;
  /** With an explicit `key` and no job of that name, pages of `jobs/list` scanned for the key tag (default 50, 100 jobs each). */
  maxScanPages?: number | undefined;
}

/** What `deployJob` did. */
export interface DeployJobResult {
  jobId: number;
  /** `created`, `updated` (reset with new settings) or `unchanged` (no write made). */
  action: "created" | "updated" | "unchanged";
  /** What differed, as short paths (`tasks[train].spark_python_task.parameters: ...`); empty when unchanged. */
  changes: string[];
  /** The settings that were (or would have been) sent, with tags, parameter and trace flags stamped. */
  settings: Record<string, unknown>;
}

/**
 * Creates or updates a Databricks job so that it matches `settings`, stamped for traceability:
 * tags `modeltrail_job_key` (the stable key), `git_sha`, `ci_provider`, `ci_run_id` and
 * `modeltrail_settings_hash`; a `git_sha` job parameter whose default is the context's commit; and
 * the trace flags on every Python task (`--job-id={{job.id}} --job-run-id={{job.run_id}}
 * --task-run-id={{task.run_id}} --task-key={{task.name}} --git-sha={{job.parameters.git_sha}}`).
 *
 * The job is found by its key tag among the jobs with the same name (`jobs/list?name=`), then, for
 * an explicit `key`, among all jobs; an untagged job with exactly the same name is adopted. An
 * existing job is read back with `jobs/get` (all pages) and reset only when its settings differ
 * from the desired ones, so deploying twice changes nothing the second time. The CI tags are not
 * compared: they name the CI run that last changed the job.
 *
 * Throws ConfigError when the context has no commit or several jobs carry the key, ValidationError
 * for settings without a name or with too many tags, and the client's errors.
 */
export async function deployJob(
  client: DatabricksClient,
  ctx: DeployContext,
  settings: Record<string, unknown>,
  options: DeployJobOptions = {},
): Promise<DeployJobResult> {
  if (options.jobId !== undefined) assertDatabricksId(options.jobId, "jobId");
  const name = typeof settings.name === "string" ? settings.name.trim() : "";
  if (name === "")
    throw new ValidationError("Job settings have no name", {
      issues: [{ path: "name", message: "A non-empty job name is required to find the job again" }],
    });
  const gitSha = ctx.code?.gitSha;
  if (!gitSha)
    throw new ConfigError("Cannot deploy a job without the commit it comes from (ctx.code.gitSha is empty)", {
      sources: ["GIT_SHA"],
      hint: "Build the context with detectTraceContext() inside the git checkout, or set GIT_SHA",
    });
  const key = options.key ?? name;
  const { desired, compared, hash } = stampSettings(
    settings,
    ctx,
    key,
    gitSha,
    options.traceParameters ?? true,
  );
  const call = startCall(options);

  const existing = options.jobId ?? (await findJob(client, name, key, { ...options, ...call }));
  if (existing === undefined) {
    const jobId = await client.jobs.create(desired, call);
    return { jobId, action: "created", changes: [`created job "${name}"`], settings: desired };
  }
  const job = await client.jobs.get(existing, call);
  const actual = (job.settings ?? {}) as Record<string, unknown>;
  const changes = diffJobSettings(compared, actual);
  const previousHash = (actual.tags as Record<string, string> | undefined)?.[DEPLOY_TAGS.settingsHash];
  if (changes.length === 0 && previousHash === hash) {
    return { jobId: existing, action: "unchanged", changes: [], settings: desired };
  }
  if (changes.length === 0) {
    changes.push(
      previousHash === undefined
        ? "job was not deployed by modeltrail before (no settings hash tag)"
        : "settings differ from the last deploy (fields were removed)",
    );
  }
  await client.jobs.reset(existing, desired, call);
  return { jobId: existing, action: "updated", changes, settings: desired };
}

/** Builds the settings to send (`desired`), those to compare (`compared`, without CI/hash tags) and their hash. */
function stampSettings(
  settings: Record<string, unknown>,
  ctx: DeployContext,
  key: string,
  gitSha: string,
  traceParameters: boolean,
): { desired: Record<string, unknown>; compared: Record<string, unknown>; hash: string } {
  if (key.length > 255)
    throw new ValidationError("The job key is too long", {
      issues: [{ path: "key", message: "At most 255 characters (it is stored as a tag value)" }],
    });
  const userTags = isStringRecord(settings.tags) ? settings.tags : {};
  const parameters = Array.isArray(settings.parameters)
    ? (settings.parameters as Array<Record<string, unknown>>).filter((p) => p?.name !== GIT_SHA_PARAMETER)
    : [];
  let base: Record<string, unknown> = {
    ...settings,
    tags: { ...userTags, [DEPLOY_TAGS.jobKey]: key, [DEPLOY_TAGS.gitSha]: gitSha },
    parameters: [...parameters, { name: GIT_SHA_PARAMETER, default: gitSha }],
  };
  if (traceParameters) base = withTaskTraceParameters(base);
  const hash = createHash("sha256").update(canonicalJson(base)).digest("hex");
  const ciTags: Record<string, string> = {};
  if (ctx.ci?.provider) ciTags[DEPLOY_TAGS.ciProvider] = tagValue(ctx.ci.provider);
  if (ctx.ci?.runId !== undefined && String(ctx.ci.runId) !== "")
    ciTags[DEPLOY_TAGS.ciRunId] = tagValue(String(ctx.ci.runId));
  const desired = {
    ...base,
    tags: { ...(base.tags as Record<string, string>), ...ciTags, [DEPLOY_TAGS.settingsHash]: hash },
  };
  const tagCount = Object.keys(desired.tags).length;
  if (tagCount > MAX_TAGS)
    throw new ValidationError(`The job would carry ${tagCount} tags; Databricks allows ${MAX_TAGS}`, {
      issues: [
        {
          path: "tags",
          message: `deployJob adds up to 6 tags (${Object.values(DEPLOY_TAGS).join(", ")}); keep at most ${MAX_TAGS - 6} of your own`,
        },
      ],
    });
  return { desired, compared: base, hash };
}

async function findJob(
  client: DatabricksClient,
  name: string,
  key: string,
  options: DeployJobOptions,
): Promise<number | undefined> {
  const call = startCall(options);
  const byName: Job[] = [];
  for await (const job of client.jobs.list({ ...call, name })) byName.push(job);
  const tagged = byName.filter((j) => j.settings?.tags?.[DEPLOY_TAGS.jobKey] === key);
  if (tagged.length === 1) return tagged[0]?.job_id;
  if (tagged.length > 1) throw duplicateKey(key, tagged);
  if (options.key !== undefined) {
    let pages = 0;
    const maxJobs = (options.maxScanPages ?? 50) * 100;
    const found: Job[] = [];
    for await (const job of client.jobs.list(call)) {
      if (job.settings?.tags?.[DEPLOY_TAGS.jobKey] === key) found.push(job);
      if (++pages >= maxJobs) break;
    }
    if (found.length === 1) return found[0]?.job_id;
    if (found.length > 1) throw duplicateKey(key, found);
  }
  const untagged = byName.filter(
    (j) => j.settings?.tags?.[DEPLOY_TAGS.jobKey] === undefined && j.settings?.name === name,
  );
  if (untagged.length === 1) return untagged[0]?.job_id;
  if (untagged.length > 1)
    throw new ConfigError(
      `Several Databricks jobs are named "${name}" (ids ${untagged.map((j) => j.job_id).join(", ")}) and none carries the ${DEPLOY_TAGS.jobKey} tag`,
      { hint: "Pass jobId to choose one, or delete the duplicates" },
    );
  return undefined;
}

function duplicateKey(key: string, jobs: Job[]): ConfigError {
  return new ConfigError(
    `Several Databricks jobs carry ${DEPLOY_TAGS.jobKey}="${key}" (ids ${jobs.map((j) => j.job_id).join(", ")})`,
    { hint: "Delete the duplicates or pass jobId to choose one" },
  );
}

function tagValue(value: string): string {
  return value.length > 255 ? value.slice(0, 255) : value;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** JSON with object keys sorted at every level, so equal settings hash equally. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
