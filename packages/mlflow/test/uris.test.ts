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
    ["runs:/abc123/a%20b/100%25", { kind: "run", runId: "abc123", path: "a b/100%" }],
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
    // refused, not repaired
    "runs:/abc/mod\tel",
    "runs:/abc/model\n",
    "runs:/abc//etc/passwd",
    "runs://abc/model",
    "runs:/abc/./model",
    "runs:/abc/model?x",
    " runs:/abc/model",
    "runs:/abc/model ",
    "runs:/abc/a%2Fb",
    "mlflow-artifacts:/a//b",
    "mlflow-artifacts:a/b",
    "models:/fra\nud/3",
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
    // a path joined into a URI reads back as the same path
    const joined = joinArtifactUri("mlflow-artifacts:/1/abc/artifacts", "a b/100%/x?y#z");
    expect(joined).toBe("mlflow-artifacts:/1/abc/artifacts/a%20b/100%25/x%3Fy%23z");
    expect(mlflowArtifactsProxyPath(joined)).toBe("1/abc/artifacts/a b/100%/x?y#z");
    expect(mlflowArtifactsProxyPath("mlflow-artifacts:/1/abc/artifacts/model")).toBe("1/abc/artifacts/model");
    expect(mlflowArtifactsProxyPath("s3://b/k")).toBeUndefined();
  });
});
