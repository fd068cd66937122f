import { ConfigError } from "@modeltrail/core";
import { parseDatabricksConfig } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";

describe("parseDatabricksConfig", () => {
  it("reads sections, keys and values as the Databricks SDKs do", () => {
    const profiles = parseDatabricksConfig(
      [
        "\uFEFFhost = https://root.cloud.databricks.com",
        "# comment",
        "; another comment",
        "[DEFAULT]",
        "token = dapi-default",
        "",
        "[ dev.eu ]",
        "Host: https://dev.cloud.databricks.com",
        "client_secret = sec#ret;with=equals",
        'quoted = "a value"',
        "empty =",
        "[DEFAULT]",
        "auth_type = pat",
      ].join("\r\n"),
    );
    expect(profiles.get("DEFAULT")).toEqual({
      host: "https://root.cloud.databricks.com",
      token: "dapi-default",
      auth_type: "pat",
    });
    expect(profiles.get("dev.eu")).toEqual({
      host: "https://dev.cloud.databricks.com",
      client_secret: "sec#ret;with=equals",
      quoted: "a value",
      empty: "",
    });
  });

  it("does not let profiles inherit from DEFAULT", () => {
    const profiles = parseDatabricksConfig("[DEFAULT]\ntoken = t\n[other]\nhost = h\n");
    expect(profiles.get("other")).toEqual({ host: "h" });
  });

  it("reports a malformed line by number, without its content", () => {
    try {
      parseDatabricksConfig("[a]\nthis-is-a-secret-looking-line\n", "/tmp/x.cfg");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain("/tmp/x.cfg line 2");
      expect((e as Error).message).not.toContain("this-is-a-secret-looking-line");
    }
  });
});
