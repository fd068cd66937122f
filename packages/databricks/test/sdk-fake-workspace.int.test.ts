import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import {
  ApiError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from "@modeltrail/core";
import { assertDatabricksSdkInstalled, runPythonJson } from "@modeltrail/test-utils";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabricksClient } from "../src/index.js";
import { classifyRun } from "../src/run-outcome.js";
import { withTaskTraceParameters } from "../src/task-trace-parameters.js";
import { renderJobTemplate } from "../src/template/render-job-template.js";
import { waitForRun } from "../src/wait-for-run.js";
import {
  apiFixture,
  ERROR_JOBS,
  FAKE_JOB_ID,
  FAKE_RUN_ID,
  type FakeWorkspaceServer,
  MISSING_JOB_ID,
  MISSING_RUN_ID,
  PAGED_JOB_ID,
  PAGED_RUN_ID,
  RUN_SCENARIOS,
  SCENARIO_PATH,
  startFakeWorkspace,
} from "./fake-workspace.js";
import { HOSTILE_JSON_TEMPLATE, HOSTILE_YAML_TEMPLATE, jobTemplateCases } from "./job-template-corpus.js";

/**
 * The fake workspace proven with Databricks' own Python SDK (databricks-sdk, pinned in
 * scripts/install-mlflow.sh): its WorkspaceClient lists, gets, creates, runs and waits on jobs through
 * every fixture the fake serves, and
 *
 * 1. reads each fixture whole: `as_dict()` of what the SDK parsed equals the fixture (minus the paging
 *    fields the SDK hides), so no fixture holds a field, a type or an enum value the real API does not;
 * 2. modeltrail's client, against the same fake, reads the same values;
 * 3. both send the same request bodies, and map each error fixture to the same kind of error;
 * 4. every job definition the template tests render (job-template-corpus.ts) comes back whole from
 *    `JobSettings.from_dict(...).as_dict()`.
 */

const SCRIPT = fileURLToPath(new URL("./python/sdk_fake_workspace.py", import.meta.url));
const TOKEN = "dapi-fake-workspace-0000";

/**
 * The service's message in an SDK error: for 401 and 403 the SDK appends its configuration
 * (`Config: host=..., token=***, auth_type=pat`, see databricks/sdk/core.py and Config.wrap_debug_info).
 */
function serviceMessage(error: SdkError): string {
  return error.message.replace(/ Config: [\s\S]*$/, "");
}

interface SdkError {
  type: string;
  error_code: string | null;
  message: string;
}
type SdkResult = { ok: unknown } | { error: SdkError };

/** One operation, done by the SDK (`call`, `args`) and by modeltrail (`modeltrail`). */
interface Op {
  name: string;
  call: string;
  args?: Record<string, unknown>;
  modeltrail?: (client: DatabricksClient) => Promise<unknown>;
}

const SETTINGS = apiFixture("jobs-get.json").settings as Record<string, unknown>;
const SUBMIT = {
  run_name: "one-off",
  idempotency_token: "ci-42-attempt-1",
  tasks: [{ task_key: "score", spark_python_task: { python_file: "score.py", parameters: ["--x", "1"] } }],
};

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const wait = (client: DatabricksClient) =>
  waitForRun(client, FAKE_RUN_ID, { pollIntervalMs: 1, maxPollIntervalMs: 1 }).then((o) => o.run);

const OPS: Op[] = [
  { name: "jobs/list", call: "jobs.list", modeltrail: (c) => collect(c.jobs.list()) },
  {
    name: "jobs/get",
    call: "jobs.get",
    args: { job_id: FAKE_JOB_ID },
    modeltrail: (c) => c.jobs.get(FAKE_JOB_ID),
  },
  {
    name: "jobs/get of a missing job",
    call: "jobs.get",
    args: { job_id: MISSING_JOB_ID },
    modeltrail: (c) => c.jobs.get(MISSING_JOB_ID),
  },
  {
    name: "jobs/get in two pages",
    call: "jobs.get",
    args: { job_id: PAGED_JOB_ID },
    modeltrail: (c) => c.jobs.get(PAGED_JOB_ID),
  },
  ...Object.keys(ERROR_JOBS).flatMap((id): Op[] => [
    { name: "reset", call: "scenario", args: { name: "success" } },
    {
      name: `jobs/get answered with ${ERROR_JOBS[Number(id)]!.fixture}`,
      call: "jobs.get",
      args: { job_id: Number(id) },
      modeltrail: (c) => c.jobs.get(Number(id)),
    },
  ]),
  {
    name: "jobs/create",
    call: "jobs.create",
    args: { settings: SETTINGS },
    modeltrail: (c) => c.jobs.create(SETTINGS).then((job_id) => ({ job_id })),
  },
  {
    name: "jobs/reset",
    call: "jobs.reset",
    args: { job_id: FAKE_JOB_ID, new_settings: SETTINGS },
    modeltrail: (c) => c.jobs.reset(FAKE_JOB_ID, SETTINGS).then(() => null),
  },
  {
    name: "jobs/delete",
    call: "jobs.delete",
    args: { job_id: FAKE_JOB_ID },
    modeltrail: (c) => c.jobs.delete(FAKE_JOB_ID).then(() => null),
  },
  {
    name: "jobs/run-now",
    call: "jobs.run_now",
    args: { job_id: FAKE_JOB_ID, idempotency_token: "ci-42-attempt-1", job_parameters: { env: "prod" } },
    modeltrail: (c) =>
      c.jobs.runNow(FAKE_JOB_ID, { idempotencyToken: "ci-42-attempt-1", jobParameters: { env: "prod" } }),
  },
  { name: "reset", call: "scenario", args: { name: "success" } },
  ...["queued", "running", "success"].map(
    (state): Op => ({
      name: `runs/get (${state})`,
      call: "jobs.get_run",
      args: { run_id: FAKE_RUN_ID },
      modeltrail: (c) => c.runs.get(FAKE_RUN_ID),
    }),
  ),
  {
    name: "runs/get in two pages",
    call: "jobs.get_run",
    args: { run_id: PAGED_RUN_ID },
    modeltrail: (c) => c.runs.get(PAGED_RUN_ID),
  },
  {
    name: "runs/get of a missing run",
    call: "jobs.get_run",
    args: { run_id: MISSING_RUN_ID },
    modeltrail: (c) => c.runs.get(MISSING_RUN_ID),
  },
  ...Object.keys(RUN_SCENARIOS).flatMap((scenario): Op[] => [
    { name: "reset", call: "scenario", args: { name: scenario } },
    {
      name: `wait for a run that ends ${scenario}`,
      call: "jobs.wait",
      args: { run_id: FAKE_RUN_ID },
      modeltrail: wait,
    },
  ]),
  { name: "reset", call: "scenario", args: { name: "success" } },
  {
    name: "jobs/run-now, then wait",
    call: "jobs.run_now_and_wait",
    args: { job_id: FAKE_JOB_ID },
    modeltrail: async (c) => {
      const { run_id } = await c.jobs.runNow(FAKE_JOB_ID);
      return waitForRun(c, run_id, { pollIntervalMs: 1, maxPollIntervalMs: 1 }).then((o) => o.run);
    },
  },
  {
    name: "runs/get-output",
    call: "jobs.get_run_output",
    args: { run_id: FAKE_RUN_ID },
    modeltrail: (c) => c.runs.getOutput(FAKE_RUN_ID),
  },
  {
    name: "runs/list",
    call: "jobs.list_runs",
    args: { job_id: FAKE_JOB_ID },
    modeltrail: (c) => collect(c.runs.list({ jobId: FAKE_JOB_ID })),
  },
  {
    name: "runs/submit",
    call: "jobs.submit",
    args: SUBMIT,
    modeltrail: (c) => {
      const { idempotency_token, ...request } = SUBMIT;
      return c.runs.submit(request, { idempotencyToken: idempotency_token }).then((run_id) => ({ run_id }));
    },
  },
  {
    name: "runs/cancel",
    call: "jobs.cancel_run",
    args: { run_id: FAKE_RUN_ID },
    modeltrail: (c) => c.runs.cancel(FAKE_RUN_ID).then(() => null),
  },
];

/** What each fixture-backed operation must read: the fixture, without the paging fields the SDK hides. */
const PAGING = new Set(["has_more", "next_page_token", "prev_page_token"]);
function withoutPaging(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPaging);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !PAGING.has(k))
      .map(([k, v]) => [k, withoutPaging(v)]),
  );
}

const jobs = [...apiFixture("jobs-list-page1.json").jobs, ...(apiFixture("jobs-list-page2.json").jobs ?? [])];
const runs = [...apiFixture("runs-list.json").runs, ...(apiFixture("runs-list-page2.json").runs ?? [])];
const run = (name: string) => apiFixture(name);

/** Page 1 of a two-page answer with the arrays of page 2 appended, as both clients merge them. */
function merged(base: string, arrays: string[], inSettings: boolean): unknown {
  const first = apiFixture(`${base}-1.json`);
  const second = apiFixture(`${base}-2.json`);
  const into = inSettings ? first.settings : first;
  const from = inSettings ? second.settings : second;
  for (const key of arrays) if (from[key]) into[key] = [...(into[key] ?? []), ...from[key]];
  return first;
}
const FIXTURE_OF: Record<string, unknown> = {
  "jobs/list": jobs,
  "jobs/get": apiFixture("jobs-get.json"),
  "jobs/get in two pages": merged(
    "jobs-get-paged",
    ["tasks", "job_clusters", "parameters", "environments"],
    true,
  ),
  "runs/get in two pages": merged(
    "runs-get-paged",
    ["tasks", "job_clusters", "job_parameters", "repair_history"],
    false,
  ),
  "jobs/create": apiFixture("jobs-create.json"),
  "jobs/reset": null,
  "jobs/delete": null,
  "jobs/run-now": apiFixture("jobs-run-now.json"),
  "runs/get (queued)": run("runs-get-queued.json"),
  "runs/get (running)": run("runs-get-running.json"),
  "runs/get (success)": run("runs-get-success.json"),
  ...Object.fromEntries(
    Object.entries(RUN_SCENARIOS).map(([s, seq]) => [
      `wait for a run that ends ${s}`,
      run(seq[seq.length - 1]!),
    ]),
  ),
  "jobs/run-now, then wait": run("runs-get-success.json"),
  "runs/get-output": apiFixture("runs-get-output.json"),
  "runs/list": runs,
  "runs/submit": apiFixture("runs-submit.json"),
  "runs/cancel": null,
};

/** The modeltrail error class for each SDK error class the fixtures produce. */
const ERROR_CLASSES: Record<string, new (...args: never[]) => ApiError> = {
  ResourceDoesNotExist: NotFoundError,
  NotFound: NotFoundError,
  InvalidParameterValue: BadRequestError,
  ResourceAlreadyExists: ConflictError,
  Unauthenticated: UnauthorizedError,
  PermissionDenied: ForbiddenError,
};

let fake: FakeWorkspaceServer;
let home: string;
let sdk: SdkResult[];
let sdkBodies: Map<string, string[]>;
let modeltrail: ({ ok: unknown } | { error: unknown })[];
let modeltrailBodies: Map<string, string[]>;

function postBodies(from: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of fake.server.requests.slice(from)) {
    if (r.method !== "POST" || r.path.startsWith(SCENARIO_PATH)) continue;
    const list = out.get(r.path) ?? [];
    list.push(r.body);
    out.set(r.path, list);
  }
  return out;
}

beforeAll(async () => {
  await assertDatabricksSdkInstalled();
  fake = await startFakeWorkspace();
  home = mkdtempSync(join(tmpdir(), "modeltrail-sdk-home-"));
  sdk = await runPythonJson<SdkResult[]>(SCRIPT, {
    input: {
      host: fake.url,
      token: TOKEN,
      scenario_path: SCENARIO_PATH,
      ops: OPS.map(({ call, args }) => ({ call, args: args ?? {} })),
    },
    loopbackUrl: fake.url,
    home,
    timeoutMs: 120_000,
  });
  sdkBodies = postBodies(0);
  const mark = fake.server.requests.length;
  const client = new DatabricksClient({ host: fake.url, token: TOKEN, sleep: async () => {} });
  modeltrail = [];
  try {
    for (const op of OPS) {
      if (op.call === "scenario") {
        fake.state.scenario(String(op.args?.name));
        modeltrail.push({ ok: {} });
        continue;
      }
      try {
        modeltrail.push({ ok: JSON.parse(JSON.stringify((await op.modeltrail!(client)) ?? null)) });
      } catch (err) {
        modeltrail.push({ error: err });
      }
    }
  } finally {
    await client.close();
  }
  modeltrailBodies = postBodies(mark);
}, 180_000);

afterAll(async () => {
  await fake?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("the fake workspace, read by databricks-sdk and by modeltrail", () => {
  it("the SDK ran every operation", () => {
    expect(sdk).toHaveLength(OPS.length);
  });

  OPS.forEach((op, i) => {
    if (op.call === "scenario") return;
    it(op.name, () => {
      const fromSdk = sdk[i]!;
      const fromModeltrail = modeltrail[i]!;
      if ("error" in fromSdk) {
        const error = fromModeltrail as { error?: unknown };
        expect(error.error, `modeltrail should fail as the SDK did (${fromSdk.error.type})`).toBeInstanceOf(
          ApiError,
        );
        const err = error.error as ApiError;
        const cls = ERROR_CLASSES[fromSdk.error.type];
        expect(
          cls,
          `an SDK error class without a modeltrail counterpart: ${fromSdk.error.type}`,
        ).toBeDefined();
        expect(err).toBeInstanceOf(cls!);
        expect(err.serviceCode).toBe(fromSdk.error.error_code);
        expect(err.serviceMessage).toBe(serviceMessage(fromSdk.error));
        return;
      }
      expect(fromModeltrail, "modeltrail failed where the SDK succeeded").toHaveProperty("ok");
      const ok = (fromModeltrail as { ok: unknown }).ok;
      // 1. The SDK reads the fixture whole.
      if (op.name in FIXTURE_OF) expect(fromSdk.ok).toEqual(withoutPaging(FIXTURE_OF[op.name]));
      // 2. modeltrail reads the same values.
      expect(withoutPaging(ok)).toEqual(fromSdk.ok);
    });
  });

  it("errors: each error fixture gives the SDK error it documents; retryable ones are retried by both", () => {
    for (const [i, op] of OPS.entries()) {
      const match = /answered with (errors\/.*)$/.exec(op.name);
      if (!match) continue;
      const jobId = Number(op.args?.job_id);
      const expected = ERROR_JOBS[jobId]!;
      const result = sdk[i]!;
      if (expected.once) {
        expect(result, op.name).toHaveProperty("ok");
        continue;
      }
      const fixture = apiFixture(match[1]!);
      expect(result, op.name).toHaveProperty("error");
      const err = (result as { error: SdkError }).error;
      expect([err.error_code, serviceMessage(err)]).toEqual([fixture.error_code, fixture.message]);
    }
  });

  it("the terminal run of each scenario classifies as its name says", () => {
    for (const [scenario, sequence] of Object.entries(RUN_SCENARIOS)) {
      const outcome = classifyRun(apiFixture(sequence[sequence.length - 1]!));
      expect(outcome?.kind).toBe(scenario === "legacy-failed" ? "failed" : scenario);
    }
  });

  it("both clients send the same request bodies", () => {
    for (const path of new Set([...sdkBodies.keys(), ...modeltrailBodies.keys()])) {
      const parse = (bodies: string[] | undefined) => (bodies ?? []).map((b) => JSON.parse(b) as unknown);
      expect(parse(modeltrailBodies.get(path)), path).toEqual(parse(sdkBodies.get(path)));
    }
  });
});

/**
 * The value without empty lists: the SDK's `as_dict()` leaves out a list field that is empty, and the
 * Jobs API reads an empty list and a missing one alike (no tasks, no parameters).
 */
function withoutEmptyLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyLists);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [k, withoutEmptyLists(v)]),
  );
}

describe("rendered job definitions, read by databricks-sdk's JobSettings", () => {
  /** Every corpus case, as rendered and with the trace flags deployJob adds, and hostile samples. */
  function definitions(): { name: string; settings: unknown }[] {
    const out: { name: string; settings: unknown }[] = [];
    for (const c of jobTemplateCases()) {
      const { settings } = renderJobTemplate(c.template, c.options);
      out.push({ name: c.name, settings });
      out.push({ name: `${c.name} + trace flags`, settings: withTaskTraceParameters(settings) });
    }
    const samples = fc.sample(fc.string({ unit: "binary", maxLength: 40 }), { seed: 20261127, numRuns: 60 });
    for (const [i, v] of samples.entries()) {
      for (const [template, format] of [
        [HOSTILE_JSON_TEMPLATE, "json"],
        [HOSTILE_YAML_TEMPLATE, "yaml"],
      ] as const) {
        const { settings } = renderJobTemplate(template, { vars: { v }, format });
        out.push({ name: `hostile sample ${i} (${format})`, settings });
      }
    }
    return out;
  }

  it("JobSettings.from_dict(settings).as_dict() gives back every field of every job definition the tests render", async () => {
    const defs = definitions();
    expect(defs.length).toBeGreaterThan(300);
    const results = await runPythonJson<SdkResult[]>(SCRIPT, {
      input: {
        host: fake.url,
        token: TOKEN,
        scenario_path: SCENARIO_PATH,
        ops: defs.map((d) => ({ call: "settings.round_trip", args: d.settings })),
      },
      loopbackUrl: fake.url,
      home,
      timeoutMs: 120_000,
    });
    const lost = defs.flatMap((d, i) => {
      const r = results[i]!;
      const back = "ok" in r ? r.ok : r;
      return isDeepStrictEqual(back, withoutEmptyLists(d.settings))
        ? []
        : [{ name: d.name, settings: d.settings, back }];
    });
    expect(lost, JSON.stringify(lost, null, 1).slice(0, 3000)).toEqual([]);
  });
});
