import { createTraceContext, type TraceContext } from "@modeltrail/core";

/** A Databricks training run started by a GitHub Actions run, with two data sets and a registered model. */
export function databricksTraining(): TraceContext {
  return createTraceContext({
    code: {
      gitSha: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      repoUrl: "https://github.com/acme/churn-model.git",
      branch: "main",
    },
    ci: {
      provider: "github-actions",
      runId: "1795788642",
      runAttempt: "2",
      workflow: "train-and-deploy",
      runUrl: "https://github.com/acme/churn-model/actions/runs/1795788642",
    },
    job: {
      platform: "databricks",
      jobId: "812345",
      runId: "1795788642450001",
      taskKey: "train",
      workspaceUrl: "https://adb-1234567890123456.7.azuredatabricks.net",
    },
    model: {
      name: "churn",
      version: "7",
      mlflowRunId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      uri: "models:/churn/7",
    },
    environment: { name: "prod", runtime: { python: "3.12.7", spark: "3.5.2" } },
    data: [
      {
        name: "customers",
        uri: "abfss://raw@acmelake.dfs.core.windows.net/customers/2026-11-01",
        version: "2026-11-01",
        digest: `sha256:${"a".repeat(64)}`,
      },
      { name: "labels", uri: "dbfs:/mnt/labels/v3.parquet", digest: "md5-like-mlflow-digest-9f2c" },
    ],
  });
}

/** A local training run (LocalJobRunner) with no CI, identified by its MLflow run only. */
export function localTraining(): TraceContext {
  return createTraceContext({
    code: { gitSha: "0123456789abcdef0123456789abcdef01234567", repoUrl: "git@gitlab.com:acme/ml/churn.git" },
    job: { platform: "local" },
    model: { mlflowRunId: "ffeeddccbbaa99887766554433221100" },
    environment: { runtime: { python: "3.11.9" } },
    data: [{ name: "train.csv", uri: "file:///data/train.csv", digest: `sha256:${"b".repeat(64)}` }],
  });
}

const DIGEST = `sha256:${"c".repeat(64)}`;

/** The CI step that built the serving image of churn v7. */
export function imageBuild(): TraceContext {
  return createTraceContext({
    code: {
      gitSha: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      repoUrl: "https://github.com/acme/churn-model",
    },
    ci: { provider: "github-actions", runId: "1795788642", runAttempt: "2", workflow: "train-and-deploy" },
    model: { name: "churn", version: "7", uri: "models:/churn/7" },
    image: { ref: `acme.azurecr.io/ml/churn-serving:git-4f1c2a9@${DIGEST}`, digest: DIGEST },
  });
}

/** The rollout of that image to a Kubernetes Deployment. */
export function deployment(): TraceContext {
  return createTraceContext({
    code: {
      gitSha: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      repoUrl: "https://github.com/acme/churn-model",
    },
    ci: { provider: "github-actions", runId: "1795788642", runAttempt: "2", workflow: "train-and-deploy" },
    model: { name: "churn", version: "7" },
    image: { ref: "acme.azurecr.io/ml/churn-serving:git-4f1c2a9", digest: DIGEST },
    deployment: {
      platform: "k8s",
      cluster: "aks-prod-weu",
      namespace: "ml",
      name: "churn-serving",
      revision: "12",
    },
    environment: { name: "prod" },
  });
}
