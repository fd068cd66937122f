import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "./helpers/run-cli-capture.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const SHA = "3f2a9c1d5e7b8a9f0c1d2e3f4a5b6c7d8e9f0a1b";
const ENV = {
  GITHUB_ACTIONS: "true",
  GITHUB_SHA: SHA,
  GITHUB_RUN_ID: "77",
  GITHUB_EVENT_NAME: "push",
  PYTHONDONTWRITEBYTECODE: "1",
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-local-"));
  await copyFile(join(FIXTURES, "train.py"), join(work, "train.py"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("job run --local: the template runs here as Databricks would run it", () => {
  it("passes the job parameters and the trace flags to the task, and reports success", async () => {
    const r = await runCaptured(
      ["job", "run", "--local", join(FIXTURES, "job.template.yaml"), "--var", "env=dev", "--param", "seed=7"],
      { env: ENV, cwd: work },
    );
    expect(r.stderr).toContain(`[train] seed=7 git_sha=${SHA} job_run_id=`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/state:\s+success/);
  });

  it("a failing task exits 1 with its outcome in --json", async () => {
    const r = await runCaptured(
      [
        "job",
        "run",
        "--local",
        join(FIXTURES, "job.template.yaml"),
        "--var",
        "env=dev",
        "--param",
        "outcome=fail",
        "--json",
      ],
      { env: ENV, cwd: work },
    );
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out.local).toBe(true);
    expect(out.outcome.kind).toBe("failed");
    expect(out.tasks).toEqual([expect.objectContaining({ taskKey: "train", resultState: "FAILED" })]);
    expect(r.stderr).toMatch(/error: Run \d+ ended failed/);
  });

  it("a job id and --local together is a usage error", async () => {
    const r = await runCaptured(["job", "run", "12", "--local", "x.yaml"], { env: ENV, cwd: work });
    expect(r.code).toBe(2);
  });
});
