import { expect } from "vitest";
import { createTraceContext, type TraceContext, ValidationError } from "../../src/index.js";

export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const DIGEST = `sha256:${"ab".repeat(32)}`;
export const RUN = "5f1e2d3c4b5a69788796a5b4c3d2e1f0";

/** A context with every section filled. */
export function sampleContext(): TraceContext {
  return createTraceContext({
    code: { gitSha: SHA, repoUrl: "https://github.com/acme/churn.git", branch: "main", dirty: false },
    ci: {
      provider: "github-actions",
      runId: "9753949763",
      runAttempt: "2",
      runUrl: "https://github.com/acme/churn/actions/runs/9753949763",
      workflow: "train",
    },
    job: {
      platform: "databricks",
      jobId: "123",
      runId: "456",
      taskRunId: "789",
      taskKey: "train",
      workspaceUrl: "https://adb-1.azuredatabricks.net",
    },
    model: { name: "churn", version: "7", mlflowRunId: RUN, uri: "models:/churn/7" },
    image: { ref: "acme.azurecr.io/churn:5f1e2d3c", digest: DIGEST },
    deployment: {
      platform: "kubernetes",
      cluster: "aks-prod",
      namespace: "ml",
      name: "churn",
      revision: "3",
    },
    environment: { name: "prod", runtime: { python: "3.11.7", node: "24.1.0" } },
    data: [{ name: "customers", uri: "dbfs:/data/customers", version: "12", digest: "a1b2c3d4" }],
    extra: { team: "risk" },
  });
}

/** The issues of the ValidationError that `fn` throws (fails the test when it throws nothing else). */
export function issuesOf(fn: () => unknown): ValidationError["issues"] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}
