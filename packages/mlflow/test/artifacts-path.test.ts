import { join, resolve, sep } from "node:path";
import { ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeArtifactPathForUri,
  localPathInside,
  parseArtifactPathArg,
} from "../src/artifacts/artifact-path.js";
import { artifactPathProblem, isProxiedArtifactUri, parseArtifactUri } from "../src/artifacts/index.js";

describe("artifact path safety", () => {
  it.each([
    ["../../etc/passwd", "contains a '..' segment"],
    ["/abs", "is absolute"],
    ["a/../../b", "contains a '..' segment"],
    ["..\\..\\x", "contains a backslash"],
    ["a\u0000b", "contains a NUL or control character"],
    ["C:/windows", "starts with a Windows drive letter"],
    ["a//b", "contains an empty or '.' segment"],
    ["./a", "contains an empty or '.' segment"],
    ["", "is empty"],
    ["a/\ud800b", "is not well-formed Unicode (a lone surrogate)"],
    ["a/b/", "contains an empty or '.' segment"],
  ])("refuses %j (%s)", (path, problem) => {
    expect(artifactPathProblem(path)).toBe(problem);
  });

  it.each(["a", "model/MLmodel", "dir/sub/file.bin", "x..y", "..hidden", "name with spaces", "ü/ñ"])(
    "accepts %j",
    (path) => {
      expect(artifactPathProblem(path)).toBeUndefined();
    },
  );

  it("never resolves an accepted path outside the destination (property)", () => {
    const root = resolve("/tmp/mt-root");
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "", "a", "b", "\\", "..\\..", "/", "\u0000", "C:"),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (parts) => {
        const path = parts.join("/");
        if (artifactPathProblem(path) !== undefined) {
          expect(() => localPathInside(root, path)).toThrow();
          return;
        }
        const local = localPathInside(root, path);
        expect(local.startsWith(root + sep)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("takes user paths as written: one trailing '/' is accepted, nothing is repaired", () => {
    expect(parseArtifactPathArg("model/sub")).toBe("model/sub");
    expect(parseArtifactPathArg("model/sub/")).toBe("model/sub");
    expect(parseArtifactPathArg(undefined)).toBe("");
    expect(parseArtifactPathArg("")).toBe("");
    expect(localPathInside("/tmp/r", "a/b")).toBe(join(resolve("/tmp/r"), "a", "b"));
  });

  it.each([
    ["//etc/passwd", "is absolute"],
    ["/model", "is absolute"],
    ["/", "is absolute"],
    ["model//sub", "contains an empty or '.' segment"],
    ["model//", "contains an empty or '.' segment"],
    ["./model", "contains an empty or '.' segment"],
    ["model/.", "contains an empty or '.' segment"],
    ["model/../../x", "contains a '..' segment"],
    ["mod\tel", "contains a NUL or control character"],
    ["model\n", "contains a NUL or control character"],
  ])("refuses the user path %j instead of repairing it (%s)", (path, problem) => {
    const err = (() => {
      try {
        parseArtifactPathArg(path);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.message).toBe(problem);
  });
});

describe("artifact URIs", () => {
  it.each([
    ["mlflow-artifacts:/0/abc/artifacts", { kind: "proxy", path: "0/abc/artifacts" }],
    ["mlflow-artifacts://host:5000/0/abc/artifacts/m", { kind: "proxy", path: "0/abc/artifacts/m" }],
    [
      "http://h:5000/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts",
      { kind: "proxy", path: "0/abc/artifacts" },
    ],
    ["https://h/prefix/api/2.0/mlflow-artifacts/artifacts", { kind: "proxy", path: "" }],
    ["mlflow-artifacts:/0/a%20b/x", { kind: "proxy", path: "0/a b/x" }],
    ["runs:/abc123/model/MLmodel", { kind: "run", runId: "abc123", path: "model/MLmodel" }],
    ["runs:/abc123", { kind: "run", runId: "abc123", path: "" }],
  ])("parses %s", (uri, expected) => {
    expect(parseArtifactUri(uri)).toEqual(expected);
  });

  it.each([
    "mlflow-artifacts:/0/../../etc",
    "mlflow-artifacts:/0/%2e%2e/x",
    "mlflow-artifacts:/0/a%2F..%2F..%2Fb",
    "mlflow-artifacts:/0/a%00b",
    "http://h/api/2.0/mlflow-artifacts/artifacts/../x",
    "http://h/other/path",
    "s3://bucket/x",
    "/local/path",
    "runs:/../x",
    // refused, not repaired: URL parsers drop tabs and newlines, resolve "." and trim
    "runs:/abc123/mod\tel",
    "runs:/abc123/model\n",
    "runs:/abc\n123/model",
    "runs:/abc123/model\r/MLmodel",
    " runs:/abc123/model",
    "runs:/abc123/model ",
    "runs://abc123/model",
    "runs:/abc123//etc/passwd",
    "runs:/abc123/./model",
    "runs:/abc123/model?x=1",
    "runs:/abc123/model#frag",
    "mlflow-artifacts://etc//passwd",
    "mlflow-artifacts:/0//x",
    "mlflow-artifacts:/0/./x",
    "mlflow-artifacts:0/x",
    "mlflow-artifacts:/0/a%2Fb",
    "mlflow-artifacts:/0/a%zzb",
    "mlflow-artifacts:/0/%09x",
    "http://h/api/2.0/mlflow-artifacts/artifacts//etc/passwd",
    "http://h/api/2.0/mlflow-artifacts/artifacts/./x",
    "http://h/api/2.0/mlflow-artifacts/artifacts/x?y",
    "http:/h/api/2.0/mlflow-artifacts/artifacts/x",
  ])("refuses %j", (uri) => {
    expect(() => parseArtifactUri(uri)).toThrow(expect.objectContaining({ code: "VALIDATION_ERROR" }));
  });

  it.each([
    ["runs:/abc123/model/", { kind: "run", runId: "abc123", path: "model" }],
    ["runs:/abc123/", { kind: "run", runId: "abc123", path: "" }],
    ["mlflow-artifacts:/0/abc/artifacts/", { kind: "proxy", path: "0/abc/artifacts" }],
    ["mlflow-artifacts:", { kind: "proxy", path: "" }],
    ["mlflow-artifacts:/0/100%25.txt", { kind: "proxy", path: "0/100%.txt" }],
  ])("accepts %j", (uri, expected) => {
    expect(parseArtifactUri(uri)).toEqual(expected);
  });

  it("reads back every safe path from the URI it is encoded into, and never returns another one (property)", () => {
    const segment = fc.oneof(
      fc.constantFrom("a", "model", "%", "%2e", "..", ".", "", " ", "?", "#", "ü", "\t", "%2F", "x y"),
      fc.string({ maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (parts) => {
        const path = parts.join("/");
        if (artifactPathProblem(path) === undefined) {
          const encoded = encodeArtifactPathForUri(path);
          expect(parseArtifactUri(`mlflow-artifacts:/0/${encoded}`)).toEqual({
            kind: "proxy",
            path: `0/${path}`,
          });
          expect(parseArtifactUri(`runs:/r1/${encoded}`)).toEqual({ kind: "run", runId: "r1", path });
        }
        // The raw text as a URI: refused, or exactly its decoded segments (one trailing "/" dropped).
        let parsed: { path: string } | undefined;
        try {
          parsed = parseArtifactUri(`mlflow-artifacts:/0/${path}`);
        } catch (err) {
          expect(err).toBeInstanceOf(ValidationError);
          return;
        }
        const expected = `0/${path}`
          .replace(/\/$/, "")
          .split("/")
          .map((s) => decodeURIComponent(s))
          .join("/");
        expect(parsed.path).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("tells proxied roots from others", () => {
    expect(isProxiedArtifactUri("mlflow-artifacts:/0/r/artifacts")).toBe(true);
    expect(isProxiedArtifactUri("http://h/api/2.0/mlflow-artifacts/artifacts/0")).toBe(true);
    expect(isProxiedArtifactUri("/srv/mlruns/0/r/artifacts")).toBe(false);
    expect(isProxiedArtifactUri("s3://b/0/r/artifacts")).toBe(false);
  });
});
