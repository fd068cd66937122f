import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "./helpers/run-cli-capture.js";

/** Documented Databricks responses, shared with the databricks package's tests. */
const API_FIXTURES = new URL("../../databricks/test/fixtures/api/", import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: fixtures are arbitrary JSON
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, API_FIXTURES), "utf8"));

const TEMPLATE = new URL("./fixtures/job.template.yaml", import.meta.url).pathname;
const SHA = "3f2a9c1d5e7b8a9f0c1d2e3f4a5b6c7d8e9f0a1b";
/** A PAT that must never be printed, in any form. */
const PLANTED_TOKEN = "dapi0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const ENV = {
  DATABRICKS_TOKEN: PLANTED_TOKEN,
  GITHUB_ACTIONS: "true",
  GITHUB_SHA: SHA,
  GITHUB_REPOSITORY: "acme/churn",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_RUN_ID: "9001",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_EVENT_NAME: "push",
};

let server: MswServer;
let work: string;
/** How many times runs/get was asked, per run id: the fake run finishes on the third poll. */
const polls = new Map<number, number>();
let created: Record<string, unknown> | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-dbx-"));
  server = await startMswServer(
    http.get("*/api/2.2/jobs/list", () => HttpResponse.json({ jobs: [], has_more: false })),
    http.post("*/api/2.2/jobs/create", async ({ request }) => {
      created = (await request.json()) as Record<string, unknown>;
      return HttpResponse.json({ job_id: 11223344 });
    }),
    http.post("*/api/2.2/jobs/run-now", async ({ request }) => {
      const body = (await request.json()) as { job_id: number };
      if (body.job_id === 403)
        return HttpResponse.json(
          { error_code: "PERMISSION_DENIED", message: `Token ${PLANTED_TOKEN} may not run job 403` },
          { status: 403 },
        );
      return HttpResponse.json({ run_id: body.job_id === 500 ? 500500 : 455644833, number_in_job: 1 });
    }),
    http.get("*/api/2.2/jobs/runs/get", ({ request }) => {
      const runId = Number(new URL(request.url).searchParams.get("run_id"));
      const n = (polls.get(runId) ?? 0) + 1;
      polls.set(runId, n);
      if (n < 3) return HttpResponse.json(fixture("runs-get-running.json"));
      return HttpResponse.json(fixture(runId === 500500 ? "runs-get-failed.json" : "runs-get-success.json"));
    }),
  );
});
afterEach(() => {
  polls.clear();
  server.resetHandlers();
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const env = () => ({ ...ENV, DATABRICKS_HOST: server.url, HOME: work });

describe("job deploy and job run against a fake Databricks workspace", () => {
  it("job deploy creates the job stamped with the commit", async () => {
    const r = await runCaptured(["job", "deploy", TEMPLATE, "--var", "env=prod", "--json"], {
      env: env(),
      cwd: work,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ jobId: 11223344, action: "created", gitSha: SHA });
    expect(created?.name).toBe("churn-train-prod");
    expect((created?.tags as Record<string, string> | undefined)?.git_sha).toBe(SHA);
    expect(JSON.stringify(created)).toContain("--git-sha={{job.parameters.git_sha}}");
  });

  it("job run --wait follows the run to SUCCESS and prints its states", async () => {
    const r = await runCaptured(["job", "run", "11223344", "--wait", "--param", "seed=7"], {
      env: env(),
      cwd: work,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("run 455644833: RUNNING");
    expect(r.stderr).toContain("TERMINATED");
    expect(r.stdout).toMatch(/state:\s+success/);
    const runNow = server.requests.find((q) => q.path.includes("run-now"));
    expect(JSON.parse(runNow!.body)).toMatchObject({ job_id: 11223344, job_parameters: { seed: "7" } });
    // a CI run sends an idempotency token, so a retried CI step gets the same run
    expect(JSON.parse(runNow!.body).idempotency_token).toMatch(/\S{8,}/);
  });

  it("a run that fails exits 1, and --json still prints the whole outcome", async () => {
    const r = await runCaptured(["job", "run", "500", "--wait", "--json"], { env: env(), cwd: work });
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out.outcome.kind).toBe("failed");
    expect(out.failedTasks.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^modeltrail job run: error: Run \d+ ended failed/m);
  });

  it("without --wait the run is started and returned", async () => {
    const r = await runCaptured(["job", "run", "11223344", "--json"], { env: env(), cwd: work });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ runId: 455644833, state: "RUNNING" });
    expect(out.outcome).toBeUndefined();
    expect(polls.get(455644833)).toBe(1);
  });
});

describe("secrets are never printed", () => {
  it("a server echoing the token in its error: stdout, stderr and --debug stay clean", async () => {
    for (const flags of [[], ["--json"], ["--debug"]]) {
      const r = await runCaptured([...flags, "job", "run", "403"], { env: env(), cwd: work });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/PERMISSION_DENIED|may not run/);
      expect(r.stdout + r.stderr).not.toContain(PLANTED_TOKEN);
      expect(r.stdout + r.stderr).not.toContain(PLANTED_TOKEN.slice(4));
    }
  });

  it("a password in the tracking URI is not printed when the server is unreachable", async () => {
    const r = await runCaptured(["--debug", "model", "find", "--git-sha", "abcd"], {
      env: { MLFLOW_TRACKING_URI: "http://alice:s3cret-Pa55word@127.0.0.1:9/" },
      cwd: work,
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain("s3cret-Pa55word");
  });

  it("a secret env variable is redacted even from a command's ordinary output", async () => {
    // the git branch is printed by `context`; a token that happens to equal it must not be
    const r = await runCaptured(["context", "--json"], {
      env: {
        ...ENV,
        GITHUB_REF_NAME: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        MY_API_TOKEN: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      },
      cwd: work,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
  });
});
