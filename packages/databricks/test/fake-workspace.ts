import { readFileSync } from "node:fs";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http, type RequestHandler } from "msw";

/**
 * The fake Databricks workspace the Jobs client is proven against: msw handlers that answer the Jobs API
 * 2.2 endpoints with the committed fixtures (test/fixtures/api), as a workspace would, on a loopback port.
 * The fixtures are checked against Databricks' own Python SDK (sdk-fake-workspace.int.test.ts), so what
 * the fake serves is what the real service sends.
 *
 * - Job 11223344 exists (jobs-get.json); other ids are "does not exist" (400 INVALID_PARAMETER_VALUE, as
 *   Databricks answers). The jobs and runs listings have two pages, and so do jobs/get of job 11223366 and
 *   runs/get of run 455644835 (their arrays continue on the second page).
 * - Run 455644833 (what jobs/run-now and runs/list return) goes through the run fixtures of the current
 *   scenario one poll at a time, staying at the last: queued, running, then success by default.
 * - Job ids in {@link ERROR_JOBS} answer jobs/get with an error fixture; retryable ones fail once, then
 *   succeed, as a busy workspace does.
 */

const FIXTURES = new URL("./fixtures/api/", import.meta.url);

/** A fresh copy of a committed fixture. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are arbitrary JSON
export function apiFixture(name: string): any {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
}

/** The job that exists in the fake workspace. */
export const FAKE_JOB_ID = 11223344;
/** The run that jobs/run-now starts and runs/get follows. */
export const FAKE_RUN_ID = 455644833;
/** The run runs/submit starts. */
export const FAKE_SUBMITTED_RUN_ID = 455644834;
/** A job whose jobs/get answer comes in two pages (jobs-get-paged-1.json, -2.json). */
export const PAGED_JOB_ID = 11223366;
/** A run whose runs/get answer comes in two pages (runs-get-paged-1.json, -2.json). */
export const PAGED_RUN_ID = 455644835;
/** A run id that does not exist. */
export const MISSING_RUN_ID = 123456;
/** A job id that does not exist. */
export const MISSING_JOB_ID = 987654;

/** The run fixtures a run goes through, by scenario name. */
export const RUN_SCENARIOS: Readonly<Record<string, readonly string[]>> = {
  success: ["runs-get-queued.json", "runs-get-running.json", "runs-get-success.json"],
  failed: ["runs-get-queued.json", "runs-get-running.json", "runs-get-failed.json"],
  "legacy-failed": ["runs-get-running.json", "runs-get-legacy-failed.json"],
  canceled: ["runs-get-running.json", "runs-get-canceled.json"],
  timedout: ["runs-get-running.json", "runs-get-timedout.json"],
  skipped: ["runs-get-queued.json", "runs-get-skipped.json"],
};

/** Job ids whose jobs/get answers with an error fixture: status, fixture, and whether it fails only once. */
export const ERROR_JOBS: Readonly<
  Record<number, { status: number; fixture: string; once?: boolean; headers?: Record<string, string> }>
> = {
  400001: { status: 400, fixture: "errors/invalid-parameter.json" },
  400002: { status: 400, fixture: "errors/resource-already-exists.json" },
  400003: { status: 400, fixture: "errors/unknown-worker-environment.json", once: true },
  401001: { status: 401, fixture: "errors/unauthenticated.json" },
  403001: { status: 403, fixture: "errors/permission-denied.json" },
  404001: { status: 404, fixture: "errors/resource-does-not-exist.json" },
  429001: {
    status: 429,
    fixture: "errors/request-limit-exceeded.json",
    once: true,
    headers: { "retry-after": "1" },
  },
  503001: { status: 503, fixture: "errors/temporarily-unavailable.json", once: true },
};

const API = "*/api/2.2/jobs";

/** Where a client in another process selects the run scenario (`POST {"name": "failed"}`); not a Databricks endpoint. */
export const SCENARIO_PATH = "/__fake_workspace__/scenario";

/** The fake workspace's mutable state. */
export class FakeWorkspaceState {
  private runSequence: readonly string[] = RUN_SCENARIOS.success!;
  private runPolls = 0;
  private readonly failedOnce = new Set<number>();

  /** Starts run 455644833 over with the fixtures of `scenario`, and forgets which retryable errors were served. */
  scenario(scenario: string): void {
    const sequence = RUN_SCENARIOS[scenario];
    if (!sequence)
      throw new Error(`unknown run scenario ${scenario}; known: ${Object.keys(RUN_SCENARIOS).join(", ")}`);
    this.runSequence = sequence;
    this.runPolls = 0;
    this.failedOnce.clear();
  }

  /** The next runs/get answer of the run. */
  nextRun(): Record<string, unknown> {
    const name = this.runSequence[Math.min(this.runPolls, this.runSequence.length - 1)]!;
    this.runPolls++;
    return apiFixture(name);
  }

  /** True the first time a fail-once error job is asked for. */
  failNow(jobId: number): boolean {
    if (this.failedOnce.has(jobId)) return false;
    this.failedOnce.add(jobId);
    return true;
  }
}

/** Page 1 of `<base>-1.json` / `-2.json`, or page 2 when the request carries page 1's token. */
function paged(base: string, request: Request): Record<string, unknown> {
  const first = apiFixture(`${base}-1.json`);
  const token = new URL(request.url).searchParams.get("page_token");
  return token === first.next_page_token ? apiFixture(`${base}-2.json`) : first;
}

const doesNotExist = (what: "job" | "run") =>
  HttpResponse.json(
    apiFixture(what === "job" ? "errors/job-does-not-exist.json" : "errors/run-does-not-exist.json"),
    {
      status: 400,
    },
  );

/** The msw handlers of the fake workspace, over `state`. */
export function fakeWorkspaceHandlers(state: FakeWorkspaceState): RequestHandler[] {
  return [
    http.get(`${API}/list`, ({ request }) => {
      const token = new URL(request.url).searchParams.get("page_token");
      const first = apiFixture("jobs-list-page1.json");
      return HttpResponse.json(token === first.next_page_token ? apiFixture("jobs-list-page2.json") : first);
    }),
    http.get(`${API}/get`, ({ request }) => {
      const jobId = Number(new URL(request.url).searchParams.get("job_id"));
      const error = ERROR_JOBS[jobId];
      if (error && (!error.once || state.failNow(jobId))) {
        return HttpResponse.json(apiFixture(error.fixture), {
          status: error.status,
          headers: error.headers ?? {},
        });
      }
      if (jobId === FAKE_JOB_ID || error) return HttpResponse.json(apiFixture("jobs-get.json"));
      if (jobId === PAGED_JOB_ID) return HttpResponse.json(paged("jobs-get-paged", request));
      return doesNotExist("job");
    }),
    http.post(`${API}/create`, () => HttpResponse.json(apiFixture("jobs-create.json"))),
    http.post(`${API}/reset`, () => HttpResponse.json(apiFixture("empty.json"))),
    http.post(`${API}/update`, () => HttpResponse.json(apiFixture("empty.json"))),
    http.post(`${API}/delete`, () => HttpResponse.json(apiFixture("empty.json"))),
    http.post(`${API}/run-now`, async ({ request }) => {
      const body = (await request.json()) as { job_id?: number };
      return body.job_id === FAKE_JOB_ID
        ? HttpResponse.json(apiFixture("jobs-run-now.json"))
        : doesNotExist("job");
    }),
    http.get(`${API}/runs/get`, ({ request }) => {
      const runId = Number(new URL(request.url).searchParams.get("run_id"));
      if (runId === PAGED_RUN_ID) return HttpResponse.json(paged("runs-get-paged", request));
      return runId === FAKE_RUN_ID ? HttpResponse.json(state.nextRun()) : doesNotExist("run");
    }),
    http.get(`${API}/runs/get-output`, () => HttpResponse.json(apiFixture("runs-get-output.json"))),
    http.get(`${API}/runs/list`, ({ request }) => {
      const token = new URL(request.url).searchParams.get("page_token");
      const first = apiFixture("runs-list.json");
      return HttpResponse.json(token === first.next_page_token ? apiFixture("runs-list-page2.json") : first);
    }),
    http.post(`${API}/runs/submit`, () => HttpResponse.json(apiFixture("runs-submit.json"))),
    http.post(`${API}/runs/cancel`, () => HttpResponse.json(apiFixture("empty.json"))),
    // Test plumbing, not Databricks: lets a client in another process pick the run scenario.
    http.post(`*${SCENARIO_PATH}`, async ({ request }) => {
      state.scenario(((await request.json()) as { name: string }).name);
      return HttpResponse.json({});
    }),
  ];
}

/** A fake workspace on a loopback port. */
export interface FakeWorkspaceServer {
  server: MswServer;
  state: FakeWorkspaceState;
  url: string;
  close(): Promise<void>;
}

/** Starts the fake workspace on 127.0.0.1. */
export async function startFakeWorkspace(): Promise<FakeWorkspaceServer> {
  const state = new FakeWorkspaceState();
  const server = await startMswServer(...fakeWorkspaceHandlers(state));
  return { server, state, url: server.url, close: () => server.close() };
}
