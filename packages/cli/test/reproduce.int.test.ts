import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext } from "@modeltrail/core";
import {
  classifyRun,
  DatabricksClient,
  databricksTraceResolver,
  LocalJobRunner,
  localJobTraceResolver,
  renderJobTemplate,
  withTaskTraceParameters,
} from "@modeltrail/databricks";
import { MlflowClient, mlflowTraceResolver } from "@modeltrail/mlflow";
import { startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type ReproduceOptions,
  ReproduceRefusedError,
  reproduce,
  reproduceReportSchema,
} from "../src/index.js";
import { runBuilt } from "./helpers/run-built-cli.js";

/**
 * reproduce() end to end: a throwaway git repository holding a tiny training task and its job
 * template, an original training run made as CI + the training job make it (template rendered with
 * the commit, run by the LocalJobRunner, logged to the real MLflow server of the integration tier),
 * then reproductions of it at the recorded commit.
 */

const FIXTURES = new URL("./fixtures/reproduce/", import.meta.url).pathname;
const EXPERIMENT = `reproduce-${Date.now().toString(36)}`;

let work: string;
let repo: string;
let scratch: string;
let dataPath: string;
/** Where the original's LocalJobRunner wrote its run record. */
let runsDir: string;
let commit: string;
let mlflow: MlflowClient;
let python: string;
const original = { jobRunId: "", mlflowRunId: "" };

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  }).trim();
}

/** 240 rows of two features and a label that depends on them, from a fixed linear congruential sequence. */
function dataset(variant: number): string {
  let s = 12345 + variant * 7919;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const rows = ["x1,x2,label"];
  for (let i = 0; i < 240; i++) {
    const x1 = Math.round(next() * 1000) / 100;
    const x2 = Math.round(next() * 1000) / 100;
    const label = x1 * (variant === 0 ? 0.8 : -0.5) - x2 * 0.5 + next() * 3 > 1.5 ? 1 : 0;
    rows.push(`${x1},${x2},${label}`);
  }
  return `${rows.join("\n")}\n`;
}

const runnerEnv = () => ({
  MLFLOW_TRACKING_URI: inject("mlflowUri"),
  GIT_PYTHON_REFRESH: "quiet",
  PYTHONUNBUFFERED: "1",
  GIT_SHA: undefined,
  MLFLOW_RUN_ID: undefined,
});

function options(extra: Partial<ReproduceOptions> = {}): ReproduceOptions {
  return {
    resolvers: [mlflowTraceResolver(mlflow)],
    mlflow,
    runner: { kind: "local", options: { pythonPath: python, env: runnerEnv() } },
    repoDir: repo,
    template: "pipeline/job.template.yaml",
    vars: { repo_url: "https://example.com/reproduce-test.git", experiment: EXPERIMENT },
    tempDir: scratch,
    ...extra,
  };
}

beforeAll(async () => {
  python = inject("mlflowPython");
  if (!python) throw new Error("the reproduce tests need the MLflow virtualenv (scripts/install-mlflow.sh)");
  work = await mkdtemp(join(tmpdir(), "modeltrail-reproduce-test-"));
  repo = join(work, "repo");
  scratch = join(work, "scratch");
  dataPath = join(work, "data", "points.csv");
  runsDir = join(work, "runs");
  await mkdir(join(repo, "pipeline"), { recursive: true });
  await mkdir(scratch);
  await mkdir(join(work, "data"));
  await writeFile(dataPath, dataset(0));
  await copyFile(join(FIXTURES, "train.py"), join(repo, "pipeline", "train.py"));
  await copyFile(join(FIXTURES, "job.template.yaml"), join(repo, "pipeline", "job.template.yaml"));
  git(repo, "init", "--quiet", "--initial-branch=main");
  git(repo, "add", ".");
  git(repo, "commit", "--quiet", "-m", "training job");
  commit = git(repo, "rev-parse", "HEAD");
  mlflow = new MlflowClient({ trackingUri: inject("mlflowUri"), env: {} });

  // The original run, as CI and the training job make it: the template rendered at HEAD with the
  // commit injected, the trace flags added, run by the LocalJobRunner in the repository.
  const { readFile } = await import("node:fs/promises");
  const rendered = renderJobTemplate(await readFile(join(repo, "pipeline", "job.template.yaml"), "utf8"), {
    ctx: createTraceContext({ code: { gitSha: commit } }),
    vars: { repo_url: "https://example.com/reproduce-test.git", experiment: EXPERIMENT },
  });
  const settings = withTaskTraceParameters({
    ...rendered.settings,
    parameters: [...(rendered.settings.parameters ?? []), { name: "git_sha", default: commit }],
  });
  let out = "";
  const runner = new LocalJobRunner({
    cwd: repo,
    pythonPath: python,
    records: { dir: runsDir },
    env: { ...runnerEnv(), PYTHONDONTWRITEBYTECODE: "1" },
    onOutput: ({ chunk }) => {
      out += chunk;
    },
  });
  const run = await runner.run(settings, { jobParameters: { data: dataPath, seed: "7", c: "0.5" } });
  expect(classifyRun(run)?.kind, out).toBe("success");
  original.jobRunId = String(run.run_id);
  original.mlflowRunId = /MODELTRAIL_MODEL_MLFLOW_RUN_ID=([0-9a-f]{32})/.exec(out)?.[1] ?? "";
  expect(original.mlflowRunId).toMatch(/^[0-9a-f]{32}$/);
}, 300_000);

afterAll(async () => {
  await mlflow?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("reproduce(): a run that reproduces", () => {
  it("re-runs the job at the recorded commit and finds the same params, metrics, data digest and model files", async () => {
    const report = await reproduce(original.mlflowRunId, options());
    expect(reproduceReportSchema.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(report.differences).toEqual([]);
    expect(report.status).toBe("reproduced");
    expect(report.original).toMatchObject({
      runId: original.mlflowRunId,
      mlflowRunId: original.mlflowRunId,
      gitSha: commit,
    });
    expect(report.reproduction.platform).toBe("local");
    expect(report.reproduction.outcome).toBe("success");
    expect(report.reproduction.mlflowRunId).toMatch(/^[0-9a-f]{32}$/);
    expect(report.reproduction.mlflowRunId).not.toBe(original.mlflowRunId);
    expect(report.reproduction.jobRunId).not.toBe(original.jobRunId);
    // the recorded parameters came from the MLflow run's params (no job run resolver here)
    expect(report.parameters).toMatchObject({
      data: { value: dataPath, origin: "mlflow param" },
      seed: { value: "7", origin: "mlflow param" },
      c: { value: "0.5", origin: "mlflow param" },
      experiment: { value: EXPERIMENT, origin: "template default" },
      git_sha: { value: commit, origin: "commit" },
    });
    const c = report.comparison;
    expect(c?.commit).toEqual({ original: commit, reproduced: commit, status: "same" });
    expect(c?.metrics.map((m) => [m.name, m.status])).toEqual([
      ["accuracy", "same"],
      ["log_loss", "same"],
    ]);
    expect(c?.datasets).toEqual([
      expect.objectContaining({ name: "points", status: "same", originalDigest: expect.any(String) }),
    ]);
    const files = new Map(c?.artifacts.map((f) => [f.path, f]));
    // MLflow 3 writes scikit-learn models as skops ZIP archives, stamped with the time: the same files inside
    expect(files.get("model.skops")).toMatchObject({
      status: "same",
      note: expect.stringContaining("memory addresses"),
    });
    expect(files.get("model.skops")?.originalDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // MLmodel records its creation time and uuid: the same only without those fields
    expect(files.get("MLmodel")).toMatchObject({
      status: "same",
      note: expect.stringContaining("utc_time_created"),
    });
    expect(files.get("MLmodel")?.originalDigest).not.toBe(files.get("MLmodel")?.reproducedDigest);
    // the checkout is gone, and the repository knows no extra worktree
    expect(await readdir(scratch)).toEqual([]);
    expect(git(repo, "worktree", "list").split("\n")).toHaveLength(1);
  });
});

describe("reproduce(): runs that do not reproduce", () => {
  it("a changed parameter (by job run id): the report names the parameter and the metrics that moved", async () => {
    // with the local run's record, the job parameters are the ones the job run recorded
    const report = await reproduce(
      original.jobRunId,
      options({
        parameters: { c: "0.001" },
        resolvers: [mlflowTraceResolver(mlflow), localJobTraceResolver({ dir: runsDir })],
      }),
    );
    expect(report.status).toBe("differs");
    expect(report.original.mlflowRunId).toBe(original.mlflowRunId);
    expect(report.original.jobRunId).toBe(original.jobRunId);
    expect(report.parameters).toMatchObject({
      c: { value: "0.001", origin: "override" },
      seed: { value: "7", origin: "job run" },
      data: { value: dataPath, origin: "job run" },
      experiment: { value: EXPERIMENT, origin: "job run" },
    });
    const params = report.comparison?.parameters ?? [];
    expect(params).toContainEqual(
      expect.objectContaining({
        scope: "job",
        name: "c",
        original: "0.5",
        reproduced: "0.001",
        status: "differs",
      }),
    );
    expect(params).toContainEqual(
      expect.objectContaining({
        scope: "mlflow",
        name: "c",
        original: "0.5",
        reproduced: "0.001",
        status: "differs",
      }),
    );
    expect(report.comparison?.metrics.find((m) => m.name === "log_loss")?.status).toBe("differs");
    expect(report.comparison?.datasets[0]?.status).toBe("same");
    expect(report.comparison?.artifacts.find((f) => f.path === "model.skops")?.status).toBe("differs");
    expect(report.differences).toContain("job parameter c: 0.5 -> 0.001 (overridden)");
    expect(report.differences.some((d) => d.startsWith("metric log_loss:"))).toBe(true);
  });

  it("changed data behind the recorded path: the report names the data set digest", async () => {
    await writeFile(dataPath, dataset(1));
    try {
      const report = await reproduce(original.mlflowRunId, options({ tolerance: { absolute: 0.5 } }));
      expect(report.status).toBe("differs");
      const ds = report.comparison?.datasets[0];
      expect(ds?.status).toBe("differs");
      expect(ds?.originalDigest).not.toBe(ds?.reproducedDigest);
      expect(report.differences.some((d) => d.startsWith("dataset points: digest "))).toBe(true);
      // the parameters were the recorded ones
      expect(report.comparison?.parameters.filter((p) => p.status === "differs")).toEqual([]);
      // a generous tolerance keeps the metrics "the same"; the data still differs
      expect(report.comparison?.metrics.every((m) => m.status === "same")).toBe(true);
    } finally {
      await writeFile(dataPath, dataset(0));
    }
  });

  it("a reproduction whose task fails: status failed, naming the task", async () => {
    const report = await reproduce(original.mlflowRunId, options({ parameters: { seed: "not-a-number" } }));
    expect(report.status).toBe("failed");
    expect(report.comparison).toBeUndefined();
    expect(report.failure?.failedTasks).toEqual([expect.objectContaining({ taskKey: "train" })]);
    expect(await readdir(scratch)).toEqual([]);
  });
});

describe("reproduce(): refusals", () => {
  it("a template missing at the commit", async () => {
    const err = await reproduce(original.mlflowRunId, options({ template: "pipeline/missing.yaml" })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReproduceRefusedError);
    expect(err).toMatchObject({ reason: "template-missing", code: "CONFIG_ERROR" });
    expect((err as Error).message).toContain("pipeline/missing.yaml does not exist at commit");
  });

  it("a commit that is not in the repository", async () => {
    const other = join(work, "other");
    await mkdir(other);
    git(other, "init", "--quiet");
    git(other, "commit", "--quiet", "--allow-empty", "-m", "unrelated");
    const err = await reproduce(original.mlflowRunId, options({ repoDir: other })).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "commit-not-in-repository" });
    expect((err as Error).message).toContain(`Commit ${commit} is not in the repository`);
    expect((err as Error).message).toContain(`git fetch origin ${commit}`);
  });

  it("a run that records no commit", async () => {
    const exp = await mlflow.experiments.getByName(EXPERIMENT);
    const run = await mlflow.runs.create({ experimentId: exp.experiment_id, runName: "no-commit" });
    const err = await reproduce(run.info.run_id, options()).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "no-commit" });
    expect((err as Error).message).toContain(`Run ${run.info.run_id} records no git commit`);
  });

  it("a run id nothing knows", async () => {
    const err = await reproduce("0123456789abcdef0123456789abcdef", options()).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "run-not-found" });
  });

  it("an override of a parameter the job does not define", async () => {
    const err = await reproduce(original.mlflowRunId, options({ parameters: { epochs: "3" } })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "VALIDATION_ERROR" });
    expect(JSON.stringify(err)).toContain('the job defines no parameter \\"epochs\\"');
    expect(await readdir(scratch)).toEqual([]);
  });
});

describe("modeltrail reproduce (the built CLI)", () => {
  const SECRET = "mlflow-token-5e5e5e5e5e5e5e5e5e5e";
  const cli = (args: string[]) =>
    runBuilt(
      [
        "reproduce",
        ...args,
        "--repo",
        repo,
        "--python",
        python,
        "--var",
        "repo_url=https://example.com/reproduce-test.git",
        "--var",
        `experiment=${EXPERIMENT}`,
      ],
      {
        // the local MLflow server ignores the token; it must never be printed
        env: { MLFLOW_TRACKING_URI: inject("mlflowUri"), MLFLOW_TRACKING_TOKEN: SECRET, TMPDIR: scratch },
        cwd: repo,
        timeoutMs: 240_000,
      },
    );

  it("exit 0 and the report with --json when the run reproduces", async () => {
    const r = await cli([original.mlflowRunId, "--template", "pipeline/job.template.yaml", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = reproduceReportSchema.parse(r.json());
    expect(report.status).toBe("reproduced");
    expect(report.original.mlflowRunId).toBe(original.mlflowRunId);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
    expect(await readdir(scratch)).toEqual([]);
  });

  it("exit 4 when it ran and differs, naming the differences in text", async () => {
    const r = await cli([
      original.jobRunId,
      "--template",
      "pipeline/job.template.yaml",
      "--param",
      "c=0.001",
      "--local-runs",
      runsDir,
    ]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain("seed=7  (job run)");
    expect(r.stdout).toContain("job parameter c: 0.5 -> 0.001 (overridden)");
    expect(r.stdout).toMatch(/NOT reproduced: \d+ differences/);
    expect(r.stderr).toMatch(/error: Run \d+ did not reproduce: \d+ differences/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  });

  it("exit 1 with one line and a hint when the template is missing at the commit", async () => {
    const r = await cli([original.mlflowRunId, "--template", "pipeline/gone.yaml", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The job template pipeline/gone.yaml does not exist at commit");
    expect(r.stderr).toContain("git ls-tree");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack without --debug
  });

  it("exit 2 for a malformed run id, a missing --template, and --timeout without --on databricks", async () => {
    expect((await cli(["not/a-run", "--template", "x.yaml"])).code).toBe(2);
    expect((await runBuilt(["reproduce", original.mlflowRunId], { cwd: repo })).code).toBe(2);
    expect((await cli([original.mlflowRunId, "--template", "x.yaml", "--timeout", "1m"])).code).toBe(2);
  });

  it("--help shows an example and the exit codes", async () => {
    const r = await runBuilt(["reproduce", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("modeltrail reproduce 1795788642450001 --template");
    expect(r.stdout).toMatch(/4\s+it ran, and something differs/);
  });
});

describe("reproduce() on Databricks", () => {
  it("deploys the definition at the commit as a separate job, runs it with the recorded parameters, and compares", async () => {
    // Databricks cannot run here: a fake workspace whose Jobs API runs what it is given the way
    // Databricks would (the job's git_source checked out at git_commit, the tasks with the job
    // parameters), with a LocalJobRunner, whose runs already have the shape of jobs/runs/get.
    const jobs = new Map<number, { job_id: number; settings: Record<string, unknown> }>();
    const checkouts: string[] = [];
    const engine = new LocalJobRunner({
      pythonPath: python,
      env: { ...runnerEnv(), PYTHONDONTWRITEBYTECODE: "1" },
      resolvePath: (file) => join(checkouts.at(-1) as string, file),
    });
    let nextJob = 5001;
    const workspace = await startMswServer(
      http.get("*/api/2.2/jobs/list", ({ request }) => {
        const name = new URL(request.url).searchParams.get("name");
        return HttpResponse.json({
          jobs: [...jobs.values()].filter((j) => j.settings.name === name),
          has_more: false,
        });
      }),
      http.post("*/api/2.2/jobs/create", async ({ request }) => {
        const job_id = nextJob++;
        jobs.set(job_id, { job_id, settings: (await request.json()) as Record<string, unknown> });
        return HttpResponse.json({ job_id });
      }),
      http.get("*/api/2.2/jobs/get", ({ request }) => {
        const job = jobs.get(Number(new URL(request.url).searchParams.get("job_id")));
        return job
          ? HttpResponse.json(job)
          : HttpResponse.json({ error_code: "INVALID_PARAMETER_VALUE", message: "no job" }, { status: 400 });
      }),
      http.post("*/api/2.2/jobs/run-now", async ({ request }) => {
        const body = (await request.json()) as { job_id: number; job_parameters?: Record<string, string> };
        const job = jobs.get(body.job_id);
        if (!job) return HttpResponse.json({ error_code: "INVALID_PARAMETER_VALUE" }, { status: 400 });
        const gitCommit = (job.settings.git_source as { git_commit: string }).git_commit;
        const dir = join(work, `dbx-checkout-${checkouts.length}`);
        git(repo, "worktree", "add", "--detach", "--quiet", dir, gitCommit);
        checkouts.push(dir);
        const run = engine.start(job.settings, {
          jobId: job.job_id,
          jobParameters: body.job_parameters ?? {},
        });
        return HttpResponse.json({ run_id: run.runId, number_in_job: run.runId });
      }),
      http.get("*/api/2.2/jobs/runs/get", async ({ request }) => {
        const id = Number(new URL(request.url).searchParams.get("run_id"));
        try {
          return HttpResponse.json(await engine.runs.get(id));
        } catch {
          return HttpResponse.json(
            { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Run not found" },
            { status: 404 },
          );
        }
      }),
    );
    const dbx = new DatabricksClient({ host: workspace.url, token: "dapi0123456789abcdef0123456789abcdef" });
    try {
      const report = await reproduce(
        original.jobRunId,
        options({
          resolvers: [
            mlflowTraceResolver(mlflow),
            databricksTraceResolver(dbx),
            localJobTraceResolver({ dir: runsDir }),
          ],
          runner: { kind: "databricks", client: dbx, wait: { pollIntervalMs: 200, maxPollIntervalMs: 1000 } },
        }),
      );
      expect(report.differences).toEqual([]);
      expect(report.status).toBe("reproduced");
      expect(report.reproduction).toMatchObject({
        platform: "databricks",
        jobId: "5001",
        outcome: "success",
      });
      // a job of its own, at the recorded commit, started with the recorded job parameters
      const job = jobs.get(5001);
      expect(job?.settings.name).toBe("reproduce-test-train (reproduce)");
      expect(job?.settings.git_source).toMatchObject({ git_commit: commit });
      const runNow = workspace.requests.find((r) => r.path.includes("/jobs/run-now"));
      expect(JSON.parse(runNow?.body ?? "{}").job_parameters).toEqual({
        c: "0.5",
        data: dataPath,
        experiment: EXPERIMENT,
        seed: "7",
        git_sha: commit,
      });
      expect(await readdir(scratch)).toEqual([]);
    } finally {
      await dbx.close();
      await workspace.close();
      for (const dir of checkouts) git(repo, "worktree", "remove", "--force", dir);
    }
  });
});
