import { join, resolve, sep } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localPathInside, normalizeArtifactPath } from "../src/artifacts/artifact-path.js";
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

  it("normalises user paths and refuses traversal", () => {
    expect(normalizeArtifactPath("/model//sub/")).toBe("model/sub");
    expect(normalizeArtifactPath(undefined)).toBe("");
    expect(() => normalizeArtifactPath("model/../../x")).toThrow(/Refusing/);
    expect(localPathInside("/tmp/r", "a/b")).toBe(join(resolve("/tmp/r"), "a", "b"));
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
  ])("refuses %s", (uri) => {
    expect(() => parseArtifactUri(uri)).toThrow(expect.objectContaining({ code: "VALIDATION_ERROR" }));
  });

  it("tells proxied roots from others", () => {
    expect(isProxiedArtifactUri("mlflow-artifacts:/0/r/artifacts")).toBe(true);
    expect(isProxiedArtifactUri("http://h/api/2.0/mlflow-artifacts/artifacts/0")).toBe(true);
    expect(isProxiedArtifactUri("/srv/mlruns/0/r/artifacts")).toBe(false);
    expect(isProxiedArtifactUri("s3://b/0/r/artifacts")).toBe(false);
  });
});
