import { describe, expect, it } from "vitest";
import { createTraceContext, defineConventions, toLogFields } from "../../src/index.js";
import { DIGEST, RUN, SHA, sampleContext } from "./sample.js";

describe("toLogFields", () => {
  it("gives flat snake_case fields", () => {
    expect(toLogFields(sampleContext())).toEqual({
      git_sha: SHA,
      repo_url: "https://github.com/acme/churn.git",
      git_branch: "main",
      git_dirty: false,
      ci_provider: "github-actions",
      ci_run_id: "9753949763",
      ci_run_attempt: "2",
      ci_run_url: "https://github.com/acme/churn/actions/runs/9753949763",
      ci_workflow: "train",
      job_platform: "databricks",
      job_id: "123",
      run_id: "456",
      task_run_id: "789",
      task_key: "train",
      workspace_url: "https://adb-1.azuredatabricks.net",
      model_name: "churn",
      model_version: "7",
      mlflow_run_id: RUN,
      model_uri: "models:/churn/7",
      image_ref: "acme.azurecr.io/churn:5f1e2d3c",
      image_digest: DIGEST,
      deployment_platform: "kubernetes",
      deployment_cluster: "aks-prod",
      deployment_namespace: "ml",
      deployment_name: "churn",
      deployment_revision: "3",
      environment: "prod",
      runtime_node: "24.1.0",
      runtime_python: "3.11.7",
      extra_team: "risk",
    });
  });

  it("snake-cases map keys; the first key in sorted order wins a collision", () => {
    const ctx = createTraceContext({ extra: { "a-b": "dash", "a.b": "dot", a_b: "underscore" } });
    expect(toLogFields(ctx)).toEqual({ extra_a_b: "dash" });
  });

  it("logs data set names only when asked", () => {
    const ctx = createTraceContext({ data: [{ name: "x" }, { name: "y" }] });
    expect(toLogFields(ctx)).toEqual({});
    const conventions = defineConventions({ logFields: { dataNames: "data_names" } });
    expect(toLogFields(ctx, { conventions })).toEqual({ data_names: ["x", "y"] });
  });
});
