import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeWorkspace, fixture, queryOf, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

function task(i: number) {
  return {
    task_key: `t${i}`,
    run_if: "ALL_SUCCESS",
    spark_python_task: { python_file: `t${i}.py`, source: "GIT" },
    timeout_seconds: 0,
    email_notifications: {},
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** A 230-task job served as 3 pages, the way API 2.2 pages jobs/get. */
function pagedJob(pageToken: string | null) {
  const base = fixture("jobs-get.json");
  if (pageToken === null) {
    base.settings.tasks = range(0, 100).map(task);
    base.settings.environments = [{ environment_key: "e0", spec: { client: "1" } }];
    base.next_page_token = "page-2";
    return base;
  }
  if (pageToken === "page-2") {
    return {
      job_id: base.job_id,
      settings: {
        tasks: range(100, 200).map(task),
        job_clusters: [{ job_cluster_key: "extra_cluster", new_cluster: { num_workers: 1 } }],
        parameters: [{ name: "p2", default: "x" }],
        environments: [{ environment_key: "e1", spec: { client: "1" } }],
      },
      next_page_token: "page-3",
    };
  }
  return { job_id: base.job_id, settings: { tasks: range(200, 230).map(task) } };
}

describe("jobs.get", () => {
  it("follows next_page_token and merges tasks, job clusters, parameters and environments", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/get", ({ request }) =>
        HttpResponse.json(pagedJob(new URL(request.url).searchParams.get("page_token"))),
      ),
    ]);
    const job = await ws.client.jobs.get(11223344);
    const s = job.settings;
    expect(s?.tasks?.map((t) => t.task_key)).toEqual(range(0, 230).map((i) => `t${i}`));
    expect(s?.job_clusters?.map((c) => c.job_cluster_key)).toEqual(["train_cluster", "extra_cluster"]);
    expect(s?.parameters?.map((p) => p.name)).toEqual(["env", "p2"]);
    expect(s?.environments?.map((e) => e.environment_key)).toEqual(["e0", "e1"]);
    expect(job.next_page_token).toBeUndefined();
    // unknown fields survive
    expect((s as Record<string, unknown>).git_source).toMatchObject({ git_provider: "gitHub" });
    expect(ws.server.requests.map((r) => queryOf(r.path).get("page_token"))).toEqual([
      null,
      "page-2",
      "page-3",
    ]);
  });

  it("stops on a page token loop", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/get", () =>
        HttpResponse.json({ ...fixture("jobs-get.json"), next_page_token: "same" }),
      ),
    ]);
    await expect(ws.client.jobs.get(1)).rejects.toThrow(/page token "same" twice/);
  });
});

describe("jobs.list", () => {
  it("iterates over all pages lazily with the name filter and expand_tasks", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/list", ({ request }) => {
        const token = new URL(request.url).searchParams.get("page_token");
        return HttpResponse.json(fixture(token ? "jobs-list-page2.json" : "jobs-list-page1.json"));
      }),
    ]);
    const ids: number[] = [];
    for await (const job of ws.client.jobs.list({ name: "train-churn-model", expandTasks: true }))
      ids.push(job.job_id);
    expect(ids).toEqual([1001, 1002, 1003]);
    const q1 = queryOf(ws.server.requests[0]?.path ?? "");
    expect(q1.get("name")).toBe("train-churn-model");
    expect(q1.get("expand_tasks")).toBe("true");
    expect(q1.get("limit")).toBe("100");
    expect(queryOf(ws.server.requests[1]?.path ?? "").get("page_token")).toBe("CAEomPuciYcxMKbM9JvMlwU=");
  });

  it("fetches only the pages that are consumed", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/list", () => HttpResponse.json(fixture("jobs-list-page1.json"))),
    ]);
    for await (const job of ws.client.jobs.list()) {
      expect(job.job_id).toBe(1001);
      break;
    }
    expect(ws.server.requests).toHaveLength(1);
  });

  it("handles an empty workspace (no jobs field)", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/list", () => HttpResponse.json({ has_more: false })),
    ]);
    const all = [];
    for await (const job of ws.client.jobs.list()) all.push(job);
    expect(all).toEqual([]);
  });
});

describe("jobs writes", () => {
  it("create, reset, update and delete send the documented bodies", async () => {
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/create", () => HttpResponse.json(fixture("jobs-create.json"))),
      http.post("*/api/2.2/jobs/reset", () => HttpResponse.json(fixture("empty.json"))),
      http.post("*/api/2.2/jobs/update", () => HttpResponse.json(fixture("empty.json"))),
      http.post("*/api/2.2/jobs/delete", () => HttpResponse.json(fixture("empty.json"))),
    ]);
    const settings = { name: "n", tasks: [{ task_key: "a" }] };
    expect(await ws.client.jobs.create(settings)).toBe(11223344);
    await ws.client.jobs.reset(11223344, settings);
    await ws.client.jobs.update(11223344, {
      newSettings: { max_concurrent_runs: 2 },
      fieldsToRemove: ["schedule"],
    });
    await ws.client.jobs.delete(11223344);
    const bodies = ws.server.requests.map((r) => [
      r.method,
      new URL(r.path, "http://x").pathname,
      JSON.parse(r.body),
    ]);
    expect(bodies).toEqual([
      ["POST", "/api/2.2/jobs/create", settings],
      ["POST", "/api/2.2/jobs/reset", { job_id: 11223344, new_settings: settings }],
      [
        "POST",
        "/api/2.2/jobs/update",
        { job_id: 11223344, new_settings: { max_concurrent_runs: 2 }, fields_to_remove: ["schedule"] },
      ],
      ["POST", "/api/2.2/jobs/delete", { job_id: 11223344 }],
    ]);
  });

  it("reset is retried on 503 (it is idempotent)", async () => {
    let n = 0;
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/reset", () =>
        ++n === 1
          ? HttpResponse.json(fixture("errors/temporarily-unavailable.json"), { status: 503 })
          : HttpResponse.json({}),
      ),
    ]);
    await ws.client.jobs.reset(1, { name: "n" });
    expect(n).toBe(2);
  });
});

describe("jobs.runNow", () => {
  it("sends job_parameters, only, queue and the idempotency token, and retries with a token", async () => {
    let n = 0;
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/run-now", () =>
        ++n === 1
          ? HttpResponse.json(fixture("errors/temporarily-unavailable.json"), {
              status: 503,
              headers: { "retry-after": "1" },
            })
          : HttpResponse.json(fixture("jobs-run-now.json")),
      ),
    ]);
    const res = await ws.client.jobs.runNow(11223344, {
      jobParameters: { git_sha: "abc" },
      only: ["train"],
      idempotencyToken: "tok-1",
      queue: true,
    });
    expect(res).toMatchObject({ run_id: 455644833, number_in_job: 455644833 });
    expect(ws.sleeps).toEqual([1000]);
    for (const r of ws.server.requests)
      expect(JSON.parse(r.body)).toEqual({
        job_id: 11223344,
        job_parameters: { git_sha: "abc" },
        only: ["train"],
        idempotency_token: "tok-1",
        queue: { enabled: true },
      });
  });

  it("is not retried without an idempotency token", async () => {
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/run-now", () =>
        HttpResponse.json(fixture("errors/temporarily-unavailable.json"), { status: 503 }),
      ),
    ]);
    await expect(ws.client.jobs.runNow(1)).rejects.toMatchObject({ code: "SERVER_ERROR" });
    expect(ws.server.requests).toHaveLength(1);
  });
});
