import { parseJobArgs, ValidationError } from "@modeltrail/core";
import { detectFromDatabricks } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";

const SHA = "8badf00d8badf00d8badf00d8badf00d8badf00d";

describe("parseJobArgs", () => {
  it("reads --flag value pairs among the script's own arguments", () => {
    const argv = [
      "--epochs",
      "3",
      "--job-id",
      "123",
      "--job-run-id",
      "456",
      "--task-run-id",
      "789",
      "--verbose",
    ];
    expect(parseJobArgs([...argv, "--task-key", "train", "--git-sha", SHA])).toEqual({
      jobId: "123",
      runId: "456",
      taskRunId: "789",
      taskKey: "train",
      gitSha: SHA,
      unresolved: [],
    });
  });

  it("reads --flag=value and key=value forms, any case, - or _", () => {
    expect(
      parseJobArgs([
        "--job-id=123",
        "job_run_id=456",
        "TASK-RUN-ID=789",
        "--Task_Key=train",
        `git_sha=${SHA.toUpperCase()}`,
        "--workspace-url=https://adb-1234567890123456.7.azuredatabricks.net/",
      ]),
    ).toEqual({
      jobId: "123",
      runId: "456",
      taskRunId: "789",
      taskKey: "train",
      gitSha: SHA,
      workspaceUrl: "https://adb-1234567890123456.7.azuredatabricks.net",
      unresolved: [],
    });
  });

  it("treats unresolved dynamic references as absent and lists them", () => {
    const args = parseJobArgs([
      "--job-id",
      "{{job.id}}",
      "--job-run-id={{job.run_id}}",
      "task_run_id=run_{{task.run_id}}",
      "--task-key",
      "{{task.name}}",
    ]);
    expect(args).toEqual({ unresolved: ["jobId", "runId", "taskRunId", "taskKey"] });
  });

  it("lets the last occurrence win and treats blank values as absent", () => {
    expect(parseJobArgs(["--job-id", "1", "job_id=2", "--task-key", " "])).toEqual({
      jobId: "2",
      unresolved: [],
    });
    expect(parseJobArgs(["--job-id", "1", "--job-id={{job.id}}"])).toEqual({ unresolved: ["jobId"] });
  });

  it("ignores unknown arguments and positional values", () => {
    expect(parseJobArgs(["train.py", "job_id", "--run-id", "5", "data=s3://x"])).toEqual({ unresolved: [] });
  });

  it("rejects non-numeric ids, bad SHAs and flags without values, listing every problem", () => {
    let err: unknown;
    try {
      parseJobArgs(["--job-id", "abc", "--git-sha", "deadbeef", "--task-run-id"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues.map((i) => i.path).sort()).toEqual(["--git-sha", "--job-id", "--task-run-id"]);
    expect((err as Error).message).toContain("--job-id: must be a numeric Databricks id");
  });

  it("does not take the next flag as a value", () => {
    expect(() => parseJobArgs(["--job-id", "--job-run-id", "456"])).toThrow(ValidationError);
  });

  it("strips credentials from the workspace URL", () => {
    expect(
      parseJobArgs(["--workspace-url", "https://token:dapiSecret@adb-1.2.azuredatabricks.net"]).workspaceUrl,
    ).toBe("https://adb-1.2.azuredatabricks.net");
  });
});

describe("detectFromDatabricks", () => {
  const onDatabricks = { DATABRICKS_RUNTIME_VERSION: "15.4.x-cpu-ml-scala2.12", PATH: "/usr/bin" };

  it("reports platform databricks with ids from the task parameters", () => {
    const result = detectFromDatabricks({
      env: onDatabricks,
      argv: ["--job-id", "123", "--job-run-id", "456", "--task-run-id", "789", "--git-sha", SHA],
    });
    expect(result).toEqual({
      source: "databricks",
      context: {
        job: { platform: "databricks", jobId: "123", runId: "456", taskRunId: "789" },
        code: { gitSha: SHA },
      },
    });
  });

  it("falls back to env variables, argv winning field by field", () => {
    const env = {
      ...onDatabricks,
      DATABRICKS_JOB_ID: "1",
      DATABRICKS_JOB_RUN_ID: "2",
      DATABRICKS_TASK_RUN_ID: "3",
      DATABRICKS_TASK_KEY: "prep",
      GIT_SHA: SHA,
    };
    const result = detectFromDatabricks({ env, argv: ["--job-run-id", "20"] });
    expect(result?.context).toEqual({
      job: { platform: "databricks", jobId: "1", runId: "20", taskRunId: "3", taskKey: "prep" },
      code: { gitSha: SHA },
    });
  });

  it("reports platform databricks with no ids when the parameters are missing", () => {
    expect(detectFromDatabricks({ env: onDatabricks, argv: [] })?.context).toEqual({
      job: { platform: "databricks" },
    });
  });

  it("run locally with unresolved references: nothing applies", () => {
    const argv = [
      "--job-id",
      "{{job.id}}",
      "--job-run-id",
      "{{job.run_id}}",
      "--task-run-id",
      "{{task.run_id}}",
    ];
    expect(detectFromDatabricks({ env: { PATH: "/usr/bin" }, argv })).toBeUndefined();
  });

  it("run locally with explicit ids: platform local; GIT_SHA from env is left to the container source", () => {
    const result = detectFromDatabricks({ env: { GIT_SHA: SHA }, argv: ["--job-id", "123"] });
    expect(result?.context).toEqual({ job: { platform: "local", jobId: "123" } });
  });

  it("names the env variable in validation errors", () => {
    expect(() =>
      detectFromDatabricks({ env: { ...onDatabricks, DATABRICKS_JOB_ID: "job-1" }, argv: [] }),
    ).toThrow(/DATABRICKS_JOB_ID: must be a numeric Databricks id/);
    expect(() => detectFromDatabricks({ env: { ...onDatabricks, GIT_SHA: "main" }, argv: [] })).toThrow(
      /GIT_SHA: must be a full 40-hex-digit commit SHA/,
    );
  });
});
