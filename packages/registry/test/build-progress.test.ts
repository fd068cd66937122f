import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext } from "@modeltrail/core";
import { type BuildProgress, buildModelImage } from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ctx = createTraceContext({
  code: { gitSha: "b".repeat(40) },
  job: { platform: "databricks", jobId: "1795788642450000", runId: "1795788642450001" },
});
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-build-progress-"));
  await mkdir(join(work, "model"), { recursive: true });
  await mkdir(join(work, "app"), { recursive: true });
  await writeFile(join(work, "model", "weights.bin"), Buffer.alloc(300_000, 3));
  await writeFile(join(work, "app", "main.py"), "print('serving')\n");
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("buildModelImage onProgress", () => {
  it("reports the layers built, then the bytes stored, up to every blob of the image", async () => {
    const events: BuildProgress[] = [];
    const built = await buildModelImage({
      modelDir: join(work, "model"),
      appDir: join(work, "app"),
      ctx,
      layout: join(work, "layout"),
      onProgress: (p) => events.push({ ...p }),
    });
    const build = events.filter((e) => e.phase === "build");
    expect(build.map((e) => e.done)).toEqual([0, 1, 2]);
    expect(build.every((e) => e.total === 2)).toBe(true);
    const stored = events.filter((e) => e.phase === "layout");
    const total = built.configDescriptor.size + built.manifest.layers.reduce((n, l) => n + l.size, 0);
    expect(stored.every((e) => e.total === total)).toBe(true);
    for (let i = 1; i < stored.length; i++)
      expect(stored[i]!.done).toBeGreaterThanOrEqual(stored[i - 1]!.done);
    expect(stored.at(-1)).toEqual({ phase: "layout", done: total, total });
    expect(new Set(stored.map((e) => e.current).filter(Boolean))).toEqual(
      new Set(["config", "model", "app"]),
    );
    expect(events.some((e) => e.phase === "push")).toBe(false);
  });

  it("a callback that throws does not fail the build, and gives the same image", async () => {
    const quiet = await buildModelImage({ modelDir: join(work, "model"), ctx, layout: join(work, "a") });
    const noisy = await buildModelImage({
      modelDir: join(work, "model"),
      ctx,
      layout: join(work, "b"),
      onProgress: () => {
        throw new Error("a broken progress bar");
      },
    });
    expect(noisy.digest).toBe(quiet.digest);
  });
});
