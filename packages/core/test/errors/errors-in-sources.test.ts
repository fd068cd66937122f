/**
 * Every error a public call throws belongs to modeltrail's hierarchy. Two ways out of it are easy to
 * write and hard to see in review, so the sources of every package are checked for them:
 * `signal.throwIfAborted()` (throws the signal's raw reason, a DOMException) instead of core's
 * `throwIfAborted(signal, what)`, and `throw new Error(...)` outside the few internal invariants
 * listed here (each is caught and mapped, or cannot happen).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "@modeltrail/test-utils";
import { describe, expect, it } from "vitest";

/** `file: the reason it may throw a plain Error`. */
const PLAIN_ERROR_ALLOWED: Record<string, string> = {
  "packages/databricks/src/template/render-job-template.ts":
    "inside the render's try: mapped to a ValidationError by nunjucksError",
  "packages/databricks/src/template/template-filters.ts":
    "thrown by a filter during the render: mapped to a ValidationError by nunjucksError",
  "packages/mlflow/src/databricks/credential-pool.ts": "an invariant collectCredentials guarantees",
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const packagesDir = join(REPO_ROOT, "packages");
const files = readdirSync(packagesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "test-utils")
  .flatMap((d) => {
    try {
      return sources(join(packagesDir, d.name, "src"));
    } catch {
      return [];
    }
  })
  .map((file) => ({ file: relative(REPO_ROOT, file), text: readFileSync(file, "utf8") }));

/** `file:line: text` of every line matching `pattern` (comments skipped). */
function hits(pattern: RegExp, skip: (file: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    if (skip(file)) continue;
    text.split("\n").forEach((line, i) => {
      const code = line.trim();
      if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*")) return;
      if (pattern.test(line)) out.push(`${file}:${i + 1}: ${code}`);
    });
  }
  return out;
}

describe("errors in the sources", () => {
  it("reads the sources of every package", () => {
    const packages = new Set(files.map((f) => f.file.split("/")[1]));
    for (const name of ["core", "mlflow", "databricks", "registry", "k8s"]) expect(packages).toContain(name);
  });

  it("no signal.throwIfAborted(): core's throwIfAborted(signal, what) throws an AbortError instead", () => {
    expect(hits(/\.throwIfAborted\(\s*\)/)).toEqual([]);
  });

  it("no throw new Error(...) outside the listed internal invariants", () => {
    expect(hits(/throw new Error\(/, (file) => file in PLAIN_ERROR_ALLOWED)).toEqual([]);
    for (const file of Object.keys(PLAIN_ERROR_ALLOWED)) {
      expect(
        files.some((f) => f.file === file && f.text.includes("throw new Error(")),
        `${file} no longer throws a plain Error: remove it from PLAIN_ERROR_ALLOWED`,
      ).toBe(true);
    }
  });
});
