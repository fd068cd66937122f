import { basicAuth, bearerToken, ConfigError } from "@modeltrail/core";
import { redactText } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";

describe("bearerToken", () => {
  it("sends a static token as a bearer header and registers it for redaction", async () => {
    const provider = bearerToken("static-bearer-9f8e7d6c");
    expect(provider.kind).toBe("bearer");
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer static-bearer-9f8e7d6c" });
    expect(redactText("value static-bearer-9f8e7d6c here")).not.toContain("static-bearer-9f8e7d6c");
  });

  it("calls a token function on every request and passes the request context", async () => {
    const seen: Array<boolean | undefined> = [];
    let n = 0;
    const provider = bearerToken(
      async (ctx) => {
        seen.push(ctx?.forceRefresh);
        n++;
        return `rotating-token-${n}-abcd`;
      },
      { kind: "pat" },
    );
    expect(provider.kind).toBe("pat");
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer rotating-token-1-abcd" });
    expect(await provider.getAuthHeaders({ forceRefresh: true })).toEqual({
      authorization: "Bearer rotating-token-2-abcd",
    });
    expect(seen).toEqual([undefined, true]);
  });

  it("rejects an empty token with a ConfigError", async () => {
    expect(() => bearerToken("  ")).toThrow(ConfigError);
    await expect(bearerToken(async () => "").getAuthHeaders()).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("basicAuth", () => {
  it("encodes username:password as UTF-8 base64", async () => {
    const provider = basicAuth("ålice", "pässwörd-1234");
    const headers = await provider.getAuthHeaders();
    const encoded = headers.authorization!.replace(/^Basic /, "");
    expect(Buffer.from(encoded, "base64").toString("utf8")).toBe("ålice:pässwörd-1234");
    expect(provider.kind).toBe("basic");
    expect(redactText(`x ${encoded} pässwörd-1234`)).not.toMatch(/pässwörd|QWxpY2|w6VsaWNl/);
  });

  it("refuses a username with a colon", () => {
    expect(() => basicAuth("a:b", "secret-value")).toThrow(ConfigError);
    expect(() => basicAuth("", "secret-value")).toThrow(ConfigError);
  });
});
