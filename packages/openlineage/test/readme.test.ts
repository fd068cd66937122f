import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

/** The README's first ```js block. */
async function readmeExample(): Promise<string> {
  const text = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const m = /```js\n([\s\S]*?)```/.exec(text);
  if (!m?.[1]) throw new Error("README has no js example");
  return m[1];
}

describe("the README example", () => {
  it("runs as written and prints what its comments say", async () => {
    const source = await readmeExample();
    const work = await mkdtemp(join(tmpdir(), "mt-openlineage-readme-"));
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.join(" "));
    });
    try {
      const file = join(work, "example.mjs");
      await writeFile(file, source);
      await import(/* @vite-ignore */ file);
    } finally {
      log.mockRestore();
      await rm(work, { recursive: true, force: true });
    }
    const promised = [...source.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    expect(promised.length).toBe(5);
    expect(lines).toEqual(promised);
  });
});
