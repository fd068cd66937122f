import { describe, expect, it } from "vitest";
import { parseWwwAuthenticate } from "../src/index.js";

describe("parseWwwAuthenticate", () => {
  it("reads a distribution Bearer challenge", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:samalba/my-app:pull,push",
        },
      },
    ]);
  });

  it("reads several challenges, escapes, unquoted values and token68", () => {
    expect(
      parseWwwAuthenticate(
        'Basic realm="a \\"quoted\\" realm", Bearer realm=https://x/token, error="insufficient_scope"',
      ),
    ).toEqual([
      { scheme: "basic", params: { realm: 'a "quoted" realm' } },
      { scheme: "bearer", params: { realm: "https://x/token", error: "insufficient_scope" } },
    ]);
    expect(parseWwwAuthenticate("Negotiate abc123==")).toEqual([
      { scheme: "negotiate", params: { "": "abc123==" } },
    ]);
    expect(parseWwwAuthenticate("BASIC REALM=x")).toEqual([{ scheme: "basic", params: { realm: "x" } }]);
  });

  it("never throws on junk", () => {
    for (const junk of [undefined, "", "=", '"', 'Bearer realm="unterminated', ",,,", "Bearer ,,, realm"]) {
      expect(() => parseWwwAuthenticate(junk)).not.toThrow();
    }
  });
});
