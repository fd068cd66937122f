import { ValidationError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { joinArtifactUri, mlflowArtifactsProxyPath, parseMlflowUri } from "../src/index.js";

describe("parseMlflowUri", () => {
  it.each([
    ["runs:/abc123/model", { kind: "run", runId: "abc123", path: "model" }],
    ["runs:/abc123/model/sub/", { kind: "run", runId: "abc123", path: "model/sub" }],
    ["runs:/abc123", { kind: "run", runId: "abc123", path: "" }],
    ["models:/fraud/3", { kind: "model-version", name: "fraud", version: "3" }],
    ["models:/fraud@champion", { kind: "model-alias", name: "fraud", alias: "champion" }],
    ["models:/fraud/latest", { kind: "model-latest", name: "fraud" }],
    ["models:/fraud/LATEST", { kind: "model-latest", name: "fraud" }],
    ["models:/fraud/Production", { kind: "model-stage", name: "fraud", stage: "Production" }],
    ["models:/m-0123456789abcdef", { kind: "logged-model", modelId: "m-0123456789abcdef" }],
    ["mlflow-artifacts:/1/abc/artifacts/model", { kind: "mlflow-artifacts", path: "1/abc/artifacts/model" }],
    ["mlflow-artifacts://127.0.0.1:5000/1/abc", { kind: "mlflow-artifacts", path: "1/abc" }],
  ])("parses %s", (uri, expected) => {
    expect(parseMlflowUri(uri)).toEqual(expected);
  });

  it.each([
    "",
    "model",
    "s3://bucket/key",
    "runs:abc/model",
    "runs:/",
    "runs:/bad id/x",
    "runs:/abc/../../etc",
    "models:/",
    "models:/a/b/c",
    "models:/a/",
    "models:/@alias",
    "models:/name@",
    "models://profile@databricks/name/1",
    "mlflow-artifacts:/a/../../b",
  ])("refuses %j with the accepted forms", (uri) => {
    let err: unknown;
    try {
      parseMlflowUri(uri);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain("runs:/<run_id>/<path>");
    expect((err as Error).message).toContain("models:/<name>@<alias>");
  });

  it("joins artifact URIs and finds proxy paths", () => {
    expect(joinArtifactUri("mlflow-artifacts:/1/abc/artifacts/", "model")).toBe(
      "mlflow-artifacts:/1/abc/artifacts/model",
    );
    expect(joinArtifactUri("s3://b/k", "")).toBe("s3://b/k");
    expect(mlflowArtifactsProxyPath("mlflow-artifacts:/1/abc/artifacts/model")).toBe("1/abc/artifacts/model");
    expect(mlflowArtifactsProxyPath("s3://b/k")).toBeUndefined();
  });
});
