import { ConfigError, ValidationError } from "@modeltrail/core";
import { redactText } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";
import {
  type ArtifactCredential,
  CredentialPool,
  type DatabricksArtifactResource,
  databricksTransferSettings,
  fromUcTagKeys,
  mapStorageError,
  parseDatabricksArtifactUri,
  parseUcRegistryUri,
  parseUcStorageLocation,
  S3Presigner,
  signedUriExpiry,
  splitUcModelName,
  toUcTagKeys,
  ucTagKey,
  validateUcTags,
} from "../src/index.js";

describe("Databricks artifact URIs", () => {
  it("parses run and logged-model locations and refuses anything else", () => {
    expect(
      parseDatabricksArtifactUri("dbfs:/databricks/mlflow-tracking/12/abc/artifacts/model/MLmodel"),
    ).toEqual({
      kind: "run",
      experimentId: "12",
      runId: "abc",
      path: "model/MLmodel",
    });
    expect(
      parseDatabricksArtifactUri(
        "dbfs://prof@databricks/databricks/mlflow-tracking/1/logged_models/m-1/artifacts",
      ),
    ).toEqual({
      kind: "logged-model",
      experimentId: "1",
      modelId: "m-1",
      path: "",
    });
    for (const bad of [
      "dbfs:/databricks/mlflow-tracking/1/abc/artifacts/../x",
      "dbfs:/databricks/mlflow-tracking/1/abc/other/x",
      "dbfs:/databricks/mlflow-registry/1/x",
      "s3://bucket/x",
      "dbfs:/databricks/mlflow-tracking/1/a b/artifacts",
    ]) {
      expect(() => parseDatabricksArtifactUri(bad), bad).toThrow(ValidationError);
    }
  });
});

describe("signed URI expiry", () => {
  it("reads Azure se, SigV4 and GCS V4 dates", () => {
    expect(
      signedUriExpiry(new URL("https://a.blob.core.windows.net/c/b?sv=1&se=2030-01-02T03:04:05Z&sig=x")),
    ).toBe(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(
      signedUriExpiry(new URL("https://b.s3.amazonaws.com/k?X-Amz-Date=20300102T030405Z&X-Amz-Expires=60")),
    ).toBe(Date.UTC(2030, 0, 2, 3, 5, 5));
    expect(
      signedUriExpiry(
        new URL("https://storage.googleapis.com/b/k?X-Goog-Date=20300102T030405Z&X-Goog-Expires=1"),
      ),
    ).toBe(Date.UTC(2030, 0, 2, 3, 4, 6));
    expect(signedUriExpiry(new URL("https://x/y?Expires=1900000000"))).toBe(1_900_000_000_000);
    expect(signedUriExpiry(new URL("https://x/y?se=garbage"))).toBeUndefined();
  });
});

describe("transfer settings", () => {
  it("follows MLflow's variables and names a bad one", () => {
    const s = databricksTransferSettings({
      MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: "5242880",
      MLFLOW_ENABLE_MULTIPART_UPLOAD: "false",
      MLFLOW_MULTIPART_DOWNLOAD_MINIMUM_FILE_SIZE: "1000",
    });
    expect(s).toMatchObject({
      uploadChunkSize: 5242880,
      multipartUpload: false,
      multipartUploadMinSize: 500 * 1024 ** 2,
    });
    expect(s.ranged).toMatchObject({ minFileSize: 1000, chunkSize: 16 * 1024 ** 2 });
    expect(databricksTransferSettings({ MLFLOW_ENABLE_MULTIPART_DOWNLOAD: "0" }).ranged).toBe(false);
    expect(() => databricksTransferSettings({ MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: "10MB" })).toThrow(
      ConfigError,
    );
    expect(() => databricksTransferSettings({ MLFLOW_ENABLE_MULTIPART_UPLOAD: "yes" })).toThrow(
      /MLFLOW_ENABLE_MULTIPART_UPLOAD/,
    );
  });
});

describe("storage errors", () => {
  it("maps Azure XML and ADLS JSON errors with their codes", () => {
    const base = {
      service: "cloud-storage",
      method: "GET" as const,
      url: "https://a/b?sig=SECRETSIG",
      headers: {},
      requestId: undefined,
      retryAfterSeconds: undefined,
    };
    const azure = mapStorageError({
      ...base,
      status: 403,
      bodyText:
        "<?xml?><Error><Code>AuthenticationFailed</Code><Message>Signature not valid\nTime:x</Message></Error>",
      bodyJson: undefined,
    });
    expect(azure?.error.serviceCode).toBe("AuthenticationFailed");
    expect(azure?.error.message).not.toContain("SECRETSIG");
    const adls = mapStorageError({
      ...base,
      status: 404,
      bodyText: "",
      bodyJson: { error: { code: "PathNotFound", message: "nope" } },
    });
    expect(adls?.error.serviceCode).toBe("PathNotFound");
    expect(mapStorageError({ ...base, status: 500, bodyText: "oops", bodyJson: undefined })).toBeUndefined();
  });
});

describe("CredentialPool", () => {
  const resource = (issued: string[][], ttlMs: () => number): DatabricksArtifactResource => ({
    kind: "run",
    label: "run r",
    writable: true,
    listDirectory: async () => [],
    credentials: async (_mode, paths) => {
      issued.push([...paths]);
      return paths.map(
        (path): ArtifactCredential => ({
          path,
          type: "AZURE_SAS_URI",
          signedUri: `https://x/${path}?sig=s`,
          headers: {},
          expiresAt: Date.now() + ttlMs(),
        }),
      );
    },
  });

  it("fetches batches for files about to start, shares a request, and renews credentials about to expire", async () => {
    const issued: string[][] = [];
    let ttl = 3600_000;
    const pool = new CredentialPool(
      resource(issued, () => ttl),
      "read",
      ["a", "b", "c", "d", "e"],
      {},
      { batchSize: 2, marginMs: 1000 },
    );
    const [a, b] = await Promise.all([pool.get("a"), pool.get("b")]);
    expect(a.path).toBe("a");
    expect(b.path).toBe("b");
    // b was asked for while a's batch (a, b) was on its way: one request for both
    expect(issued).toEqual([["a", "b"]]);
    await pool.get("c");
    expect(issued).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    await pool.get("d");
    expect(issued).toHaveLength(2);
    ttl = 500; // credentials issued from now on are inside the margin: each file asks again
    await pool.refresh("e");
    await pool.get("e");
    expect(issued.length).toBe(4);
    expect(issued.at(-1)?.[0]).toBe("e");
  });
});

describe("Unity Catalog rules", () => {
  it("splits three-level names", () => {
    expect(splitUcModelName("main.ml.churn")).toEqual({ catalog: "main", schema: "ml", model: "churn" });
    for (const bad of ["churn", "a.b", "a..c", "a.b.c.d", "a.b c.d"])
      expect(() => splitUcModelName(bad), bad).toThrow(ValidationError);
  });

  it("validates tags as UC does and maps trace tag keys both ways", () => {
    expect(() => validateUcTags({ GIT_SHA: "x", DBR_RUN_ID: "1" }, "model version")).not.toThrow();
    for (const [k, v] of [
      ["a.b", "x"],
      ["a-b", "x"],
      ["a:b", "x"],
      ["k".repeat(256), "x"],
      ["k", "v".repeat(1001)],
    ] as const) {
      expect(() => validateUcTags({ [k]: v }, "model version"), k.slice(0, 10)).toThrow(ValidationError);
    }
    expect(ucTagKey("mlflow.source.git.commit")).toBe("mlflow_source_git_commit");
    const tags = { GIT_SHA: "1", "mlflow.source.git.commit": "1", "modeltrail.runtime.python": "3.11" };
    const uc = toUcTagKeys(tags);
    expect(Object.keys(uc).sort()).toEqual([
      "GIT_SHA",
      "mlflow_source_git_commit",
      "modeltrail_runtime_python",
    ]);
    expect(fromUcTagKeys(uc, ["GIT_SHA", "mlflow.source.git.commit"], ["modeltrail.runtime."])).toEqual(tags);
    expect(() => toUcTagKeys({ "a.b": "1", a_b: "2" })).toThrow(/same tag/);
  });

  it("parses registry URIs and storage locations", () => {
    expect(parseUcRegistryUri("databricks-uc")).toEqual({ profile: undefined });
    expect(parseUcRegistryUri("databricks-uc://prod")).toEqual({ profile: "prod" });
    expect(parseUcRegistryUri("databricks")).toBeUndefined();
    expect(parseUcStorageLocation("abfss://models@acct.dfs.core.windows.net/a/b/")).toEqual({
      cloud: "azure",
      container: "models",
      account: "acct",
      suffix: "dfs.core.windows.net",
      path: "a/b",
    });
    expect(parseUcStorageLocation("s3://bkt/x/y")).toEqual({ cloud: "s3", bucket: "bkt", path: "x/y" });
    expect(parseUcStorageLocation("gs://bkt/x")).toEqual({ cloud: "gcs", bucket: "bkt", path: "x" });
    expect(() => parseUcStorageLocation("r2://bkt/x")).toThrow(/Unsupported/);
    expect(() => parseUcStorageLocation("s3://bkt/a/../b")).toThrow(ValidationError);
  });
});

describe("S3Presigner", () => {
  it("presigns with temporary credentials and keeps them out of redacted text", async () => {
    const p = new S3Presigner(
      {
        accessKeyId: "ASIAEXAMPLE",
        secretAccessKey: "presign-secret-key-123",
        sessionToken: "presign-session-tok-456",
      },
      "eu-west-1",
    );
    const url = new URL(
      await p.presign("PUT", new URL("https://bkt.s3.amazonaws.com/a/b c.bin"), 600, {
        "x-amz-server-side-encryption": "AES256",
      }),
    );
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(
      /^ASIAEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/,
    );
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe("presign-session-tok-456");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host;x-amz-server-side-encryption");
    const text = redactText(`failed ${url} presign-secret-key-123`);
    expect(text).not.toContain(url.searchParams.get("X-Amz-Signature") as string);
    expect(text).not.toContain("presign-secret-key-123");
    expect(text).not.toContain("presign-session-tok-456");
  });
});
