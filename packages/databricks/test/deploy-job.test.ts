import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, createTraceContext, ValidationError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import {
  classifyRun,
  DEPLOY_TAGS,
  deployJob,
  LocalJobRunner,
  TASK_TRACE_FLAGS,
  withTaskTraceParameters,
} from "../src/index.js";
import { renderJobTemplate } from "../src/template/render-job-template.js";
import { type FakeWorkspace, startWorkspace } from "./client-test-helpers.js";
import { DEPLOY_TEMPLATE, readmeTemplate } from "./job-template-corpus.js";

type Settings = Record<string, unknown> & {
  name?: string;
  tags?: Record<string, string>;
  tasks?: Array<Record<string, unknown>>;
};

/** An in-memory Jobs API that behaves like Databricks: server defaults on read, 100-item pages, case-insensitive name filter. */
function fakeJobsApi() {
  const jobs = new Map<number, Settings>();
  let nextId = 5000;
  const calls: string[] = [];
  const withDefaults = (s: Settings): Settings => ({
    email_notifications: {},
    webhook_notifications: {},
    timeout_seconds: 0,
    max_concurrent_runs: 1,
    format: "MULTI_TASK",
    queue: { enabled: true },
    ...structuredClone(s),
    tasks: (s.tasks ?? []).map((t) => ({
      run_if: "ALL_SUCCESS",
      timeout_seconds: 0,
      email_notifications: {},
      ...structuredClone(t),
    })),
  });
  const handlers = [
    http.get("*/api/2.2/jobs/list", ({ request }) => {
      calls.push("list");
      const name = new URL(request.url).searchParams.get("name");
      const all = [...jobs.entries()]
        .filter(([, s]) => name === null || s.name?.toLowerCase() === name.toLowerCase())
        .map(([job_id, s]) => ({ job_id, settings: { name: s.name, tags: s.tags, format: "MULTI_TASK" } }));
      return HttpResponse.json({ jobs: all, has_more: false });
    }),
    http.get("*/api/2.2/jobs/get", ({ request }) => {
      calls.push("get");
      const q = new URL(request.url).searchParams;
      const s = jobs.get(Number(q.get("job_id")));
      if (!s)
        return HttpResponse.json(
          { error_code: "INVALID_PARAMETER_VALUE", message: `Job ${q.get("job_id")} does not exist.` },
          { status: 400 },
        );
      const full = withDefaults(s);
      const page = Number(q.get("page_token") ?? "0");
      const tasks = (full.tasks ?? []).slice(page * 100, page * 100 + 100);
      const more = (full.tasks?.length ?? 0) > (page + 1) * 100;
      const settings = page === 0 ? { ...full, tasks } : { tasks };
      return HttpResponse.json({
        job_id: Number(q.get("job_id")),
        creator_user_name: "ci-bot@example.com",
        settings,
        ...(more ? { next_page_token: String(page + 1) } : {}),
      });
    }),
    http.post("*/api/2.2/jobs/create", async ({ request }) => {
      calls.push("create");
      const id = nextId++;
      jobs.set(id, (await request.json()) as Settings);
      return HttpResponse.json({ job_id: id });
    }),
    http.post("*/api/2.2/jobs/reset", async ({ request }) => {
      calls.push("reset");
      const body = (await request.json()) as { job_id: number; new_settings: Settings };
      jobs.set(body.job_id, body.new_settings);
      return HttpResponse.json({});
    }),
  ];
  return { jobs, calls, handlers };
}

const SHA1 = "0123456789abcdef0123456789abcdef01234567";
const SHA2 = "fedcba9876543210fedcba9876543210fedcba98";
const ctx = (sha = SHA1, runId = "9001", attempt = 1) => ({
  code: { gitSha: sha },
  ci: { provider: "github-actions", runId, runAttempt: attempt },
});

const template = (): Settings => ({
  name: "train-churn-model",
  tags: { team: "ml" },
  job_clusters: [
    { job_cluster_key: "c", new_cluster: { spark_version: "15.4.x-scala2.12", num_workers: 2 } },
  ],
  schedule: { quartz_cron_expression: "0 0 3 * * ?", timezone_id: "UTC" },
  tasks: [
    {
      task_key: "train",
      job_cluster_key: "c",
      spark_python_task: { python_file: "train.py", parameters: ["--epochs", "10"] },
    },
    {
      task_key: "register",
      depends_on: [{ task_key: "train" }],
      job_cluster_key: "c",
      python_wheel_task: {
        package_name: "churn",
        entry_point: "register",
        named_parameters: { stage: "dev" },
      },
    },
    {
      task_key: "report",
      depends_on: [{ task_key: "register" }],
      notebook_task: { notebook_path: "/Shared/report" },
    },
  ],
});

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

describe("deployJob", () => {
  it("creates the job stamped with tags, the git_sha parameter and the trace flags", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const res = await deployJob(ws.client, ctx(), template());
    expect(res.action).toBe("created");
    expect(api.calls).toEqual(["list", "create"]);
    const stored = api.jobs.get(res.jobId) as Settings;
    expect(stored.tags).toMatchObject({
      team: "ml",
      [DEPLOY_TAGS.jobKey]: "train-churn-model",
      [DEPLOY_TAGS.gitSha]: SHA1,
      [DEPLOY_TAGS.ciProvider]: "github-actions",
      [DEPLOY_TAGS.ciRunId]: "9001",
    });
    expect(stored.tags?.[DEPLOY_TAGS.settingsHash]).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.parameters).toEqual([{ name: "git_sha", default: SHA1 }]);
    const [train, register, report] = stored.tasks as Array<Record<string, unknown>>;
    expect(
      ((train as Record<string, unknown>).spark_python_task as { parameters: string[] }).parameters,
    ).toEqual([
      "--epochs",
      "10",
      "--job-id={{job.id}}",
      "--job-run-id={{job.run_id}}",
      "--task-run-id={{task.run_id}}",
      "--task-key={{task.name}}",
      "--git-sha={{job.parameters.git_sha}}",
    ]);
    expect(
      (
        (register as Record<string, unknown>).python_wheel_task as {
          named_parameters: Record<string, string>;
        }
      ).named_parameters,
    ).toEqual({
      stage: "dev",
      ...TASK_TRACE_FLAGS,
    });
    expect(report?.notebook_task).toEqual({ notebook_path: "/Shared/report" });
  });

  it("a second deploy with the same input makes no write (unchanged)", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const first = await deployJob(ws.client, ctx(), template());
    api.calls.length = 0;
    const second = await deployJob(ws.client, ctx(), template());
    expect(second).toMatchObject({ jobId: first.jobId, action: "unchanged", changes: [] });
    expect(api.calls).toEqual(["list", "get"]);
  });

  it("a new CI run of the same commit changes nothing either (CI tags are not compared)", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    await deployJob(ws.client, ctx(SHA1, "9001"), template());
    const again = await deployJob(ws.client, ctx(SHA1, "9002", 2), template());
    expect(again.action).toBe("unchanged");
    expect(api.calls).not.toContain("reset");
  });

  it("a new commit resets the job and lists what changed", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const first = await deployJob(ws.client, ctx(SHA1), template());
    const res = await deployJob(ws.client, ctx(SHA2, "9002"), template());
    expect(res).toMatchObject({ jobId: first.jobId, action: "updated" });
    expect(res.changes).toEqual([
      `tags.git_sha: "${SHA1}" -> "${SHA2}"`,
      `parameters[git_sha].default: "${SHA1}" -> "${SHA2}"`,
    ]);
    expect(api.calls.filter((c) => c === "reset")).toHaveLength(1);
    expect(api.jobs.get(first.jobId)?.tags?.[DEPLOY_TAGS.ciRunId]).toBe("9002");
  });

  it("notices a removed field (the settings hash differs) and a task added or removed", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    await deployJob(ws.client, ctx(), template());
    const noSchedule = template();
    delete noSchedule.schedule;
    const res = await deployJob(ws.client, ctx(), noSchedule);
    expect(res.action).toBe("updated");
    expect(res.changes).toEqual(["settings differ from the last deploy (fields were removed)"]);
    const fewer = { ...noSchedule, tasks: noSchedule.tasks?.slice(0, 2) };
    expect((await deployJob(ws.client, ctx(), fewer)).changes).toEqual(["tasks[report] removed"]);
  });

  it("repairs drift made outside the deploy (a parameter edited in the UI)", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const first = await deployJob(ws.client, ctx(), template());
    const stored = api.jobs.get(first.jobId) as Settings;
    const trainTask = (stored.tasks as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    (trainTask.spark_python_task as { parameters: string[] }).parameters[1] = "99";
    const res = await deployJob(ws.client, ctx(), template());
    expect(res.action).toBe("updated");
    expect(res.changes).toEqual(['tasks[train].spark_python_task.parameters[1]: "99" -> "10"']);
  });

  it("adopts an untagged job with exactly the same name", async () => {
    const api = fakeJobsApi();
    api.jobs.set(42, { name: "train-churn-model", tasks: [{ task_key: "old" }] });
    api.jobs.set(43, { name: "TRAIN-CHURN-MODEL", tasks: [] }); // same name ignoring case: not adopted
    ws = await startWorkspace(api.handlers);
    const res = await deployJob(ws.client, ctx(), template());
    expect(res).toMatchObject({ jobId: 42, action: "updated" });
    expect(res.changes).toContain("tasks[old] removed");
    expect(api.jobs.get(42)?.tags?.[DEPLOY_TAGS.jobKey]).toBe("train-churn-model");
  });

  it("finds a renamed job by its explicit key", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const first = await deployJob(ws.client, ctx(), template(), { key: "churn" });
    const renamed = { ...template(), name: "churn-training" };
    const res = await deployJob(ws.client, ctx(), renamed, { key: "churn" });
    expect(res).toMatchObject({ jobId: first.jobId, action: "updated" });
    expect(res.changes).toContain('name: "train-churn-model" -> "churn-training"');
    expect(api.jobs.size).toBe(1);
  });

  it("keeps trace flags a task already passes and does not duplicate them", () => {
    const s = withTaskTraceParameters({
      tasks: [
        {
          task_key: "a",
          spark_python_task: { python_file: "a.py", parameters: ["--job-id", "7", "--git_sha=abc"] },
        },
      ],
    });
    expect(
      (s.tasks as Array<{ spark_python_task: { parameters: string[] } }>)[0]?.spark_python_task.parameters,
    ).toEqual([
      "--job-id",
      "7",
      "--git_sha=abc",
      "--job-run-id={{job.run_id}}",
      "--task-run-id={{task.run_id}}",
      "--task-key={{task.name}}",
    ]);
    expect(withTaskTraceParameters(s)).toEqual(s);
  });

  it("adds the trace flags to the task of a for_each_task", () => {
    const s = withTaskTraceParameters({
      tasks: [
        {
          task_key: "each",
          for_each_task: {
            inputs: "[1,2]",
            task: { task_key: "inner", spark_python_task: { python_file: "i.py" } },
          },
        },
      ],
    });
    const inner = (
      s.tasks as unknown as Array<{
        for_each_task: { task: { spark_python_task: { parameters: string[] } } };
      }>
    )[0];
    expect(inner?.for_each_task.task.spark_python_task.parameters).toHaveLength(5);
  });

  it("deploys a job with more than 100 tasks idempotently (paginated jobs/get)", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const big = {
      name: "big",
      tasks: Array.from({ length: 130 }, (_, i) => ({
        task_key: `t${i}`,
        spark_python_task: { python_file: `t${i}.py` },
      })),
    };
    await deployJob(ws.client, ctx(), big);
    api.calls.length = 0;
    const res = await deployJob(ws.client, ctx(), big);
    expect(res.action).toBe("unchanged");
    expect(api.calls).toEqual(["list", "get", "get"]);
  });

  it("deploys settings rendered from a template (dynamic references pass through)", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const { settings } = renderJobTemplate(DEPLOY_TEMPLATE, { ctx: ctx(), vars: { env: "dev" } });
    const res = await deployJob(ws.client, ctx(), settings);
    expect(res.action).toBe("created");
    const stored = api.jobs.get(res.jobId) as Settings;
    expect(stored.name).toBe("train-dev");
    const params = (
      ((stored.tasks as Array<Record<string, unknown>>)[0] as Record<string, unknown>).spark_python_task as {
        parameters: string[];
      }
    ).parameters;
    expect(params[0]).toBe(`--run-name=${SHA1}-{{job.run_id}}`);
    expect(params).toContain("--git-sha={{job.parameters.git_sha}}");
    expect((await deployJob(ws.client, ctx(), settings)).action).toBe("unchanged");
  });

  it("rejects settings without a name, a context without a commit, too many tags, duplicate keys", async () => {
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    await expect(deployJob(ws.client, ctx(), { tasks: [] })).rejects.toBeInstanceOf(ValidationError);
    await expect(deployJob(ws.client, { code: {} }, template())).rejects.toMatchObject({
      code: "CONFIG_ERROR",
      sources: ["GIT_SHA"],
    });
    const tags = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`t${i}`, "v"]));
    await expect(deployJob(ws.client, ctx(), { ...template(), tags })).rejects.toThrow(
      /26 tags; Databricks allows 25/,
    );
    api.jobs.set(1, { name: "train-churn-model", tags: { [DEPLOY_TAGS.jobKey]: "train-churn-model" } });
    api.jobs.set(2, { name: "train-churn-model", tags: { [DEPLOY_TAGS.jobKey]: "train-churn-model" } });
    await expect(deployJob(ws.client, ctx(), template())).rejects.toBeInstanceOf(ConfigError);
    expect(api.calls).not.toContain("create");
  });
});

describe("the README flow", () => {
  it("renders the README template, deploys it, and runs the deployed settings locally with the Python helper", async () => {
    const yaml = readmeTemplate();
    const tc = createTraceContext({
      code: { gitSha: SHA1 },
      ci: { provider: "github-actions", runId: "9001", runAttempt: "1" },
    });
    const { settings } = renderJobTemplate(yaml, { ctx: tc, vars: { env: "prod" } });
    const api = fakeJobsApi();
    ws = await startWorkspace(api.handlers);
    const deployed = await deployJob(ws.client, tc, settings);
    expect(deployed.action).toBe("created");

    const dir = mkdtempSync(join(tmpdir(), "mt-readme-flow-"));
    try {
      mkdirSync(join(dir, "src"));
      copyFileSync(
        new URL("../python/modeltrail_job_context.py", import.meta.url),
        join(dir, "src", "modeltrail_job_context.py"),
      );
      writeFileSync(
        join(dir, "src", "train.py"),
        [
          "import argparse, json",
          "from modeltrail_job_context import read_job_context, mlflow_tags",
          "ctx = read_job_context()",
          "p = argparse.ArgumentParser()",
          'p.add_argument("--epochs", type=int)',
          'p.add_argument("--env")',
          "args, _ = p.parse_known_args()",
          'print(json.dumps({"ctx": ctx, "tags": mlflow_tags(ctx), "env": args.env, "epochs": args.epochs}))',
        ].join("\n"),
      );
      let stdout = "";
      const runner = new LocalJobRunner({
        cwd: dir,
        env: { GIT_SHA: "" },
        onOutput: (c) => {
          if (c.stream === "stdout") stdout += c.chunk;
        },
      });
      const run = await runner.run(deployed.settings, { jobParameters: { env: "dev" } });
      expect(classifyRun(run)?.kind, JSON.stringify(run.state)).toBe("success");
      const printed = JSON.parse(stdout.trim().split("\n").at(-1) as string);
      expect(printed.env).toBe("dev");
      expect(printed.epochs).toBe(10);
      expect(printed.ctx.code.gitSha).toBe(SHA1);
      expect(printed.ctx.job.runId).toBe(String(run.run_id));
      expect(printed.ctx.job.taskKey).toBe("train");
      expect(printed.tags.DBR_JOB_ID).toBe(String(run.job_id));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
