import { ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatReference, parseDigest, parseReference, withReference } from "../src/index.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  it.each([
    ["ubuntu", { registry: "docker.io", repository: "library/ubuntu", tag: "latest" }],
    ["ubuntu:22.04", { registry: "docker.io", repository: "library/ubuntu", tag: "22.04" }],
    ["bitnami/redis", { registry: "docker.io", repository: "bitnami/redis", tag: "latest" }],
    ["index.docker.io/library/ubuntu:1", { registry: "docker.io", repository: "library/ubuntu", tag: "1" }],
    [
      "myacr.azurecr.io/models/churn:1795788642450001",
      { registry: "myacr.azurecr.io", repository: "models/churn", tag: "1795788642450001" },
    ],
    ["127.0.0.1:5000/a/b/c", { registry: "127.0.0.1:5000", repository: "a/b/c", tag: "latest" }],
    ["localhost/x", { registry: "localhost", repository: "x", tag: "latest" }],
    ["[::1]:5000/x:t", { registry: "[::1]:5000", repository: "x", tag: "t" }],
    [`reg.io/a@${D}`, { registry: "reg.io", repository: "a", digest: D }],
    [`reg.io/a:t@${D}`, { registry: "reg.io", repository: "a", tag: "t", digest: D }],
    ["Reg.IO:443/a__b/c-d.e--f:T_1", { registry: "reg.io:443", repository: "a__b/c-d.e--f", tag: "T_1" }],
  ])("parses %s", (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it("leaves a bare repository without a tag when asked", () => {
    expect(parseReference("reg.io/a", { defaultTag: "none" })).toEqual({
      registry: "reg.io",
      repository: "a",
    });
  });

  it.each([
    ["", "reference", /is empty/],
    [" reg.io/a", "reference", /whitespace/],
    ["reg.io/A/b", "repository", /upper-case/],
    ["reg.io/a//b", "repository", /empty path component/],
    ["reg.io/a/", "repository", /empty path component/],
    ["reg.io/-a", "repository", /path component "-a"/],
    ["reg.io/a_-b", "repository", /path component/],
    ["reg.io/", "repository", /missing/],
    ["reg.io:99999/a", "port", /not a port/],
    ["reg.io:abc/a", "port", /not a port/],
    ["-bad.io/a", "registry host", /not a valid host/],
    ["bad_host.io/a", "registry host", /not a valid host/],
    ["[::1/a", "registry host", /unclosed/],
    ["reg.io/a:-tag", "tag", /not a valid tag/],
    [`reg.io/a:${"t".repeat(129)}`, "tag", /not a valid tag/],
    ["reg.io/a@sha256:abc", "digest", /64 hexadecimal/],
    [`reg.io/a@sha256:${"A".repeat(64)}`, "digest", /lower-case/],
    [`reg.io/a@md5:${"a".repeat(32)}`, "digest", /unsupported algorithm/],
    [`reg.io/${"a".repeat(300)}`, "repository", /longer than 255/],
  ])("refuses %j naming the %s", (input, part, message) => {
    const err = (() => {
      try {
        parseReference(input);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.path).toBe(part);
    expect((err as ValidationError).message).toMatch(message);
  });

  it("round-trips every reference it formats (property)", () => {
    const component = fc
      .stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/)
      .filter((s) => s.length > 0 && s.length < 30);
    const host = fc.constantFrom("reg.io", "127.0.0.1:5000", "localhost:1", "a.b.c", "myacr.azurecr.io");
    const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined });
    const digest = fc.option(
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        host,
        fc.array(component, { minLength: 1, maxLength: 4 }),
        tag,
        digest,
        (h, parts, t, d) => {
          const ref = { registry: h, repository: parts.join("/"), tag: t, digest: d };
          const text = formatReference(ref);
          const parsed = parseReference(text, { defaultTag: "none" });
          expect(formatReference(parsed)).toBe(text);
          expect(parsed.repository).toBe(parts.join("/"));
        },
      ),
    );
  });

  it("never throws anything but a ValidationError on arbitrary input (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          parseReference(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
        }
      }),
    );
  });

  it("replaces tag and digest, validating them", () => {
    const r = parseReference("reg.io/a:t");
    expect(formatReference(withReference(r, { digest: D }))).toBe(`reg.io/a:t@${D}`);
    expect(formatReference(withReference(r, { tag: null }))).toBe("reg.io/a");
    expect(() => withReference(r, { tag: "bad tag" })).toThrow(ValidationError);
    expect(() => parseDigest("sha256:xyz")).toThrow(/hexadecimal/);
  });
});
