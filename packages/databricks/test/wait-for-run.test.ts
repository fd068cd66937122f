import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortError, TimeoutError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { LocalJobRunner, type RunProgressEvent, waitForRun } from "../src/index.js";
import { type FakeWorkspace, fixture, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

/** Serves the fixtures in order, repeating the last one. */
function sequence(...names: Array<string | Record<string, unknown>>) {
  let i = 0;
  return http.get("*/api/2.2/jobs/runs/get", () => {
    const item = names[Math.min(i++, names.length - 1)] as string | Record<string, unknown>;
    return HttpResponse.json(typeof item === "string" ? fixture(item) : item);
  });
}

/** A fake clock advanced by the fake sleep. */
function fakeTime() {
  let now = 1_000_000;
  const delays: number[] = [];
  return {
    delays,
    clock: () => now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      delays.push(ms);
      now += ms;
    },
  };
}

describe("waitForRun outcomes", () => {
  const cases: Array<[string, string, string]> = [
    ["success", "runs-get-success.json", "success"],
    ["failed", "runs-get-failed.json", "failed"],
    ["canceled", "runs-get-canceled.json", "canceled"],
    ["run-level timeout", "runs-get-timedout.json", "timedout"],
    ["skipped", "runs-get-skipped.json", "skipped"],
    ["legacy state only (failed)", "runs-get-legacy-failed.json", "failed"],
  ];
  for (const [name, file, kind] of cases) {
    it(`returns ${kind} for a ${name} run`, async () => {
      ws = await startWorkspace([sequence("runs-get-queued.json", "runs-get-running.json", file)]);
      const t = fakeTime();
      const outcome = await waitForRun(ws.client, 455644833, { sleep: t.sleep, clock: t.clock });
      expect(outcome.kind).toBe(kind);
      expect(outcome.run.run_id).toBe(455644833);
      expect(outcome.stillRunning).toBeUndefined();
      expect(ws.server.requests).toHaveLength(3);
    });
  }

  it("explains a failure with the failed and upstream-failed tasks", async () => {
    ws = await startWorkspace([sequence("runs-get-failed.json")]);
    const outcome = await waitForRun(ws.client, 455644833);
    expect(outcome.code).toBe("RUN_EXECUTION_ERROR");
    expect(outcome.failedTasks.map((t) => [t.taskKey, t.state])).toEqual([
      ["train", "FAILED"],
      ["register", "UPSTREAM_FAILED"],
    ]);
    expect(outcome.message).toMatch(/Task train failed/);
    expect(outcome.message).toMatch(/task register UPSTREAM_FAILED/);
  });

  it("reports a timed-out run from its legacy TIMEDOUT result even though the code is CANCELED", async () => {
    ws = await startWorkspace([sequence("runs-get-timedout.json")]);
    const outcome = await waitForRun(ws.client, 455644833);
    expect(outcome).toMatchObject({ kind: "timedout", code: "CANCELED" });
    expect(outcome.message).toMatch(/^Run timed out\./);
    expect(outcome.failedTasks.map((t) => t.state)).toEqual(["TIMEDOUT", "TIMEDOUT"]);
  });
});

describe("waitForRun polling and progress", () => {
  it("backs off while nothing changes, resets after a change, and reports state changes", async () => {
    const running = "runs-get-running.json";
    ws = await startWorkspace([
      sequence("runs-get-queued.json", running, running, running, running, "runs-get-success.json"),
    ]);
    const t = fakeTime();
    const events: RunProgressEvent[] = [];
    await waitForRun(ws.client, 455644833, {
      sleep: t.sleep,
      clock: t.clock,
      pollIntervalMs: 1000,
      maxPollIntervalMs: 3000,
      backoffFactor: 2,
      onProgress: (e) => events.push(e),
    });
    // queued -> running (change: 1000), then unchanged: 2000, 3000 (capped), 3000
    expect(t.delays).toEqual([1000, 1000, 2000, 3000, 3000]);
    const runStates = events.filter((e) => e.type === "run-state").map((e) => [e.previousState, e.state]);
    expect(runStates).toEqual([
      [undefined, "QUEUED"],
      ["QUEUED", "RUNNING"],
      ["RUNNING", "TERMINATED"],
    ]);
    const first = events[0];
    expect(first?.type === "run-state" && first.message).toBe(
      "Queued due to reaching maximum concurrent runs of 1.",
    );
    const train = events
      .filter((e) => e.type === "task-state" && e.taskKey === "train")
      .map((e) => (e.type === "task-state" ? e.state : ""));
    expect(train).toEqual(["QUEUED", "RUNNING", "TERMINATED"]);
    const register = events
      .filter((e) => e.type === "task-state" && e.taskKey === "register")
      .map((e) => (e.type === "task-state" ? e.state : ""));
    expect(register).toEqual(["QUEUED", "BLOCKED", "TERMINATED"]);
  });

  it("keeps waiting through an unknown future state", async () => {
    const future = fixture("runs-get-running.json");
    future.status.state = "HIBERNATING";
    future.state.life_cycle_state = "HIBERNATING";
    ws = await startWorkspace([sequence(future, "runs-get-success.json")]);
    const t = fakeTime();
    const states: string[] = [];
    const outcome = await waitForRun(ws.client, 455644833, {
      sleep: t.sleep,
      clock: t.clock,
      onProgress: (e) => e.type === "run-state" && states.push(e.state),
    });
    expect(states).toEqual(["HIBERNATING", "TERMINATED"]);
    expect(outcome.kind).toBe("success");
  });

  it("ignores a throwing progress callback", async () => {
    ws = await startWorkspace([sequence("runs-get-success.json")]);
    const outcome = await waitForRun(ws.client, 1, {
      onProgress: () => {
        throw new Error("boom");
      },
    });
    expect(outcome.kind).toBe("success");
  });
});

describe("waitForRun timeout and abort", () => {
  it("throws TimeoutError when our own timeout passes while the run is still running", async () => {
    ws = await startWorkspace([sequence("runs-get-running.json")]);
    const t = fakeTime();
    const err = await waitForRun(ws.client, 455644833, {
      deadlineMs: 5000,
      sleep: t.sleep,
      clock: t.clock,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeoutMs: 5000 });
    expect((err as Error).message).toMatch(/still RUNNING/);
    expect(t.delays.reduce((a, b) => a + b, 0)).toBe(5000); // never sleeps past the deadline
    expect(ws.server.requests.every((r) => r.method === "GET")).toBe(true); // no cancel by default
  });

  it("returns a timedout outcome with stillRunning, and cancels, when asked to", async () => {
    ws = await startWorkspace([
      sequence("runs-get-running.json"),
      http.post("*/api/2.2/jobs/runs/cancel", () => HttpResponse.json({})),
    ]);
    const t = fakeTime();
    const events: RunProgressEvent[] = [];
    const outcome = await waitForRun(ws.client, 455644833, {
      deadlineMs: 3000,
      onTimeout: "return",
      cancelOnTimeout: true,
      sleep: t.sleep,
      clock: t.clock,
      onProgress: (e) => events.push(e),
    });
    expect(outcome).toMatchObject({ kind: "timedout", stillRunning: true });
    expect(events.at(-1)).toEqual({ type: "cancel-requested", runId: 455644833, reason: "timeout" });
    const cancel = ws.server.requests.find((r) => r.method === "POST");
    expect(JSON.parse(cancel?.body ?? "")).toEqual({ run_id: 455644833 });
  });

  it("a run that finishes during the last sleep is reported as finished, not timed out", async () => {
    ws = await startWorkspace([sequence("runs-get-running.json", "runs-get-success.json")]);
    const t = fakeTime();
    const outcome = await waitForRun(ws.client, 1, { deadlineMs: 500, sleep: t.sleep, clock: t.clock });
    expect(outcome.kind).toBe("success");
  });

  it("on abort cancels the run (cancelOnAbort) and throws AbortError", async () => {
    ws = await startWorkspace([
      sequence("runs-get-running.json"),
      http.post("*/api/2.2/jobs/runs/cancel", () => HttpResponse.json({})),
    ]);
    const controller = new AbortController();
    let polls = 0;
    const err = await waitForRun(ws.client, 455644833, {
      signal: controller.signal,
      cancelOnAbort: true,
      sleep: async (_ms, signal) => {
        if (++polls === 2) controller.abort(new Error("CI job cancelled"));
        signal?.throwIfAborted();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).message).toMatch(/cancellation was requested/);
    const posts = ws.server.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(1);
    expect(JSON.parse(posts[0]?.body ?? "")).toEqual({ run_id: 455644833 });
  });

  it("on abort without cancelOnAbort leaves the run alone", async () => {
    ws = await startWorkspace([sequence("runs-get-running.json")]);
    const controller = new AbortController();
    controller.abort();
    await expect(waitForRun(ws.client, 1, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    expect(ws.server.requests).toHaveLength(0);
  });

  it("propagates NotFoundError for an unknown run", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/runs/get", () =>
        HttpResponse.json(fixture("errors/run-does-not-exist.json"), { status: 400 }),
      ),
    ]);
    await expect(waitForRun(ws.client, 123456)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("waitForRun with a LocalJobRunner", () => {
  it("waits for a local run the same way (same Run shape, same outcome)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mt-wait-local-"));
    try {
      writeFileSync(join(dir, "ok.mjs"), "console.log('ok', process.argv.slice(2).join(' '));\n");
      writeFileSync(join(dir, "fail.mjs"), "process.exit(3);\n");
      const runner = new LocalJobRunner({ cwd: dir });
      const settings = {
        name: "local",
        tasks: [
          {
            task_key: "a",
            spark_python_task: { python_file: "ok.mjs", parameters: ["--job-run-id={{job.run_id}}"] },
          },
          { task_key: "b", depends_on: [{ task_key: "a" }], spark_python_task: { python_file: "fail.mjs" } },
          { task_key: "c", depends_on: [{ task_key: "b" }], spark_python_task: { python_file: "ok.mjs" } },
        ],
      };
      const run = runner.start(settings);
      const states: string[] = [];
      const outcome = await waitForRun(runner, run.runId, {
        pollIntervalMs: 20,
        maxPollIntervalMs: 50,
        deadlineMs: 60_000,
        onProgress: (e) => e.type === "task-state" && states.push(`${e.taskKey}:${e.state}`),
      });
      expect(outcome.kind).toBe("failed");
      expect(outcome.failedTasks.map((t) => [t.taskKey, t.state])).toEqual([
        ["b", "FAILED"],
        ["c", "UPSTREAM_FAILED"],
      ]);
      expect(states).toContain("a:TERMINATED");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
