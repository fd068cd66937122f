import { ConfigError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { normalizeDatabricksHost } from "../../src/internal.js";

/**
 * The one normalisation of a Databricks host, used by core's Databricks auth, the Databricks client
 * and MLflow's `databricks` tracking URIs: the workspace origin.
 */
describe("normalizeDatabricksHost", () => {
  it.each([
    ["adb-1234567890123456.7.azuredatabricks.net", "https://adb-1234567890123456.7.azuredatabricks.net"],
    ["adb-1.2.azuredatabricks.net/", "https://adb-1.2.azuredatabricks.net"],
    ["https://adb-1.2.azuredatabricks.net///", "https://adb-1.2.azuredatabricks.net"],
    ["  https://dbc-a1b2.cloud.databricks.com\n", "https://dbc-a1b2.cloud.databricks.com"],
    // a URL copied from the browser: path, query and fragment go
    ["https://adb-1.2.azuredatabricks.net/?o=1#job/5/run/7", "https://adb-1.2.azuredatabricks.net"],
    ["https://adb-1.2.azuredatabricks.net/some/prefix/", "https://adb-1.2.azuredatabricks.net"],
    ["HTTPS://ADB-1.2.AzureDatabricks.NET", "https://adb-1.2.azuredatabricks.net"],
    ["https://adb-1.2.azuredatabricks.net:443", "https://adb-1.2.azuredatabricks.net"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://[::1]:8080/", "http://[::1]:8080"],
    ["localhost:8443", "https://localhost:8443"],
    // user info never survives (nor reaches a request)
    ["https://user:s3cret@adb-1.2.azuredatabricks.net", "https://adb-1.2.azuredatabricks.net"],
  ])("%j -> %s", (input, expected) => {
    expect(normalizeDatabricksHost(input)).toBe(expected);
  });

  it.each([undefined, "", "   "])("refuses an empty host (%j), naming the variable", (input) => {
    const err = (() => {
      try {
        normalizeDatabricksHost(input, "host (profile DEFAULT)");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("host (profile DEFAULT)");
    expect((err as ConfigError).sources).toEqual(["DATABRICKS_HOST"]);
  });

  it.each(["ftp://adb-1.2.azuredatabricks.net", "file:///etc/passwd", "https://", "https://exa mple.com"])(
    "refuses %j with a ConfigError",
    (input) => {
      expect(() => normalizeDatabricksHost(input)).toThrow(ConfigError);
    },
  );

  it("does not repeat a password from a URL it refuses", () => {
    let message = "";
    try {
      normalizeDatabricksHost("ftp://admin:hunter2-secret@adb-1.2.azuredatabricks.net");
    } catch (e) {
      message = (e as ConfigError).message;
    }
    expect(message).toContain("must be an https URL");
    expect(message).not.toContain("hunter2-secret");
  });

  it.each([
    ["a tab", "https://adb-1.2.azure\tdatabricks.net"],
    ["a newline", "https://adb-1.2.azuredatabricks.net\n.evil.example"],
    ["a NUL", "https://adb-1.2.azuredatabricks.net\u0000"],
    ["DEL", "https://user:p\u007fass@adb-1.2.azuredatabricks.net"],
  ])(
    "refuses a host with %s inside instead of letting the URL parser drop it, without the password",
    (_, input) => {
      const host = input.replace("https://", "https://admin:hunter2-secret@");
      let err: unknown;
      try {
        normalizeDatabricksHost(host);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(/DATABRICKS_HOST\) contains control characters/);
      expect(`${(err as ConfigError).message} ${JSON.stringify(err)}`).not.toContain("hunter2");
    },
  );
});
