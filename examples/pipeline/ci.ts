import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { type DetectionResult, detectTraceContext, type TraceContext } from "@modeltrail/core";
import {
  DatabricksClient,
  type DeployJobResult,
  deployJob,
  type JobSettings,
  type RenderedJobTemplate,
  renderJobTemplate,
  withTaskTraceParameters,
} from "@modeltrail/databricks";
import { PIPELINE_DIR, REPO_ROOT } from "../lib/paths.ts";
import { dim, heading, say, short, table, yellow } from "../lib/print.ts";

/** The job template this pipeline renders. */
export const JOB_TEMPLATE = join(PIPELINE_DIR, "job.template.yaml");

/** Where the template's `git_source.git_url` points when the checkout has no `origin` remote. */
const DEFAULT_REPO_URL = "https://github.com/modeltrail/modeltrail";

/** What the CI step produced. */
export interface CiResult {
  /** The detected context (commit, branch, dirty state, CI run, runtime). */
  ctx: TraceContext;
  detection: DetectionResult;
  rendered: RenderedJobTemplate;
  /**
   * The settings as deployJob would send them to Databricks as far as tasks go: every Python task
   * receives the trace flags (`--job-id={{job.id}}` ...). This is what the local runner runs.
   */
  settings: JobSettings;
  /** The Databricks deploy, when MODELTRAIL_DEMO_DEPLOY=1 and DATABRICKS_HOST are set. */
  deployed: DeployJobResult | undefined;
}

/**
 * Step 1, CI: detects the trace context of this checkout (git, and the CI provider when there is
 * one), renders the Databricks job template with the commit injected, validates it, and deploys
 * the job when MODELTRAIL_DEMO_DEPLOY=1 and DATABRICKS_HOST are set. Throws ConfigError outside a git repository, ValidationError
 * for an invalid template, and the Databricks client's errors when deploying.
 */
export async function ciStep(options: { env?: string; signal?: AbortSignal } = {}): Promise<CiResult> {
  // In CI the provider's variables (GITHUB_SHA, BUILD_BUILDID, ...) win over git; here git supplies the commit.
  const detection = await detectTraceContext({ cwd: REPO_ROOT, argv: [] });
  const ctx = detection.context;
  heading("detectTraceContext(): which source supplied each field");
  table(
    Object.entries(detection.sources)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, source]) => [path, `${fieldValue(ctx, path)}  ${dim(`<- ${source}`)}`]),
  );
  for (const w of detection.warnings) say(yellow(`warning: ${w}`), 4);
  if (ctx.code?.dirty) {
    say(
      yellow(
        "note: the work tree has uncommitted changes (code.dirty=true); a release build would refuse this",
      ),
      4,
    );
  }
  if (!ctx.ci)
    say(dim("no CI provider detected: run in GitHub Actions, Azure Pipelines, ... to see ci.* fields"), 4);

  const env = options.env ?? "dev";
  const templateText = await readFile(JOB_TEMPLATE, "utf8");
  const rendered = renderJobTemplate(templateText, {
    ctx,
    vars: { env, repo_url: ctx.code?.repoUrl ?? DEFAULT_REPO_URL },
    name: relative(REPO_ROOT, JOB_TEMPLATE),
  });
  const s = rendered.settings;
  heading(`renderJobTemplate(${relative(REPO_ROOT, JOB_TEMPLATE)}, { ctx, vars: { env: "${env}" } })`);
  table([
    ["name", s.name],
    ["git_source.git_commit", (s.git_source as { git_commit?: string } | undefined)?.git_commit],
    ["parameters", (s.parameters ?? []).map((p) => `${p.name}=${p.default}`).join("  ")],
    ["tasks", (s.tasks ?? []).map((t) => t.task_key).join(" -> ")],
    ["validated", "task keys, depends_on, cycles, job clusters, tags, git_source: ok"],
    ["warnings", rendered.warnings.length === 0 ? "none" : undefined],
  ]);
  for (const w of rendered.warnings) say(yellow(`warning: ${w}`), 4);

  const settings = withTaskTraceParameters(s);
  const train = settings.tasks?.find((t) => t.task_key === "train");
  heading("the train task as deployed: its own parameters + the trace flags deployJob adds");
  for (const p of (train?.spark_python_task as { parameters?: string[] } | undefined)?.parameters ?? [])
    say(p, 4);

  let deployed: DeployJobResult | undefined;
  // Deploying writes to a real workspace: only on explicit request, never because a shell happens
  // to have DATABRICKS_HOST set.
  if (process.env.MODELTRAIL_DEMO_DEPLOY === "1" && process.env.DATABRICKS_HOST) {
    heading(`deployJob() to ${process.env.DATABRICKS_HOST}`);
    const client = await DatabricksClient.fromEnv();
    try {
      deployed = await deployJob(client, ctx, s, { signal: options.signal });
      table([
        ["job id", String(deployed.jobId)],
        ["action", deployed.action],
        ["changes", deployed.changes.join("; ") || "none"],
      ]);
    } finally {
      await client.close();
    }
  } else {
    heading(
      "deployJob(): skipped (set MODELTRAIL_DEMO_DEPLOY=1 and DATABRICKS_HOST to deploy). In CI this step runs:",
    );
    say(
      dim(`const client = await DatabricksClient.fromEnv();       // DATABRICKS_HOST + token / OAuth / Azure SP
const { jobId, action, changes } = await deployJob(client, ctx, settings);
// creates or resets "${s.name}" with tags git_sha=${short(ctx.code?.gitSha)}..., the git_sha job
// parameter and the trace flags above; unchanged when deployed twice from the same commit`),
      4,
    );
  }
  return { ctx, detection, rendered, settings, deployed };
}

function fieldValue(ctx: TraceContext, path: string): string {
  let cur: unknown = ctx.toJSON();
  for (const seg of path.split("."))
    cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[seg] : undefined;
  return typeof cur === "string" ? cur : JSON.stringify(cur);
}
