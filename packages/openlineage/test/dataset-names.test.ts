import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { datasetNameOfImage, datasetNameOfUri } from "../src/index.js";

describe("datasetNameOfUri (OpenLineage naming conventions)", () => {
  it.each([
    ["s3://bucket/path/to/x.parquet", "s3://bucket", "path/to/x.parquet"],
    ["gs://b/k", "gs://b", "k"],
    ["abfss://raw@acct.dfs.core.windows.net/a/b", "abfss://raw@acct.dfs.core.windows.net", "a/b"],
    ["wasbs://c@acct.blob.core.windows.net/x", "wasbs://c@acct.blob.core.windows.net", "x"],
    ["file:///data/train.csv", "file", "/data/train.csv"],
    ["file:///data/with%20space.csv", "file", "/data/with space.csv"],
    ["/data/train.csv", "file", "/data/train.csv"],
    ["dbfs:/mnt/x", "dbfs", "/mnt/x"],
    ["dbfs:///mnt/x", "dbfs", "/mnt/x"],
    ["/Volumes/main/raw/files/x.csv", "dbfs", "/Volumes/main/raw/files/x.csv"],
    ["https://user:pw@data.example.com:8443/sets/x?sig=secret", "https://data.example.com:8443", "/sets/x"],
    ["main.raw.customers", "fallback", "main.raw.customers"],
    ["s3://b/%E0%A4%A", "s3://b", "%E0%A4%A"],
  ])("%s -> %s %s", (uri, namespace, name) => {
    expect(datasetNameOfUri(uri, "fallback")).toEqual({ namespace, name });
  });

  it("never throws and never keeps a password or a query string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true })), (s) => {
        const out = datasetNameOfUri(s, "ns");
        expect(out.namespace.length).toBeGreaterThan(0);
        if (/^https?:\/\//.test(s)) expect(`${out.namespace}${out.name}`).not.toContain("?");
      }),
    );
    expect(JSON.stringify(datasetNameOfUri("https://u:hunter2@h/x", "ns"))).not.toContain("hunter2");
  });
});

describe("datasetNameOfImage", () => {
  it.each([
    [`acme.azurecr.io/ml/churn:1@sha256:${"a".repeat(64)}`, "oci://acme.azurecr.io", "ml/churn"],
    ["localhost:5000/app:dev", "oci://localhost:5000", "app"],
    ["127.0.0.1:5000/org/app", "oci://127.0.0.1:5000", "org/app"],
    ["python:3.12", "oci://docker.io", "library/python"],
    ["bitnami/redis", "oci://docker.io", "bitnami/redis"],
  ])("%s -> %s %s", (ref, namespace, name) => {
    expect(datasetNameOfImage(ref)).toEqual({ namespace, name });
  });
});
