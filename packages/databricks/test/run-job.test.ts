import { createTraceContext } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_IDEMPOTENCY_TOKEN_LENGTH, runIdempotencyToken, runJob } from "../src/index.js";
import { type FakeWorkspace, fixture, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ctx = (over: { runId?: string; attempt?: number; sha?: string; provider?: string } = {}) => ({
  code: { gitSha: over.sha ?? SHA },
  ci: {
    provider: over.provider ?? "github-actions",
    runId: over.runId ?? "9001",
    runAttempt: over.attempt ?? 1,
  },
});

describe("runIdempotencyToken", () => {
  it("is stable for the same context, job and parameters (whatever their order)", () => {
    const a = runIdempotencyToken(ctx(), { jobId: 7, jobParameters: { a: "1", b: "2" }, only: ["x", "y"] });
    const b = runIdempotencyToken(ctx(), { jobId: 7, jobParameters: { b: "2", a: "1" }, only: ["y", "x"] });
    expect(a).toBe(b);
    expect(a).toMatch(/^mt1-[A-Za-z0-9_-]{43}$/);
    expect(a?.length).toBeLessThanOrEqual(MAX_IDEMPOTENCY_TOKEN_LENGTH);
  });

  it("changes with the attempt, run id, provider, commit, job, parameters and only", () => {
    const base = runIdempotencyToken(ctx(), { jobId: 7 });
    const variants = [
      runIdempotencyToken(ctx({ attempt: 2 }), { jobId: 7 }),
      runIdempotencyToken(ctx({ runId: "9002" }), { jobId: 7 }),
      runIdempotencyToken(ctx({ provider: "gitlab-ci" }), { jobId: 7 }),
      runIdempotencyToken(ctx({ sha: "f".repeat(40) }), { jobId: 7 }),
      runIdempotencyToken(ctx(), { jobId: 8 }),
      runIdempotencyToken(ctx(), { jobId: 7, jobParameters: { a: "1" } }),
      runIdempotencyToken(ctx(), { jobId: 7, only: ["train"] }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it("accepts a core TraceContext", () => {
    const tc = createTraceContext({
      code: { gitSha: SHA },
      ci: { provider: "github-actions", runId: "9001", runAttempt: "1" },
    });
    expect(runIdempotencyToken(tc, { jobId: 7 })).toBe(runIdempotencyToken(ctx(), { jobId: 7 }));
  });

  it("is undefined outside CI (no run id)", () => {
    expect(runIdempotencyToken({ code: { gitSha: SHA } }, { jobId: 7 })).toBeUndefined();
  });
});

describe("runJob", () => {
  it("sends the derived token; a retried CI step gets the same run back", async () => {
    const byToken = new Map<string, number>();
    let nextRun = 455644833;
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/run-now", async ({ request }) => {
        const body = (await request.json()) as { idempotency_token?: string };
        const token = body.idempotency_token ?? "";
        if (!byToken.has(token)) byToken.set(token, nextRun++);
        const runId = byToken.get(token) as number;
        return HttpResponse.json({ run_id: runId, number_in_job: runId });
      }),
      http.get("*/api/2.2/jobs/runs/get", ({ request }) =>
        HttpResponse.json({
          ...fixture("runs-get-running.json"),
          run_id: Number(new URL(request.url).searchParams.get("run_id")),
        }),
      ),
    ]);
    const first = await runJob(ws.client, ctx(), 11223344, { jobParameters: { env: "dev" } });
    const retried = await runJob(ws.client, ctx(), 11223344, { jobParameters: { env: "dev" } });
    const nextAttempt = await runJob(ws.client, ctx({ attempt: 2 }), 11223344, {
      jobParameters: { env: "dev" },
    });
    expect(retried.runId).toBe(first.runId);
    expect(retried.idempotencyToken).toBe(first.idempotencyToken);
    expect(nextAttempt.runId).not.toBe(first.runId);
    expect(first.run.run_id).toBe(first.runId);
    const sent = JSON.parse(ws.server.requests[0]?.body ?? "");
    expect(sent).toEqual({
      job_id: 11223344,
      job_parameters: { env: "dev" },
      idempotency_token: first.idempotencyToken,
    });
  });

  it("retries run-now after a 503 because the token makes it safe", async () => {
    let n = 0;
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/run-now", () =>
        ++n === 1
          ? HttpResponse.json(fixture("errors/temporarily-unavailable.json"), { status: 503 })
          : HttpResponse.json(fixture("jobs-run-now.json")),
      ),
      http.get("*/api/2.2/jobs/runs/get", () => HttpResponse.json(fixture("runs-get-running.json"))),
    ]);
    const res = await runJob(ws.client, ctx(), 11223344);
    expect(res.runId).toBe(455644833);
    expect(n).toBe(2);
  });

  it("sends no token outside CI or with idempotencyToken: false", async () => {
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/run-now", () => HttpResponse.json(fixture("jobs-run-now.json"))),
      http.get("*/api/2.2/jobs/runs/get", () => HttpResponse.json(fixture("runs-get-running.json"))),
    ]);
    await runJob(ws.client, { code: { gitSha: SHA } }, 1);
    await runJob(ws.client, ctx(), 1, { idempotencyToken: false });
    const posts = ws.server.requests.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body));
    expect(posts).toEqual([{ job_id: 1 }, { job_id: 1 }]);
  });

  it("with wait returns the outcome", async () => {
    let polls = 0;
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/run-now", () => HttpResponse.json(fixture("jobs-run-now.json"))),
      http.get("*/api/2.2/jobs/runs/get", () =>
        HttpResponse.json(fixture(++polls < 2 ? "runs-get-running.json" : "runs-get-failed.json")),
      ),
    ]);
    const res = await runJob(ws.client, ctx(), 11223344, {
      only: ["train"],
      wait: { sleep: async () => {} },
    });
    expect(res.outcome?.kind).toBe("failed");
    expect(res.run.run_id).toBe(455644833);
    expect(JSON.parse(ws.server.requests[0]?.body ?? "").only).toEqual(["train"]);
  });
});
