import { inspect } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { ConfigError, createTraceContext, fromEnv, toEnv, ValidationError } from "../../src/index.js";
import { DIGEST, issuesOf, RUN, SHA, sampleContext } from "./sample.js";

describe("toEnv", () => {
  it("writes seeds, the namespaced set and JSON collections", () => {
    expect(toEnv(sampleContext())).toEqual({
      MODELTRAIL_SCHEMA_VERSION: "1",
      GIT_SHA: SHA,
      MODELTRAIL_CODE_GIT_SHA: SHA,
      RUN_ID: "456",
      MODELTRAIL_MODEL_MLFLOW_RUN_ID: RUN,
      JOB_ID: "123",
      MODELTRAIL_JOB_ID: "123",
      MODELTRAIL_JOB_RUN_ID: "456",
      MODELTRAIL_MODEL_NAME: "churn",
      MODELTRAIL_MODEL_VERSION: "7",
      MODELTRAIL_IMAGE_DIGEST: DIGEST,
      MODELTRAIL_ENVIRONMENT_NAME: "prod",
      MODELTRAIL_CODE_REPO_URL: "https://github.com/acme/churn.git",
      MODELTRAIL_CODE_BRANCH: "main",
      MODELTRAIL_CODE_DIRTY: "false",
      MODELTRAIL_CI_PROVIDER: "github-actions",
      MODELTRAIL_CI_RUN_ID: "9753949763",
      MODELTRAIL_CI_RUN_ATTEMPT: "2",
      MODELTRAIL_CI_RUN_URL: "https://github.com/acme/churn/actions/runs/9753949763",
      MODELTRAIL_CI_WORKFLOW: "train",
      MODELTRAIL_JOB_PLATFORM: "databricks",
      MODELTRAIL_JOB_TASK_RUN_ID: "789",
      MODELTRAIL_JOB_TASK_KEY: "train",
      MODELTRAIL_JOB_WORKSPACE_URL: "https://adb-1.azuredatabricks.net",
      MODELTRAIL_MODEL_URI: "models:/churn/7",
      MODELTRAIL_IMAGE_REF: "acme.azurecr.io/churn:5f1e2d3c",
      MODELTRAIL_DEPLOYMENT_PLATFORM: "kubernetes",
      MODELTRAIL_DEPLOYMENT_CLUSTER: "aks-prod",
      MODELTRAIL_DEPLOYMENT_NAMESPACE: "ml",
      MODELTRAIL_DEPLOYMENT_NAME: "churn",
      MODELTRAIL_DEPLOYMENT_REVISION: "3",
      MODELTRAIL_ENVIRONMENT_RUNTIME: '{"node":"24.1.0","python":"3.11.7"}',
      MODELTRAIL_DATA:
        '[{"name":"customers","uri":"dbfs:/data/customers","version":"12","digest":"a1b2c3d4"}]',
      MODELTRAIL_EXTRA: '{"team":"risk"}',
    });
  });

  it("writes only the schema version for an empty context", () => {
    expect(toEnv(createTraceContext())).toEqual({ MODELTRAIL_SCHEMA_VERSION: "1" });
  });
});

describe("fromEnv", () => {
  it("reads the seed variables of a serving container", () => {
    const ctx = fromEnv({ GIT_SHA: SHA, RUN_ID: "456", JOB_ID: "123", HOME: "/root" });
    expect(ctx.toJSON()).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA },
      job: { jobId: "123", runId: "456" },
    });
    // a model trained outside a job: the MLflow run id stands in, recognised by its shape
    expect(fromEnv({ GIT_SHA: SHA, RUN_ID: RUN }).toJSON()).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA },
      model: { mlflowRunId: RUN },
    });
  });

  it("reads process.env by default and ignores unrelated variables", () => {
    vi.stubEnv("GIT_SHA", SHA);
    vi.stubEnv("MODELTRAIL_ENVIRONMENT_NAME", "staging");
    try {
      const ctx = fromEnv();
      expect(ctx.code?.gitSha).toBe(SHA);
      expect(ctx.environment?.name).toBe("staging");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("treats empty values as absent and accepts agreeing names (case of the SHA aside)", () => {
    const ctx = fromEnv({
      GIT_SHA: SHA.toUpperCase(),
      MODELTRAIL_CODE_GIT_SHA: SHA,
      RUN_ID: "",
      MODELTRAIL_DATA: "",
    });
    expect(ctx.toJSON()).toEqual({ schemaVersion: 1, code: { gitSha: SHA } });
  });

  it("rejects disagreeing names, naming both variables", () => {
    const issues = issuesOf(() => fromEnv({ GIT_SHA: SHA, MODELTRAIL_CODE_GIT_SHA: "f".repeat(40) }));
    expect(issues).toEqual([
      { path: "GIT_SHA, MODELTRAIL_CODE_GIT_SHA", message: expect.stringContaining("disagree") },
    ]);
  });

  it("names every bad variable at once", () => {
    const issues = issuesOf(() =>
      fromEnv({
        GIT_SHA: "abc",
        MODELTRAIL_CODE_DIRTY: "yes",
        MODELTRAIL_EXTRA: "{not json",
        MODELTRAIL_ENVIRONMENT_RUNTIME: '["x"]',
        MODELTRAIL_DATA: '[{"name":"a","size":1}]',
        MODELTRAIL_JOB_PLATFORM: "airflow",
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        "GIT_SHA",
        "MODELTRAIL_CODE_DIRTY",
        "MODELTRAIL_DATA",
        "MODELTRAIL_ENVIRONMENT_RUNTIME",
        "MODELTRAIL_EXTRA",
        "MODELTRAIL_JOB_PLATFORM",
      ].sort(),
    );
    expect(issues.find((i) => i.path === "GIT_SHA")?.message).toMatch(/^code\.gitSha: .*40-character/);
  });

  it("rejects a newer schema version with advice to upgrade, and a garbled one", () => {
    expect(() => fromEnv({ MODELTRAIL_SCHEMA_VERSION: "2", GIT_SHA: SHA })).toThrow(/upgrade modeltrail/i);
    expect(issuesOf(() => fromEnv({ MODELTRAIL_SCHEMA_VERSION: "v1" }))[0]?.path).toBe(
      "MODELTRAIL_SCHEMA_VERSION",
    );
  });
});

describe("secrets", () => {
  it("keeps a planted secret out of the context and out of decoder errors", () => {
    const secret = "envPlantedS3cretXq81";
    const url = `https://build:${secret}@git.example.com/acme/churn.git`;
    const ctx = fromEnv({ MODELTRAIL_CODE_REPO_URL: url });
    expect(ctx.code?.repoUrl).toBe("https://git.example.com/acme/churn.git");
    expect(JSON.stringify(toEnv(ctx))).not.toContain(secret);
    let error: unknown;
    try {
      fromEnv({ MODELTRAIL_CODE_REPO_URL: url, MODELTRAIL_CI_RUN_URL: `${url}\n`, GIT_SHA: "bad" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const err = error as ValidationError;
    for (const text of [err.message, JSON.stringify(err), inspect(err)]) expect(text).not.toContain(secret);
  });
});

describe("fromEnv with require: the strict form a serving process calls at start-up", () => {
  const serving = { GIT_SHA: SHA, RUN_ID: "1795788642450001", JOB_ID: "1795788642450000" };

  it("returns the context when everything required is there, the run id of either kind", () => {
    const ctx = fromEnv(serving, { require: ["code.gitSha", "runId", "job.jobId"] });
    expect(ctx.job?.runId).toBe("1795788642450001");
    expect(
      fromEnv({ GIT_SHA: SHA, RUN_ID: RUN }, { require: ["code.gitSha", "runId"] }).model?.mlflowRunId,
    ).toBe(RUN);
    // the namespaced names count as well
    expect(fromEnv({ MODELTRAIL_CODE_GIT_SHA: SHA }, { require: ["code.gitSha"] }).code?.gitSha).toBe(SHA);
  });

  it("fails with one ConfigError listing everything missing and the variables that would provide it", () => {
    let err: unknown;
    try {
      fromEnv(
        { JOB_ID: "1", RUN_ID: "  " },
        { require: ["code.gitSha", "runId", "model.version", "job.jobId"] },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const config = err as ConfigError;
    expect(config.message).toContain("lacks 3 required trace value(s)");
    expect(config.message).toContain("code.gitSha (GIT_SHA or MODELTRAIL_CODE_GIT_SHA)");
    expect(config.message).toContain(
      "the run id (RUN_ID or MODELTRAIL_JOB_RUN_ID or MODELTRAIL_MODEL_MLFLOW_RUN_ID)",
    );
    expect(config.message).toContain("model.version (MODELTRAIL_MODEL_VERSION)");
    expect(config.sources).toEqual(["GIT_SHA", "RUN_ID", "MODELTRAIL_MODEL_VERSION"]);
  });

  it("reports invalid values and missing ones together", () => {
    const issues = issuesOf(() => fromEnv({ GIT_SHA: "nope" }, { require: ["code.gitSha", "runId"] }));
    expect(issues).toEqual([
      { path: "GIT_SHA", message: expect.stringContaining("40-character") },
      {
        path: "RUN_ID, MODELTRAIL_JOB_RUN_ID, MODELTRAIL_MODEL_MLFLOW_RUN_ID",
        message: "the run id is required but not set",
      },
    ]);
  });

  it("refuses a require list naming no field", () => {
    expect(() => fromEnv(serving, { require: ["code.sha" as never] })).toThrow(/unknown field "code.sha"/);
    expect(() => fromEnv(serving, { require: "runId" as never })).toThrow(/must be an array/);
  });

  it("without require, an empty environment is an empty context (as before)", () => {
    expect(fromEnv({}).toJSON()).toEqual({ schemaVersion: 1 });
  });
});
