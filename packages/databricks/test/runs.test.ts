import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { classifyRun, runLifecycleState } from "../src/index.js";
import { type FakeWorkspace, fixture, queryOf, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
const taskRun = (i: number) => ({
  task_key: `t${i}`,
  run_id: 5000 + i,
  state: { life_cycle_state: "TERMINATED", result_state: "SUCCESS", user_cancelled_or_timedout: false },
  status: { state: "TERMINATED", termination_details: { code: "SUCCESS", type: "SUCCESS", message: "" } },
});

describe("runs.get", () => {
  it("merges 2.2 task pages (more than 100 tasks), job clusters, job parameters and repair history", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/runs/get", ({ request }) => {
        const token = new URL(request.url).searchParams.get("page_token");
        const first = fixture("runs-get-success.json");
        if (!token)
          return HttpResponse.json({
            ...first,
            tasks: range(0, 100).map(taskRun),
            repair_history: [{ type: "ORIGINAL", id: 1 }],
            next_page_token: "runs-p2",
          });
        return HttpResponse.json({
          run_id: first.run_id,
          tasks: range(100, 150).map(taskRun),
          job_clusters: [{ job_cluster_key: "c2" }],
          job_parameters: [{ name: "p2", default: "b" }],
          repair_history: [{ type: "REPAIR", id: 2 }],
        });
      }),
    ]);
    const run = await ws.client.runs.get(455644833, { includeHistory: true });
    expect(run.tasks?.map((t) => t.task_key)).toEqual(range(0, 150).map((i) => `t${i}`));
    expect(run.job_parameters?.map((p) => p.name)).toEqual(["git_sha", "p2"]);
    expect(run.job_clusters?.map((c) => c.job_cluster_key)).toEqual(["c2"]);
    expect(run.repair_history).toHaveLength(2);
    expect(run.next_page_token).toBeUndefined();
    const q = queryOf(ws.server.requests[1]?.path ?? "");
    expect(q.get("page_token")).toBe("runs-p2");
    expect(q.get("include_history")).toBe("true");
    expect(classifyRun(run)?.kind).toBe("success");
  });

  it("merges for-each iterations instead of tasks when the first page has iterations", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/runs/get", ({ request }) => {
        const token = new URL(request.url).searchParams.get("page_token");
        if (!token)
          return HttpResponse.json({
            run_id: 7,
            tasks: [taskRun(0)],
            iterations: range(0, 100).map(taskRun),
            next_page_token: "it-2",
          });
        return HttpResponse.json({
          run_id: 7,
          tasks: [taskRun(0)],
          iterations: range(100, 120).map(taskRun),
        });
      }),
    ]);
    const run = await ws.client.runs.get(7);
    expect(run.iterations).toHaveLength(120);
    expect(run.tasks).toHaveLength(1);
  });

  it("tolerates unknown enum values and fields (a future state or termination code)", async () => {
    const future = fixture("runs-get-running.json");
    future.status = { state: "HIBERNATING", future_field: { x: 1 } };
    future.state.life_cycle_state = "HIBERNATING";
    future.tasks[0].status = {
      state: "TERMINATED",
      termination_details: { code: "QUANTUM_FLUX", type: "SUCCESS" },
    };
    ws = await startWorkspace([http.get("*/api/2.2/jobs/runs/get", () => HttpResponse.json(future))]);
    const run = await ws.client.runs.get(455644833);
    expect(runLifecycleState(run)).toBe("HIBERNATING");
    expect((run.status as Record<string, unknown>).future_field).toEqual({ x: 1 });
    expect(classifyRun(run)).toBeUndefined(); // not terminal: keep waiting
  });
});

describe("runs writes and reads", () => {
  it("submit, cancel and get-output use the documented shapes", async () => {
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/runs/submit", () => HttpResponse.json(fixture("runs-submit.json"))),
      http.post("*/api/2.2/jobs/runs/cancel", () => HttpResponse.json(fixture("empty.json"))),
      http.get("*/api/2.2/jobs/runs/get-output", () => HttpResponse.json(fixture("runs-get-output.json"))),
    ]);
    const runId = await ws.client.runs.submit(
      { run_name: "one-off", tasks: [{ task_key: "a", spark_python_task: { python_file: "a.py" } }] },
      { idempotencyToken: "sub-1" },
    );
    expect(runId).toBe(455644834);
    await ws.client.runs.cancel(runId);
    const out = await ws.client.runs.getOutput(2112892);
    expect(out.error).toBe("ValueError: training data is empty");
    expect(out.metadata?.run_id).toBe(2112892);
    expect(JSON.parse(ws.server.requests[0]?.body ?? "")).toMatchObject({
      run_name: "one-off",
      idempotency_token: "sub-1",
    });
    expect(JSON.parse(ws.server.requests[1]?.body ?? "")).toEqual({ run_id: 455644834 });
    expect(queryOf(ws.server.requests[2]?.path ?? "").get("run_id")).toBe("2112892");
  });

  it("submit with a token is retried on 503, without one it is not", async () => {
    let n = 0;
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/runs/submit", () =>
        ++n % 2 === 1
          ? HttpResponse.json(fixture("errors/temporarily-unavailable.json"), { status: 503 })
          : HttpResponse.json(fixture("runs-submit.json")),
      ),
    ]);
    await ws.client.runs.submit({ run_name: "x" }, { idempotencyToken: "t" });
    expect(n).toBe(2);
    await expect(ws.client.runs.submit({ run_name: "x" })).rejects.toMatchObject({ status: 503 });
    expect(n).toBe(3);
  });

  it("list iterates pages with filters", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/runs/list", ({ request }) =>
        new URL(request.url).searchParams.get("page_token")
          ? HttpResponse.json({ runs: [{ run_id: 2, job_id: 11223344 }], has_more: false })
          : HttpResponse.json(fixture("runs-list.json")),
      ),
    ]);
    const ids: number[] = [];
    for await (const run of ws.client.runs.list({ jobId: 11223344, activeOnly: true, expandTasks: true }))
      ids.push(run.run_id);
    expect(ids).toEqual([455644833, 2]);
    const q = queryOf(ws.server.requests[0]?.path ?? "");
    expect(Object.fromEntries(q)).toEqual({
      job_id: "11223344",
      active_only: "true",
      expand_tasks: "true",
      limit: "25",
    });
  });
});
