import { describe, expect, it } from "vitest";
import { createTraceContext, fromMlflowTags, toMlflowTags } from "../../src/index.js";
import { DIGEST, issuesOf, RUN, SHA, sampleContext } from "./sample.js";

describe("toMlflowTags", () => {
  it("writes the reference pipeline tags, MLflow git tags and modeltrail.* for the rest", () => {
    expect(toMlflowTags(sampleContext())).toEqual({
      "modeltrail.schema_version": "1",
      GIT_SHA: SHA,
      "mlflow.source.git.commit": SHA,
      "mlflow.source.git.repoURL": "https://github.com/acme/churn.git",
      "mlflow.source.git.branch": "main",
      DBR_RUN_ID: "456",
      DBR_JOB_ID: "123",
      "modeltrail.model.mlflow_run_id": RUN,
      "modeltrail.model.name": "churn",
      "modeltrail.model.version": "7",
      "modeltrail.model.uri": "models:/churn/7",
      "modeltrail.image.digest": DIGEST,
      "modeltrail.image.ref": "acme.azurecr.io/churn:5f1e2d3c",
      "modeltrail.environment.name": "prod",
      "modeltrail.code.dirty": "false",
      "modeltrail.ci.provider": "github-actions",
      "modeltrail.ci.run_id": "9753949763",
      "modeltrail.ci.run_attempt": "2",
      "modeltrail.ci.run_url": "https://github.com/acme/churn/actions/runs/9753949763",
      "modeltrail.ci.workflow": "train",
      "modeltrail.job.platform": "databricks",
      "modeltrail.job.task_run_id": "789",
      "modeltrail.job.task_key": "train",
      "modeltrail.job.workspace_url": "https://adb-1.azuredatabricks.net",
      "modeltrail.deployment.platform": "kubernetes",
      "modeltrail.deployment.cluster": "aks-prod",
      "modeltrail.deployment.namespace": "ml",
      "modeltrail.deployment.name": "churn",
      "modeltrail.deployment.revision": "3",
      "modeltrail.environment.runtime.node": "24.1.0",
      "modeltrail.environment.runtime.python": "3.11.7",
      "modeltrail.extra.team": "risk",
      "modeltrail.data.0":
        '{"name":"customers","uri":"dbfs:/data/customers","version":"12","digest":"a1b2c3d4"}',
    });
  });
});

describe("fromMlflowTags", () => {
  it("reads a model version's tags as the MLflow REST API lists them, ignoring other tags", () => {
    const ctx = fromMlflowTags([
      { key: "GIT_SHA", value: SHA },
      { key: "DBR_RUN_ID", value: "456" },
      { key: "DBR_JOB_ID", value: "123" },
      { key: "mlflow.user", value: "ana@example.com" },
      { key: "mlflow.source.git.commit", value: SHA },
      { key: "mlflow.source.git.repoURL", value: "https://ana:tok3nValue99@github.com/acme/churn.git" },
      { key: "modeltrail.note", value: "not ours" },
    ]);
    expect(ctx.toJSON()).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA, repoUrl: "https://github.com/acme/churn.git" },
      job: { jobId: "123", runId: "456" },
    });
  });

  it("rejects GIT_SHA and mlflow.source.git.commit that disagree", () => {
    const issues = issuesOf(() =>
      fromMlflowTags({ GIT_SHA: SHA, "mlflow.source.git.commit": "e".repeat(40) }),
    );
    expect(issues[0]?.path).toBe("GIT_SHA, mlflow.source.git.commit");
  });

  it("rejects gaps in data tags, bad data indexes, duplicate keys with different values", () => {
    const data = (name: string) => JSON.stringify({ name });
    expect(
      issuesOf(() => fromMlflowTags({ "modeltrail.data.0": data("a"), "modeltrail.data.2": data("b") })),
    ).toEqual([{ path: "modeltrail.data.2", message: expect.stringContaining("index 1 is missing") }]);
    expect(issuesOf(() => fromMlflowTags({ "modeltrail.data.x": data("a") }))[0]?.path).toBe(
      "modeltrail.data.x",
    );
    expect(issuesOf(() => fromMlflowTags({ "modeltrail.data.0": "{" }))[0]?.path).toBe("modeltrail.data.0");
    expect(
      issuesOf(() =>
        fromMlflowTags([
          { key: "GIT_SHA", value: SHA },
          { key: "GIT_SHA", value: "d".repeat(40) },
        ]),
      )[0]?.path,
    ).toBe("GIT_SHA");
  });

  it("names invalid runtime and extra keys by tag", () => {
    const issues = issuesOf(() =>
      fromMlflowTags({ "modeltrail.extra.Bad": "x", "modeltrail.environment.runtime.": "y" }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      "modeltrail.environment.runtime.",
      "modeltrail.extra.Bad",
    ]);
  });

  it("rejects a newer schema version", () => {
    expect(() => fromMlflowTags({ "modeltrail.schema_version": "3" })).toThrow(/upgrade modeltrail/i);
  });

  it("round-trips a context with several data sets in order", () => {
    const ctx = createTraceContext({ data: [{ name: "b" }, { name: "a", version: "1" }, { name: "c" }] });
    expect(fromMlflowTags(toMlflowTags(ctx)).data).toEqual(ctx.data);
  });
});
