/**
 * Numbers and ids are validated before anything is sent: a NaN, negative, fractional or unsafe job or
 * run id, or an idempotency token over Databricks' 64 characters, is a ValidationError naming the
 * argument, and the fake workspace receives no request at all (runJob(c, ctx, NaN) used to send
 * `{"job_id": null}`).
 */
import { createTraceContext, ValidationError } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DatabricksClient,
  deployJob,
  MAX_IDEMPOTENCY_TOKEN_LENGTH,
  runJob,
  waitForRun,
} from "../src/index.js";
import { type FakeWorkspace, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace;
beforeAll(async () => {
  ws = await startWorkspace([]); // no handlers: any request that got through would be recorded
});
afterAll(() => ws.close());

const BAD_IDS: Array<[string, unknown, RegExp]> = [
  ["NaN", Number.NaN, /got NaN/],
  ["negative", -5, /positive/],
  ["zero", 0, /positive/],
  ["fractional", 1.5, /integer/],
  ["unsafe", 2 ** 53, /MAX_SAFE_INTEGER/],
  ["infinite", Number.POSITIVE_INFINITY, /finite/],
  ["a string", "123", /must be a number, got string/],
  ["null", null, /got null/],
  ["undefined", undefined, /got undefined/],
];

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ctx = createTraceContext({ code: { gitSha: SHA }, ci: { provider: "github-actions", runId: "9001" } });

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) break;
}

/** Every public call that takes a job or run id, with the argument's name (`?`: optional, undefined is fine). */
const ID_CALLS: Array<[string, string, (c: DatabricksClient, id: number) => Promise<unknown>]> = [
  ["jobs.get", "jobId", (c, id) => c.jobs.get(id)],
  ["jobs.getPage", "jobId", (c, id) => c.jobs.getPage(id)],
  ["jobs.reset", "jobId", (c, id) => c.jobs.reset(id, { name: "x" })],
  ["jobs.update", "jobId", (c, id) => c.jobs.update(id, { newSettings: { name: "x" } })],
  ["jobs.delete", "jobId", (c, id) => c.jobs.delete(id)],
  ["jobs.runNow", "jobId", (c, id) => c.jobs.runNow(id)],
  ["runs.get", "runId", (c, id) => c.runs.get(id)],
  ["runs.getPage", "runId", (c, id) => c.runs.getPage(id)],
  ["runs.getOutput", "runId", (c, id) => c.runs.getOutput(id)],
  ["runs.cancel", "runId", (c, id) => c.runs.cancel(id)],
  ["runs.list({ jobId })", "jobId?", async (c, id) => drain(c.runs.list({ jobId: id }))],
  ["runJob", "jobId", (c, id) => runJob(c, ctx, id)],
  ["waitForRun", "runId", (c, id) => waitForRun(c, id)],
  ["deployJob({ jobId })", "jobId?", (c, id) => deployJob(c, ctx, { name: "j", tasks: [] }, { jobId: id })],
];

async function validationError(run: () => Promise<unknown>): Promise<ValidationError> {
  let err: unknown;
  try {
    await run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe("ids are checked before anything is sent", () => {
  for (const [name, spec, call] of ID_CALLS) {
    const argument = spec.replace("?", "");
    it(name, async () => {
      for (const [what, id, message] of BAD_IDS) {
        if (id === undefined && spec.endsWith("?")) continue;
        const err = await validationError(() => call(ws.client, id as number));
        expect(err.issues, `${name} with ${what}`).toEqual([
          { path: argument, message: expect.stringMatching(message) },
        ]);
        expect(err.message).toMatch(/nothing was sent/);
      }
      expect(ws.server.requests).toEqual([]);
    });
  }
});

describe("idempotency tokens and page sizes are checked before anything is sent", () => {
  const tooLong = "t".repeat(MAX_IDEMPOTENCY_TOKEN_LENGTH + 1);

  it("runJob and jobs.runNow refuse a token over 64 characters, an empty one, a non-string", async () => {
    for (const token of [tooLong, "", 42]) {
      const a = await validationError(() => runJob(ws.client, ctx, 7, { idempotencyToken: token as string }));
      expect(a.issues[0]?.path).toBe("idempotencyToken");
      await validationError(() => ws.client.jobs.runNow(7, { idempotencyToken: token as string }));
    }
    const err = await validationError(() => runJob(ws.client, ctx, 7, { idempotencyToken: tooLong }));
    expect(err.issues[0]?.message).toBe("is 65 characters long; Databricks accepts at most 64");
    expect(ws.server.requests).toEqual([]);
  });

  it("runs.submit checks the option and a token inside the request", async () => {
    await validationError(() => ws.client.runs.submit({ tasks: [] }, { idempotencyToken: tooLong }));
    const inside = await validationError(() =>
      ws.client.runs.submit({ tasks: [], idempotency_token: tooLong }),
    );
    expect(inside.issues[0]?.path).toBe("request.idempotency_token");
    expect(ws.server.requests).toEqual([]);
  });

  it("list page sizes and times must be in range", async () => {
    for (const limit of [0, 101, 2.5, Number.NaN]) {
      await validationError(async () => drain(ws.client.jobs.list({ limit })));
    }
    for (const limit of [0, 26]) await validationError(async () => drain(ws.client.runs.list({ limit })));
    await validationError(async () => drain(ws.client.runs.list({ startTimeFrom: -1 })));
    await validationError(async () => drain(ws.client.runs.list({ startTimeTo: 1.5 })));
    expect(ws.server.requests).toEqual([]);
  });

  it("a valid token of exactly 64 characters and false (no token) are accepted by the checks", async () => {
    // the fake has no handlers, so the request itself fails: what matters is that it was sent
    const exact = "t".repeat(MAX_IDEMPOTENCY_TOKEN_LENGTH);
    const err = await ws.client.jobs
      .runNow(7, { idempotencyToken: exact, retry: { maxRetries: 0 } })
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ValidationError);
    expect(ws.server.requests.at(-1)?.body).toContain(`"idempotency_token":"${exact}"`);
  });
});
