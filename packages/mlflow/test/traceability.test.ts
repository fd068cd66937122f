import { createTraceContext, NetworkError, NotFoundError } from "@modeltrail/core";
import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { modelVersionFilter, tagsToRecord } from "../src/index.js";
import { droppedConnection, fakeRegistry } from "./fake-mlflow.js";
import { useFakeMlflowServer } from "./fake-mlflow-server.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ctx = createTraceContext({
  code: { gitSha: SHA },
  job: { platform: "databricks", jobId: "11", runId: "22" },
});

const fixture = useFakeMlflowServer({
  registerRetryDelayMs: 0,
  retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 },
});

const makeClient = () => fixture.client();

describe("registerModel", () => {
  it("creates the model and a version with trace tags, source and run link", async () => {
    const fake = fakeRegistry();
    fixture.server.use(...fake.handlers);
    const res = await makeClient().registerModel(ctx, {
      runId: "run1",
      artifactPath: "model/",
      name: "fraud",
    });
    expect(res.created).toBe(true);
    expect(res.source).toBe("mlflow-artifacts:/7/run1/artifacts/model");
    expect(fake.versions).toHaveLength(1);
    const stored = fake.versions[0]!;
    expect(stored.source).toBe(res.source);
    expect(stored.run_id).toBe("run1");
    expect(stored.run_link).toBe(`${fixture.server.url}/#/experiments/7/runs/run1`);
    const tags = tagsToRecord(stored.tags);
    expect(tags).toMatchObject({
      GIT_SHA: SHA,
      DBR_RUN_ID: "22",
      DBR_JOB_ID: "11",
      "mlflow.source.git.commit": SHA,
    });
    expect(res.trace.model).toEqual({
      name: "fraud",
      version: "1",
      mlflowRunId: "run1",
      uri: "models:/fraud/1",
    });
    expect(tags["modeltrail.model.name"]).toBe("fraud");
    expect(tags["modeltrail.model.mlflow_run_id"]).toBe("run1");
  });

  it("does not carry a version inherited from another model onto the new version's tags", async () => {
    const fake = fakeRegistry();
    fixture.server.use(...fake.handlers);
    const stale = ctx.with({ model: { name: "old", version: "9", uri: "models:/old/9" } });
    const res = await makeClient().registerModel(stale, {
      runId: "run1",
      artifactPath: "model",
      name: "fraud",
    });
    const tags = tagsToRecord(fake.versions[0]?.tags);
    expect(Object.values(tags)).not.toContain("9");
    expect(Object.values(tags)).not.toContain("models:/old/9");
    expect(res.trace.model).toEqual({
      name: "fraud",
      version: "1",
      mlflowRunId: "run1",
      uri: "models:/fraud/1",
    });
  });

  it("is idempotent: a second call returns the existing version", async () => {
    const fake = fakeRegistry();
    fixture.server.use(...fake.handlers);
    const c = makeClient();
    const first = await c.registerModel(ctx, { runId: "run1", artifactPath: "model", name: "fraud" });
    const second = await c.registerModel(ctx, { runId: "run1", artifactPath: "model", name: "fraud" });
    expect(second.created).toBe(false);
    expect(second.modelVersion.version).toBe(first.modelVersion.version);
    expect(fake.versions).toHaveLength(1);
    expect(fake.createCalls).toBe(1);
    // another artifact path of the same run is another version
    const other = await c.registerModel(ctx, { runId: "run1", artifactPath: "model2", name: "fraud" });
    expect(other.created).toBe(true);
    expect(fake.versions).toHaveLength(2);
  });

  it("after a lost create response it finds the version the server created: exactly one exists", async () => {
    const fake = fakeRegistry({ createHook: (attempt) => (attempt === 1 ? droppedConnection() : undefined) });
    fixture.server.use(...fake.handlers);
    const res = await makeClient().registerModel(ctx, {
      runId: "run1",
      artifactPath: "model",
      name: "fraud",
    });
    expect(res.created).toBe(true);
    expect(res.modelVersion.version).toBe("1");
    expect(fake.createCalls).toBe(1);
    expect(fake.versions).toHaveLength(1);
    // the lookup before creating, and the one after the lost response
    const calls = fixture.server.requests.map((r) => `${r.method} ${r.path.split("?")[0]}`);
    expect(calls.filter((c) => c.endsWith("/model-versions/search"))).toHaveLength(2);
    expect(calls.indexOf("POST /api/2.0/mlflow/model-versions/create")).toBeLessThan(
      calls.lastIndexOf("GET /api/2.0/mlflow/model-versions/search"),
    );
  });

  it("re-creates when the lost create never reached the registry (5xx before storing)", async () => {
    const fake = fakeRegistry({
      createHook: (attempt, stored) => {
        if (attempt > 1) return undefined;
        fake.versions.splice(fake.versions.indexOf(stored), 1); // the server failed before storing it
        return HttpResponse.json(
          { error_code: "TEMPORARILY_UNAVAILABLE", message: "db down" },
          { status: 503 },
        );
      },
    });
    fixture.server.use(...fake.handlers);
    const res = await makeClient().registerModel(ctx, {
      runId: "run1",
      artifactPath: "model",
      name: "fraud",
    });
    expect(res.created).toBe(true);
    expect(fake.createCalls).toBe(2);
    expect(fake.versions).toHaveLength(1);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const fake = fakeRegistry({
      createHook: (_attempt, stored) => {
        fake.versions.splice(fake.versions.indexOf(stored), 1);
        return droppedConnection();
      },
    });
    fixture.server.use(...fake.handlers);
    const err = await makeClient()
      .registerModel(ctx, { runId: "run1", artifactPath: "model", name: "fraud", maxAttempts: 3 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(fake.createCalls).toBe(3);
    expect(fake.versions).toHaveLength(0);
  });

  it("does not retry a create the server refused", async () => {
    const fake = fakeRegistry({
      createHook: (_a, stored) => {
        fake.versions.splice(fake.versions.indexOf(stored), 1);
        return HttpResponse.json(
          { error_code: "INVALID_PARAMETER_VALUE", message: "bad source" },
          { status: 400 },
        );
      },
    });
    fixture.server.use(...fake.handlers);
    await expect(
      makeClient().registerModel(ctx, { runId: "run1", artifactPath: "model", name: "fraud" }),
    ).rejects.toThrow("bad source");
    expect(fake.createCalls).toBe(1);
  });

  it("refuses artifact paths that leave the run", async () => {
    const fake = fakeRegistry();
    fixture.server.use(...fake.handlers);
    const c = makeClient();
    for (const artifactPath of ["../other-run/model", "s3://bucket/model"]) {
      await expect(c.registerModel(ctx, { runId: "run1", artifactPath, name: "fraud" })).rejects.toThrow(
        "Invalid artifact path",
      );
    }
    expect(fake.createCalls).toBe(0);
  });

  it("a missing run is a NotFoundError and nothing is created", async () => {
    const fake = fakeRegistry();
    fixture.server.use(...fake.handlers);
    await expect(
      makeClient().registerModel(ctx, { runId: "nope", artifactPath: "m", name: "fraud" }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(fake.createCalls).toBe(0);
  });
});

describe("finding model versions and their trace", () => {
  it("builds filters for each query", () => {
    expect(modelVersionFilter({ gitSha: SHA.toUpperCase() })).toBe(`tags.GIT_SHA = '${SHA}'`);
    expect(modelVersionFilter({ gitSha: "0123abc" }, { name: "fraud" })).toBe(
      "tags.GIT_SHA LIKE '0123abc%' AND name = 'fraud'",
    );
    expect(modelVersionFilter({ jobRunId: "22" })).toBe("tags.DBR_RUN_ID = '22'");
    // "the run id", either kind, told apart by shape
    expect(modelVersionFilter({ runId: "1795788642450001" })).toBe("tags.DBR_RUN_ID = '1795788642450001'");
    expect(modelVersionFilter({ runId: "0e65f4e6ffd84bbcaca05398f1d5dff3" }, { name: "churn" })).toBe(
      "run_id = '0e65f4e6ffd84bbcaca05398f1d5dff3' AND name = 'churn'",
    );
    expect(modelVersionFilter({ runId: " local-3f2a " })).toBe("tags.DBR_RUN_ID = 'local-3f2a'");
    expect(() => modelVersionFilter({ runId: "" })).toThrow("needs one of gitSha, runId");
    expect(modelVersionFilter({ mlflowRunId: "run1" }, { name: "it's" })).toBe(
      `run_id = 'run1' AND name = "it's"`,
    );
    expect(() => modelVersionFilter({ gitSha: "xyz" })).toThrow("Invalid git SHA");
    expect(() => modelVersionFilter({} as { gitSha: string })).toThrow("needs one of");
  });

  it("finds versions by commit and reads the trace back", async () => {
    const fake = fakeRegistry();
    fixture.server.use(...fake.handlers);
    const c = makeClient();
    await c.registerModel(ctx, { runId: "run1", artifactPath: "model", name: "fraud" });
    const found = [];
    for await (const v of c.findModelVersions({ gitSha: SHA })) found.push(v.version);
    expect(found).toEqual(["1"]);
    const byJobRun = [];
    for await (const v of c.findModelVersions({ jobRunId: "22" }, { name: "fraud" }))
      byJobRun.push(v.version);
    expect(byJobRun).toEqual(["1"]);
    const trace = await c.traceOfModelVersion("fraud", "1");
    expect(trace.code?.gitSha).toBe(SHA);
    expect(trace.job).toMatchObject({ jobId: "11", runId: "22", platform: "databricks" });
    expect(trace.model).toMatchObject({ name: "fraud", version: "1", mlflowRunId: "run1" });
  });
});
