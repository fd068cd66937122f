import { describe, expect, it } from "vitest";
import { createTraceContext, toOtelAttributes } from "../../src/index.js";
import { splitImageRef } from "../../src/internal.js";
import { DIGEST, RUN, SHA, sampleContext } from "./sample.js";

describe("toOtelAttributes", () => {
  it("uses semantic-convention names and modeltrail.* for the rest", () => {
    expect(toOtelAttributes(sampleContext())).toEqual({
      "vcs.ref.head.revision": SHA,
      "vcs.repository.url.full": "https://github.com/acme/churn.git",
      "vcs.ref.head.name": "main",
      "modeltrail.code.dirty": false,
      "cicd.pipeline.run.id": "9753949763",
      "cicd.pipeline.run.url.full": "https://github.com/acme/churn/actions/runs/9753949763",
      "cicd.pipeline.name": "train",
      "modeltrail.ci.provider": "github-actions",
      "modeltrail.ci.run_attempt": "2",
      "modeltrail.job.platform": "databricks",
      "modeltrail.job.job_id": "123",
      "modeltrail.job.run_id": "456",
      "modeltrail.job.task_run_id": "789",
      "modeltrail.job.task_key": "train",
      "modeltrail.job.workspace_url": "https://adb-1.azuredatabricks.net",
      "modeltrail.model.name": "churn",
      "modeltrail.model.version": "7",
      "modeltrail.model.mlflow_run_id": RUN,
      "modeltrail.model.uri": "models:/churn/7",
      "modeltrail.image.ref": "acme.azurecr.io/churn:5f1e2d3c",
      "oci.manifest.digest": DIGEST,
      "container.image.name": "acme.azurecr.io/churn",
      "container.image.tags": ["5f1e2d3c"],
      "container.image.repo_digests": [`acme.azurecr.io/churn@${DIGEST}`],
      "modeltrail.deployment.platform": "kubernetes",
      "k8s.cluster.name": "aks-prod",
      "k8s.namespace.name": "ml",
      "k8s.deployment.name": "churn",
      "modeltrail.deployment.revision": "3",
      "deployment.environment.name": "prod",
      "modeltrail.environment.runtime.node": "24.1.0",
      "modeltrail.environment.runtime.python": "3.11.7",
      "modeltrail.extra.team": "risk",
      "modeltrail.data.names": ["customers"],
    });
  });

  it("gives nothing for an empty context and no tag for an untagged image", () => {
    expect(toOtelAttributes(createTraceContext())).toEqual({});
    expect(toOtelAttributes(createTraceContext({ image: { ref: "reg:5000/app" } }))).toEqual({
      "modeltrail.image.ref": "reg:5000/app",
      "container.image.name": "reg:5000/app",
    });
  });
});

describe("splitImageRef", () => {
  it("splits name and tag, ignoring a digest and a registry port", () => {
    expect(splitImageRef("reg.io:5000/org/app:1.2@sha256:abc")).toEqual({
      name: "reg.io:5000/org/app",
      tag: "1.2",
    });
    expect(splitImageRef("reg.io:5000/org/app")).toEqual({ name: "reg.io:5000/org/app" });
    expect(splitImageRef("app@sha256:abc")).toEqual({ name: "app" });
    expect(splitImageRef("app:latest")).toEqual({ name: "app", tag: "latest" });
  });
});
