import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { ConfigError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import {
  MlflowClient,
  parseDatabricksTrackingUri,
  resolveHttpConnection,
  resolveMlflowConnection,
} from "../src/index.js";

const emptyHome = mkdtempSync(join(tmpdir(), "mt-mlflow-home-"));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("MLflow connection settings", () => {
  it("names MLFLOW_TRACKING_URI when nothing is configured", () => {
    const err = configError(() => resolveHttpConnection({ env: {} }));
    expect(err.sources).toEqual(["MLFLOW_TRACKING_URI"]);
    expect(err.message).toContain("MLFLOW_TRACKING_URI");
    const viaClient = configError(() => new MlflowClient({ env: {} }));
    expect(viaClient.message).toContain("MLFLOW_TRACKING_URI");
  });

  it("refuses local stores and other schemes, naming the variable", () => {
    for (const uri of ["file:///tmp/mlruns", "sqlite:///mlflow.db", "./mlruns", "ftp://host/x"]) {
      const err = configError(() => resolveHttpConnection({ env: { MLFLOW_TRACKING_URI: uri } }));
      expect(err.sources).toEqual(["MLFLOW_TRACKING_URI"]);
    }
  });

  it("reads the URI, token and TLS settings from the environment; options win", () => {
    const conn = resolveHttpConnection({
      env: {
        MLFLOW_TRACKING_URI: "https://mlflow.example.com/prefix/",
        MLFLOW_TRACKING_TOKEN: "tok-123456",
        MLFLOW_TRACKING_INSECURE_TLS: "true",
      },
    });
    expect(conn).toMatchObject({
      kind: "http",
      baseUrl: "https://mlflow.example.com/prefix",
      insecureTls: true,
    });
    expect(conn.credentials?.kind).toBe("bearer");
    const explicit = resolveHttpConnection({
      trackingUri: "http://127.0.0.1:5000",
      env: { MLFLOW_TRACKING_URI: "https://ignored.example.com" },
    });
    expect(explicit.baseUrl).toBe("http://127.0.0.1:5000");
    expect(explicit.credentials).toBeUndefined();
  });

  it("prefers basic auth over a token, as MLflow does", async () => {
    const conn = resolveHttpConnection({
      env: {
        MLFLOW_TRACKING_URI: "http://h:5000",
        MLFLOW_TRACKING_TOKEN: "tok-123456",
        MLFLOW_TRACKING_USERNAME: "alice",
        MLFLOW_TRACKING_PASSWORD: "pw-123456",
      },
    });
    expect(conn.credentials?.kind).toBe("basic");
    const headers = await conn.credentials!.getAuthHeaders();
    expect(headers.authorization).toBe(`Basic ${Buffer.from("alice:pw-123456").toString("base64")}`);
  });

  it("moves credentials out of the URI into basic auth", async () => {
    const conn = resolveHttpConnection({
      env: { MLFLOW_TRACKING_URI: "https://bob:s3cr3t-pass@mlflow.example.com" },
    });
    expect(conn.baseUrl).toBe("https://mlflow.example.com");
    expect(conn.trackingUri).not.toContain("s3cr3t-pass");
    expect((await conn.credentials!.getAuthHeaders()).authorization).toBe(
      `Basic ${Buffer.from("bob:s3cr3t-pass").toString("base64")}`,
    );
  });

  it("a URI whose credentials are not valid percent-encoding is a ConfigError naming the variable, not the password", () => {
    const cases = [
      { uri: "http://u:s3cr%t@h", secret: "s3cr%t", part: "password" },
      { uri: "http://u:pw%E0%A4%A-secret@h:5000/", secret: "pw%E0%A4%A-secret", part: "password" },
      { uri: "https://bad%zzuser:fine-pass-123@h", secret: "fine-pass-123", part: "user name" },
    ];
    for (const { uri, secret, part } of cases) {
      const err = configError(() => resolveHttpConnection({ env: { MLFLOW_TRACKING_URI: uri } }));
      expect(err.message).toContain("MLFLOW_TRACKING_URI");
      expect(err.message).toContain(`${part} that is not valid percent-encoding`);
      expect(err.sources).toEqual(["MLFLOW_TRACKING_URI"]);
      expect(err.hint).toMatch(/%25/);
      for (const text of [err.message, JSON.stringify(err), inspect(err, { depth: 10 }), String(err.stack)]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(0, 5));
      }
      const viaOption = configError(() => resolveHttpConnection({ trackingUri: uri, env: {} }));
      expect(viaOption.message).toContain("The trackingUri option");
      expect(viaOption.message).not.toContain(secret);
    }
  });

  it("a malformed URI with credentials is refused without echoing the password, whatever it holds", () => {
    for (const uri of [
      "http://u:pass word-secret@host name",
      "ftp://u:ftp-secret-pw@h/x",
      "http://u:two@at@sign-secret@h x",
      "  http://u:lead-space-secret@h\x00",
    ]) {
      const err = configError(() => resolveHttpConnection({ env: { MLFLOW_TRACKING_URI: uri } }));
      expect(err.sources).toEqual(["MLFLOW_TRACKING_URI"]);
      for (const fragment of ["word-secret", "ftp-secret", "sign-secret", "lead-space"]) {
        expect(err.message).not.toContain(fragment);
        expect(JSON.stringify(err)).not.toContain(fragment);
      }
    }
  });

  it("names the missing half of basic auth", () => {
    const a = configError(() =>
      resolveHttpConnection({ env: { MLFLOW_TRACKING_URI: "http://h", MLFLOW_TRACKING_USERNAME: "alice" } }),
    );
    expect(a.sources).toEqual(["MLFLOW_TRACKING_PASSWORD"]);
    const b = configError(() =>
      resolveHttpConnection({
        env: { MLFLOW_TRACKING_URI: "http://h", MLFLOW_TRACKING_PASSWORD: "pw-123456" },
      }),
    );
    expect(b.sources).toEqual(["MLFLOW_TRACKING_USERNAME"]);
  });

  it("validates MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH", () => {
    const bad = configError(() =>
      resolveHttpConnection({
        env: { MLFLOW_TRACKING_URI: "https://h", MLFLOW_TRACKING_INSECURE_TLS: "maybe" },
      }),
    );
    expect(bad.sources).toEqual(["MLFLOW_TRACKING_INSECURE_TLS"]);
    const missing = configError(() =>
      resolveHttpConnection({
        env: { MLFLOW_TRACKING_URI: "https://h", MLFLOW_TRACKING_SERVER_CERT_PATH: "/nonexistent/ca.pem" },
      }),
    );
    expect(missing.sources).toEqual(["MLFLOW_TRACKING_SERVER_CERT_PATH"]);
    const dir = mkdtempSync(join(tmpdir(), "mt-ca-"));
    const pem = join(dir, "ca.pem");
    writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const ok = resolveHttpConnection({
      env: { MLFLOW_TRACKING_URI: "https://h", MLFLOW_TRACKING_SERVER_CERT_PATH: pem },
    });
    expect(ok.ca?.toString()).toContain("BEGIN CERTIFICATE");
    const both = configError(() =>
      resolveHttpConnection({
        env: {
          MLFLOW_TRACKING_URI: "https://h",
          MLFLOW_TRACKING_SERVER_CERT_PATH: pem,
          MLFLOW_TRACKING_INSECURE_TLS: "1",
        },
      }),
    );
    expect(both.message).toContain("MLFLOW_TRACKING_INSECURE_TLS");
  });

  it("parses databricks tracking URIs", () => {
    expect(parseDatabricksTrackingUri("databricks")).toEqual({ profile: undefined });
    expect(parseDatabricksTrackingUri("databricks://staging")).toEqual({ profile: "staging" });
    expect(parseDatabricksTrackingUri("databricks://staging:prefix")).toEqual({ profile: "staging" });
    expect(parseDatabricksTrackingUri("http://databricks")).toBeUndefined();
    const err = configError(() => new MlflowClient({ env: { MLFLOW_TRACKING_URI: "databricks" } }));
    expect(err.message).toContain("MlflowClient.fromEnv");
  });

  it("resolves databricks URIs through core's Databricks auth", async () => {
    const conn = await resolveMlflowConnection({
      env: {
        MLFLOW_TRACKING_URI: "databricks",
        DATABRICKS_HOST: "adb-1.2.azuredatabricks.net",
        DATABRICKS_TOKEN: "dapi0123456789abcdef0123456789abcdef",
      },
      databricks: { homeDir: emptyHome },
    });
    expect(conn.kind).toBe("databricks");
    expect(conn.baseUrl).toBe("https://adb-1.2.azuredatabricks.net");
    expect((await conn.credentials!.getAuthHeaders()).authorization).toBe(
      "Bearer dapi0123456789abcdef0123456789abcdef",
    );
    const client = await MlflowClient.fromEnv({
      env: {
        MLFLOW_TRACKING_URI: "databricks",
        DATABRICKS_HOST: "https://adb-1.2.azuredatabricks.net",
        DATABRICKS_TOKEN: "dapi0123456789abcdef0123456789abcdef",
      },
      databricks: { homeDir: emptyHome },
    });
    expect(client.runLink("7", "abc")).toBe(
      "https://adb-1.2.azuredatabricks.net/#mlflow/experiments/7/runs/abc",
    );
    await client.close();
  });

  it("MlflowClient.create is the deprecated alias of fromEnv: same connection, same errors", async () => {
    const env = {
      MLFLOW_TRACKING_URI: "databricks",
      DATABRICKS_HOST: "https://adb-1.2.azuredatabricks.net",
      DATABRICKS_TOKEN: "dapi0123456789abcdef0123456789abcdef",
    };
    const viaCreate = await MlflowClient.create({ env, databricks: { homeDir: emptyHome } });
    const viaFromEnv = await MlflowClient.fromEnv({ env, databricks: { homeDir: emptyHome } });
    expect(viaCreate.connection.baseUrl).toBe(viaFromEnv.connection.baseUrl);
    expect(viaCreate.connection.kind).toBe("databricks");
    await Promise.all([viaCreate.close(), viaFromEnv.close()]);
    const failures = await Promise.all(
      [MlflowClient.create, MlflowClient.fromEnv].map((factory) =>
        factory({ env: { MLFLOW_TRACKING_URI: "databricks" }, databricks: { homeDir: emptyHome } }).catch(
          (e: unknown) => e,
        ),
      ),
    );
    expect(failures[0]).toBeInstanceOf(ConfigError);
    expect((failures[0] as ConfigError).message).toBe((failures[1] as ConfigError).message);
  });

  it("a databricks URI without a workspace is a ConfigError naming DATABRICKS_HOST", async () => {
    const err = await resolveMlflowConnection({
      env: { MLFLOW_TRACKING_URI: "databricks" },
      databricks: { homeDir: emptyHome },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message + (err as ConfigError).sources.join(",")).toContain(
      "DATABRICKS_HOST",
    );
  });
});
