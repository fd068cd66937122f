/**
 * URLs from configuration (a base URL, a proxy URL, a Databricks host) with credentials that are
 * malformed: each is a ConfigError that names the setting and never echoes the password, instead of
 * a raw URIError or TypeError.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/index.js";
import { HttpClient, normalizeDatabricksHost } from "../../src/internal.js";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

function expectNoSecret(err: ConfigError, secret: string): void {
  for (const text of [err.message, JSON.stringify(err), inspect(err, { depth: 10 }), String(err.stack)]) {
    expect(text).not.toContain(secret);
  }
}

describe("malformed credentials in configured URLs", () => {
  it("a proxy URL with broken percent-encoding", () => {
    for (const [proxyUrl, secret] of [
      ["http://u:prx%t-secret@proxy:3128", "prx%t-secret"],
      ["socks5://bad%zz:sockspw-secret@proxy:1080", "sockspw-secret"],
    ] as const) {
      const err = configError(
        () => new HttpClient({ baseUrl: "http://127.0.0.1:9", service: "svc", proxyUrl }),
      );
      expect(err.message).toMatch(/proxy URL .* not valid percent-encoding/);
      expectNoSecret(err, secret);
    }
  });

  it("a proxy URL with control characters, which the URL parser would silently drop", () => {
    const err = configError(
      () =>
        new HttpClient({ baseUrl: "http://127.0.0.1:9", service: "svc", proxyUrl: "http://proxy:3128\n" }),
    );
    expect(err.message).toMatch(/control characters/);
  });

  it("an invalid base URL or Databricks host with a password holding spaces or a second @", () => {
    for (const [url, secret] of [
      ["http://u:base pw-secret@host name", "pw-secret"],
      ["https://u:two@at-secret@h x", "at-secret"],
    ] as const) {
      expectNoSecret(
        configError(() => new HttpClient({ baseUrl: url, service: "svc" })),
        secret,
      );
      const host = configError(() => normalizeDatabricksHost(url));
      expect(host.message).toContain("DATABRICKS_HOST");
      expectNoSecret(host, secret);
    }
  });
});
