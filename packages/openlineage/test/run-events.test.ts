import { createTraceContext, ValidationError } from "@modeltrail/core";
import { registerSecret } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PRODUCER,
  deploymentRunEvent,
  imageBuildRunEvent,
  openLineageRunId,
  RUN_EVENT_SCHEMA_URL,
  trainingRunEvent,
} from "../src/index.js";
import { databricksTraining, deployment, imageBuild, localTraining } from "./contexts.js";

const TIME = "2026-11-27T18:00:00Z";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("trainingRunEvent", () => {
  it("maps a Databricks training run: job, run, parent CI run, engine, inputs with versions and digests, the model", () => {
    const e = trainingRunEvent(databricksTraining(), { eventType: "COMPLETE", eventTime: TIME });
    expect(e).toMatchObject({
      eventType: "COMPLETE",
      eventTime: "2026-11-27T18:00:00.000Z",
      producer: DEFAULT_PRODUCER,
      schemaURL: RUN_EVENT_SCHEMA_URL,
      job: {
        namespace: "databricks://adb-1234567890123456.7.azuredatabricks.net",
        name: "jobs/812345/tasks/train",
      },
    });
    expect(e.run.runId).toMatch(UUID);
    expect(e.job.facets?.sourceCodeLocation).toMatchObject({
      type: "git",
      url: "https://github.com/acme/churn-model/tree/4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      repoUrl: "https://github.com/acme/churn-model.git",
      version: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      branch: "main",
    });
    expect(e.job.facets?.jobType).toMatchObject({
      processingType: "BATCH",
      integration: "MODELTRAIL",
      jobType: "TRAINING",
    });
    expect(e.run.facets?.parent).toMatchObject({
      job: { namespace: "ci://github-actions", name: "train-and-deploy" },
      run: { runId: openLineageRunId("ci://github-actions", "ci-run", "1795788642", "2") },
    });
    expect(e.run.facets?.processing_engine).toMatchObject({ name: "spark", version: "3.5.2" });
    expect(e.run.facets?.modeltrail_trace).toMatchObject({
      kind: "training",
      jobRunId: "1795788642450001",
      mlflowRunId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      gitSha: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
    });
    expect(e.inputs).toEqual([
      expect.objectContaining({
        namespace: "abfss://raw@acmelake.dfs.core.windows.net",
        name: "customers/2026-11-01",
        facets: expect.objectContaining({
          version: expect.objectContaining({ datasetVersion: "2026-11-01" }),
          modeltrail_digest: expect.objectContaining({ algorithm: "sha256", value: "a".repeat(64) }),
        }),
      }),
      expect.objectContaining({
        namespace: "dbfs",
        name: "/mnt/labels/v3.parquet",
        facets: expect.objectContaining({
          version: expect.objectContaining({ datasetVersion: "md5-like-mlflow-digest-9f2c" }),
          modeltrail_digest: expect.objectContaining({
            digest: "md5-like-mlflow-digest-9f2c",
            value: "md5-like-mlflow-digest-9f2c",
          }),
        }),
      }),
    ]);
    expect(e.outputs).toEqual([
      expect.objectContaining({
        namespace: "mlflow",
        name: "models/churn",
        facets: expect.objectContaining({ version: expect.objectContaining({ datasetVersion: "7" }) }),
      }),
    ]);
  });

  it("START and COMPLETE of a run share its run id; another job run gets another", () => {
    const start = trainingRunEvent(databricksTraining(), { eventType: "START" });
    const complete = trainingRunEvent(databricksTraining(), { eventType: "COMPLETE" });
    expect(start.run.runId).toBe(complete.run.runId);
    const other = databricksTraining().with({ job: { runId: "1795788642450002" } });
    expect(trainingRunEvent(other, { eventType: "START" }).run.runId).not.toBe(start.run.runId);
  });

  it("a local run is named after its repository and identified by its MLflow run; no CI, no parent", () => {
    const e = trainingRunEvent(localTraining(), { eventType: "START", eventTime: TIME });
    expect(e.job).toMatchObject({ namespace: "local", name: "train/churn" });
    expect(e.job.facets?.sourceCodeLocation).toMatchObject({
      url: "https://gitlab.com/acme/ml/churn/tree/0123456789abcdef0123456789abcdef01234567",
    });
    expect(e.run.facets?.parent).toBeUndefined();
    expect(e.run.runId).toBe(openLineageRunId("local", "mlflow-run", "ffeeddccbbaa99887766554433221100"));
    expect(e.outputs).toEqual([
      { namespace: "mlflow", name: "runs/ffeeddccbbaa99887766554433221100/model", facets: {} },
    ]);
    expect(e.inputs[0]).toMatchObject({ namespace: "file", name: "/data/train.csv" });
  });

  it("refuses a context that names no run, with a typed error that says what to record", () => {
    const err = (() => {
      try {
        trainingRunEvent(createTraceContext({ code: { repoUrl: "https://github.com/a/b" } }), {
          eventType: "START",
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(["job.runId"]);
    expect(String(err)).toMatch(/job\.runId \(or model\.mlflowRunId\)/);
  });

  it("checks the options: event type, time with a zone, producer URI, non-empty names", () => {
    const ctx = databricksTraining();
    for (const bad of [
      { eventType: "DONE" },
      { eventType: "START", eventTime: "2026-11-27 18:00" },
      { eventType: "START", eventTime: "2026-11-27T18:00:00" },
      { eventType: "START", eventTime: Number.NaN },
      { eventType: "START", producer: "modeltrail" },
      { eventType: "START", jobName: " " },
      { eventType: "START", processingEngine: { name: "spark", version: "" } },
    ])
      expect(() => trainingRunEvent(ctx, bad as never), JSON.stringify(bad)).toThrow(ValidationError);
    expect(
      trainingRunEvent(ctx, { eventType: "START", eventTime: "2026-11-27T19:00:00+01:00" }).eventTime,
    ).toBe("2026-11-27T18:00:00.000Z");
    expect(trainingRunEvent(ctx, { eventType: "START", eventTime: 0 }).eventTime).toBe(
      "1970-01-01T00:00:00.000Z",
    );
  });

  it("a FAIL event's message and stack trace are redacted of secrets", () => {
    const secret = "dapi0123456789abcdef0123456789abcdef";
    registerSecret(secret);
    const failure = new Error(`401 from https://adb-1.azuredatabricks.net with token ${secret}`);
    const e = trainingRunEvent(databricksTraining(), { eventType: "FAIL", failure });
    const text = JSON.stringify(e);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(0, 20));
    expect(e.run.facets?.errorMessage).toMatchObject({ programmingLanguage: "python" });
    expect(String(e.run.facets?.errorMessage?.message)).toContain("[REDACTED]");
  });
});

describe("imageBuildRunEvent", () => {
  it("the model version in, the image out with its digest, under the CI run", () => {
    const e = imageBuildRunEvent(imageBuild(), { eventType: "COMPLETE", eventTime: TIME });
    expect(e.job).toMatchObject({
      namespace: "ci://github-actions",
      name: "image-build/acme.azurecr.io/ml/churn-serving",
    });
    expect(e.inputs).toEqual([expect.objectContaining({ namespace: "mlflow", name: "models/churn" })]);
    expect(e.outputs).toEqual([
      expect.objectContaining({
        namespace: "oci://acme.azurecr.io",
        name: "ml/churn-serving",
        facets: expect.objectContaining({
          version: expect.objectContaining({ datasetVersion: `sha256:${"c".repeat(64)}` }),
          modeltrail_digest: expect.objectContaining({
            algorithm: "sha256",
            value: "c".repeat(64),
            source: "image manifest",
          }),
        }),
      }),
    ]);
    expect(e.run.facets?.parent).toBeDefined();
  });

  it("refuses a context without image or CI run", () => {
    expect(() => imageBuildRunEvent(databricksTraining(), { eventType: "START" })).toThrow(/image\.ref/);
  });
});

describe("deploymentRunEvent", () => {
  it("the image in; job per Deployment, run per revision", () => {
    const e = deploymentRunEvent(deployment(), { eventType: "COMPLETE", eventTime: TIME });
    expect(e.job).toMatchObject({ namespace: "k8s://aks-prod-weu", name: "ml/churn-serving" });
    expect(e.inputs).toEqual([
      expect.objectContaining({ namespace: "oci://acme.azurecr.io", name: "ml/churn-serving" }),
    ]);
    expect(e.outputs).toEqual([]);
    const next = deploymentRunEvent(deployment().with({ deployment: { revision: "13" } }), {
      eventType: "START",
    });
    expect(next.run.runId).not.toBe(e.run.runId);
    expect(next.job).toEqual(e.job);
  });

  it("refuses a context without a deployment", () => {
    expect(() => deploymentRunEvent(imageBuild(), { eventType: "START" })).toThrow(ValidationError);
  });
});
