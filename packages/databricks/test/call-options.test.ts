/**
 * Every public method of the Databricks Jobs client (and the functions built on it: runJob,
 * deployJob, waitForRun) passes the caller's per-call options (signal, timeoutMs, deadlineMs, retry,
 * headers, maxResponseBytes, onRequest) to every request it makes. The tables are typed
 * `Record<PublicMethodName<Api>, ...>`: a public method added without a row fails the typecheck.
 */
import type { CallOptions } from "@modeltrail/core";
import {
  callOptionsProbe,
  expectAbortReachesTransport,
  expectProbeReachedTransport,
  type PublicMethodName,
  recordTransport,
} from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, it } from "vitest";
import { deployJob, type JobsApi, type RunsApi, runJob, waitForRun } from "../src/index.js";
import { type FakeWorkspace, fixture, startWorkspace } from "./client-test-helpers.js";

const API = "*/api/2.2/jobs";
const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A workspace answering every Jobs API 2.2 endpoint with its documented fixture. */
const handlers = [
  http.post(`${API}/create`, () => HttpResponse.json(fixture("jobs-create.json"))),
  http.post(`${API}/reset`, () => HttpResponse.json({})),
  http.post(`${API}/update`, () => HttpResponse.json({})),
  http.post(`${API}/delete`, () => HttpResponse.json({})),
  http.get(`${API}/get`, () => HttpResponse.json(fixture("jobs-get.json"))),
  http.get(`${API}/list`, ({ request }) =>
    HttpResponse.json(
      fixture(
        new URL(request.url).searchParams.get("page_token") ? "jobs-list-page2.json" : "jobs-list-page1.json",
      ),
    ),
  ),
  http.post(`${API}/run-now`, () => HttpResponse.json(fixture("jobs-run-now.json"))),
  http.post(`${API}/runs/submit`, () => HttpResponse.json(fixture("runs-submit.json"))),
  http.get(`${API}/runs/get`, () => HttpResponse.json(fixture("runs-get-success.json"))),
  http.get(`${API}/runs/get-output`, () => HttpResponse.json(fixture("runs-get-output.json"))),
  http.post(`${API}/runs/cancel`, () => HttpResponse.json({})),
  http.get(`${API}/runs/list`, ({ request }) =>
    HttpResponse.json(
      new URL(request.url).searchParams.get("page_token")
        ? { runs: [], has_more: false }
        : fixture("runs-list.json"),
    ),
  ),
];

type Call = (options: CallOptions) => Promise<unknown>;

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

let ws: FakeWorkspace;
const jobs = (): JobsApi => ws.client.jobs;
const runs = (): RunsApi => ws.client.runs;

const jobRows: Record<PublicMethodName<JobsApi>, Call> = {
  create: (o) => jobs().create({ name: "probe", tasks: [] }, o),
  reset: (o) => jobs().reset(11223344, { name: "probe" }, o),
  update: (o) => jobs().update(11223344, { ...o, newSettings: { name: "probe" } }),
  getPage: (o) => jobs().getPage(11223344, undefined, o),
  get: (o) => jobs().get(11223344, o),
  list: (o) => drain(jobs().list({ ...o, name: "probe" })),
  delete: (o) => jobs().delete(11223344, o),
  runNow: (o) => jobs().runNow(11223344, { ...o, idempotencyToken: "probe-token" }),
};

const runRows: Record<PublicMethodName<RunsApi>, Call> = {
  submit: (o) => runs().submit({ run_name: "probe", tasks: [] }, { ...o, idempotencyToken: "probe-token" }),
  getPage: (o) => runs().getPage(455644833, undefined, o),
  get: (o) => runs().get(455644833, { ...o, includeHistory: true }),
  getOutput: (o) => runs().getOutput(455644833, o),
  cancel: (o) => runs().cancel(455644833, o),
  list: (o) => drain(runs().list({ ...o, jobId: 11223344 })),
};

/** The functions that take a client, by name. */
const functionRows: Record<"runJob" | "deployJob" | "waitForRun", Call> = {
  runJob: (o) =>
    runJob(
      ws.client,
      { code: { gitSha: SHA }, ci: { provider: "github-actions", runId: "9001" } },
      11223344,
      {
        ...o,
        wait: { pollIntervalMs: 1 },
      },
    ),
  deployJob: (o) =>
    deployJob(
      ws.client,
      { code: { gitSha: SHA } },
      { name: "probe", tasks: [{ task_key: "t", spark_python_task: { python_file: "t.py" } }] },
      o,
    ),
  waitForRun: (o) => waitForRun(ws.client, 455644833, { ...o, pollIntervalMs: 1 }),
};

const TABLES: Array<[string, Record<string, Call>]> = [
  ["jobs", jobRows],
  ["runs", runRows],
  ["functions", functionRows],
];

describe("every Databricks Jobs method passes the caller's per-call options to the transport", () => {
  beforeAll(async () => {
    ws = await startWorkspace(handlers);
  });
  afterAll(async () => {
    await ws.close();
  });

  for (const [api, rows] of TABLES) {
    for (const [method, call] of Object.entries(rows)) {
      const label = `${api}.${method}`;
      it(`${label}: every per-call option (signal, timeoutMs, deadlineMs, retry, headers, maxResponseBytes, onRequest) reaches every request`, async () => {
        const probe = callOptionsProbe();
        const { calls } = await recordTransport(() => call(probe.options));
        expectProbeReachedTransport(label, calls, probe, "databricks");
        await expectAbortReachesTransport(label, call);
      });
    }
  }
});
