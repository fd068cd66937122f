import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@modeltrail/test-utils";
import { describe, expect, it } from "vitest";
import { dependencyRangeProblems } from "../../../scripts/dependency-ranges.mjs";

describe("check-packages: published packages declare runtime dependencies as ranges", () => {
  it("accepts caret, tilde and >= ranges and workspace siblings", () => {
    expect(
      dependencyRangeProblems({
        dependencies: {
          undici: "^8.13.1",
          zod: "~4.6.7",
          yaml: ">=2.9.1 <3",
          "@modeltrail/core": "workspace:*",
        },
        peerDependencies: { nunjucks: "^3" },
      }),
    ).toEqual([]);
  });

  it("refuses exact versions, tags, URLs and paths, naming the field and the range to write", () => {
    const problems = dependencyRangeProblems({
      dependencies: { undici: "8.13.1", zod: "=4.6.7", tar: "latest" },
      optionalDependencies: { x: "github:a/b", y: "file:../y", z: "*" },
    });
    expect(problems).toHaveLength(6);
    expect(problems[0]).toBe(
      'dependencies.undici is "8.13.1": declare a range (e.g. "^8.13.1") so users\' trees can share one copy; the lockfile pins what CI tests',
    );
    expect(problems[1]).toContain('dependencies.zod is "=4.6.7"');
    expect(problems[1]).toContain('"^4.6.7"');
    expect(problems.slice(2).map((p) => p.split(" is ")[0])).toEqual([
      "dependencies.tar",
      "optionalDependencies.x",
      "optionalDependencies.y",
      "optionalDependencies.z",
    ]);
  });

  it("holds for every published package of the workspace", () => {
    for (const dir of readdirSync(join(REPO_ROOT, "packages"))) {
      let manifest: { private?: boolean; name?: string; dependencies?: Record<string, string> };
      try {
        manifest = JSON.parse(readFileSync(join(REPO_ROOT, "packages", dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      if (manifest.private) continue;
      expect(dependencyRangeProblems(manifest), manifest.name).toEqual([]);
    }
  });
});
