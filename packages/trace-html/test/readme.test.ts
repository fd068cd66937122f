import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

/** The README's first ```js block, with the package imports pointed at the sources. */
function readmeExample(): string {
  const text = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const m = /```js\n([\s\S]*?)```/.exec(text);
  if (!m?.[1]) throw new Error("README has no js example");
  return m[1];
}

describe("the README example", () => {
  it("runs as written (from the repository root) and prints what its comments say", async () => {
    const source = readmeExample();
    const root = new URL("../../../", import.meta.url);
    mkdirSync(new URL(".tmp/", root), { recursive: true });
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.join(" "));
    });
    const cwd = process.cwd();
    try {
      process.chdir(fileURLToPath(root));
      const { parseTraceReport } = await import("@modeltrail/core");
      const { renderTraceHtml } = await import("../src/index.js");
      const { readFileSync: rf, writeFileSync } = await import("node:fs");
      const body = source.replace(/^import .*$/gm, "");
      new Function("readFileSync", "writeFileSync", "parseTraceReport", "renderTraceHtml", body)(
        rf,
        writeFileSync,
        parseTraceReport,
        renderTraceHtml,
      );
    } finally {
      process.chdir(cwd);
      log.mockRestore();
    }
    const promised = [...source.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    expect(promised.length).toBe(3);
    expect(lines).toEqual(promised);
  });
});
