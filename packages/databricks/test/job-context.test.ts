import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type GitRunner, ValidationError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { detectJobContext, readJobContext } from "../src/job-context.js";
import { LocalJobRunner } from "../src/local/local-job-runner.js";
import { withTaskTraceParameters } from "../src/task-trace-parameters.js";
import { renderJobTemplate } from "../src/template/render-job-template.js";
import { PIPELINE_TEMPLATE } from "./job-template-corpus.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const GIT_SHA = "fedcba9876543210fedcba9876543210fedcba98";
const HELPER_DIR = fileURLToPath(new URL("../python/", import.meta.url));
const HELPER = `${HELPER_DIR}modeltrail_job_context.py`;
const FIXTURES = fileURLToPath(new URL("./fixtures/local/", import.meta.url));

/** A fake git work tree at GIT_SHA on branch main. */
const git: GitRunner = async (args) => {
  const a = args.join(" ");
  if (a.includes("--is-inside-work-tree")) return { stdout: "true\n", stderr: "", exitCode: 0 };
  if (a.includes("HEAD") && a.startsWith("rev-parse --verify"))
    return { stdout: `${GIT_SHA}\n`, stderr: "", exitCode: 0 };
  if (a.includes("--abbrev-ref")) return { stdout: "main\n", stderr: "", exitCode: 0 };
  if (a.startsWith("status")) return { stdout: "", stderr: "", exitCode: 0 };
  return { stdout: "", stderr: "", exitCode: 1 };
};
const noGit: GitRunner = async () => ({ stdout: "", stderr: "fatal: not a git repository", exitCode: 128 });

const dbArgs = [
  "--job-id=11",
  "--job-run-id",
  "22",
  "--task-run-id=33",
  "--task-key=train",
  `--git-sha=${SHA}`,
  "--epochs=3",
];

describe("readJobContext", () => {
  it("reads the ids and commit passed by a Databricks job", async () => {
    const ctx = await readJobContext(dbArgs, { DATABRICKS_RUNTIME_VERSION: "15.4" }, { git });
    expect(ctx.job).toEqual({
      platform: "databricks",
      jobId: "11",
      runId: "22",
      taskRunId: "33",
      taskKey: "train",
    });
    expect(ctx.code?.gitSha).toBe(SHA);
  });

  it("never invents ids on Databricks", async () => {
    const r = await detectJobContext(["--task-key=train"], { DATABRICKS_RUNTIME_VERSION: "15.4" }, { git });
    expect(r.context.job).toEqual({ platform: "databricks", taskKey: "train" });
    expect(r.generated).toEqual([]);
  });

  it("works unchanged outside Databricks: local ids and the commit from git", async () => {
    const r = await detectJobContext([], {}, { git });
    const job = r.context.job!;
    expect(job.platform).toBe("local");
    for (const id of [job.jobId, job.runId, job.taskRunId]) expect(id).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(new Set([job.jobId, job.runId, job.taskRunId]).size).toBe(3);
    expect(r.generated).toEqual(["job.jobId", "job.runId", "job.taskRunId"]);
    expect(r.sources["job.runId" as never]).toBe("local");
    expect(r.context.code?.gitSha).toBe(GIT_SHA);
    expect(r.sources["code.gitSha"]).toBe("git");
  });

  it("treats unsubstituted references as absent and keeps ids passed by the LocalJobRunner", async () => {
    const ctx = await readJobContext(
      ["--job-id={{job.id}}", "--job-run-id=1000000000000001", "--task-key={{task.name}}"],
      {},
      { git, newLocalId: () => "local-x" },
    );
    expect(ctx.job).toEqual({
      platform: "local",
      jobId: "local-x",
      runId: "1000000000000001",
      taskRunId: "local-x",
    });
  });

  it("does without git unless required", async () => {
    const r = await detectJobContext([], {}, { git: noGit });
    expect(r.context.code?.gitSha).toBeUndefined();
    expect(r.warnings.join()).toMatch(/git/);
    await expect(readJobContext([], {}, { git: noGit, requireGit: true })).rejects.toThrow(/git/i);
  });

  it("rejects malformed ids and SHAs", async () => {
    await expect(readJobContext(["--job-id=abc"], {}, { git })).rejects.toBeInstanceOf(ValidationError);
    await expect(readJobContext(["--git-sha=123"], {}, { git })).rejects.toThrow(/40/);
  });

  it("reads the parameters the LocalJobRunner substitutes from the standard contract", async () => {
    const runner = new LocalJobRunner({ cwd: FIXTURES });
    const run = await runner.run({
      parameters: [{ name: "git_sha", default: SHA }],
      tasks: [
        {
          task_key: "train",
          spark_python_task: {
            python_file: "echo_args.py",
            parameters: [
              "--job-id={{job.id}}",
              "--job-run-id={{job.run_id}}",
              "--task-run-id={{task.run_id}}",
              "--task-key={{task.name}}",
              "--git-sha={{job.parameters.git_sha}}",
            ],
          },
        },
      ],
    });
    const t = run.tasks![0]!;
    const argv = JSON.parse((await runner.runs.getOutput(t.run_id!)).logs!).argv as string[];
    const ctx = await readJobContext(argv, {}, { git });
    expect(ctx.job).toEqual({
      platform: "local",
      jobId: String(run.job_id),
      runId: String(run.run_id),
      taskRunId: String(t.run_id),
      taskKey: "train",
    });
    expect(ctx.code?.gitSha).toBe(SHA);
  });
});

describe("the reference pipeline, locally", () => {
  it("renders a template with the commit, adds the trace flags, runs it locally and reads the context in the task", async () => {
    const { settings } = renderJobTemplate(PIPELINE_TEMPLATE, {
      ctx: { code: { gitSha: SHA } },
      vars: { epochs: 3 },
    });
    const runner = new LocalJobRunner({ cwd: FIXTURES });
    const run = await runner.run(withTaskTraceParameters(settings), { jobId: 777 });
    expect(run.state?.result_state).toBe("SUCCESS");
    const t = run.tasks![0]!;
    const argv = JSON.parse((await runner.runs.getOutput(t.run_id!)).logs!).argv as string[];
    expect(argv.slice(0, 2)).toEqual(["--epochs", "3"]);
    const ctx = await readJobContext(argv, {}, { git: noGit });
    expect(ctx.toJSON()).toMatchObject({
      code: { gitSha: SHA },
      job: {
        platform: "local",
        jobId: "777",
        runId: String(run.run_id),
        taskRunId: String(t.run_id),
        taskKey: "train",
      },
    });
  });
});

function helper(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("python3", [HELPER, ...args], {
    encoding: "utf8",
    cwd: FIXTURES,
    env: { PATH: process.env.PATH ?? "", PYTHONDONTWRITEBYTECODE: "1", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("python helper modeltrail_job_context.py", () => {
  it("reads the same contract as readJobContext", () => {
    const r = helper(dbArgs, { DATABRICKS_RUNTIME_VERSION: "15.4" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA },
      job: { platform: "databricks", jobId: "11", runId: "22", taskRunId: "33", taskKey: "train" },
    });
  });

  it("accepts underscore and key=value spellings, ignores unresolved references, and generates local ids", () => {
    const r = helper(["--job_id", "5", "task_key=prep", "--job-run-id={{job.run_id}}", "--unrelated", "x"], {
      GIT_SHA: GIT_SHA,
    });
    const ctx = JSON.parse(r.stdout);
    expect(ctx.job.platform).toBe("local");
    expect(ctx.job.jobId).toBe("5");
    expect(ctx.job.taskKey).toBe("prep");
    expect(ctx.job.runId).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(ctx.job.taskRunId).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(ctx.code).toEqual({ gitSha: GIT_SHA });
  });

  it("rejects malformed ids with a message and exit code 2", () => {
    const r = helper(["--task-run-id=abc"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--task-run-id must be a numeric Databricks id, got 'abc'/);
  });

  it("runs as a task under the LocalJobRunner and passes a task value downstream", async () => {
    const runner = new LocalJobRunner({
      cwd: FIXTURES,
      env: { PYTHONPATH: HELPER_DIR, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const run = await runner.run({
      parameters: [{ name: "git_sha", default: SHA }],
      tasks: [
        {
          task_key: "train",
          spark_python_task: {
            python_file: "uses_helper.py",
            parameters: [
              "--job-id={{job.id}}",
              "--job-run-id={{job.run_id}}",
              "--task-run-id={{task.run_id}}",
              "--task-key={{task.name}}",
              "--git-sha={{job.parameters.git_sha}}",
            ],
          },
        },
        {
          task_key: "register",
          depends_on: [{ task_key: "train" }],
          spark_python_task: {
            python_file: "echo_args.py",
            parameters: ["{{tasks.train.values.model_uri}}"],
          },
        },
      ],
    });
    expect(run.state?.result_state).toBe("SUCCESS");
    const [train, register] = run.tasks!;
    const out = JSON.parse((await runner.runs.getOutput(train!.run_id!)).logs!);
    expect(out.ctx).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA },
      job: {
        platform: "local",
        jobId: String(run.job_id),
        runId: String(run.run_id),
        taskRunId: String(train!.run_id),
        taskKey: "train",
      },
    });
    expect(out.tags).toEqual({
      GIT_SHA: SHA,
      "mlflow.source.git.commit": SHA,
      DBR_RUN_ID: String(run.run_id),
      DBR_JOB_ID: String(run.job_id),
    });
    const downstream = JSON.parse((await runner.runs.getOutput(register!.run_id!)).logs!.split("\n")[0]!);
    expect(downstream.argv).toEqual([`runs:/${run.run_id}/model`]);
  });
});
