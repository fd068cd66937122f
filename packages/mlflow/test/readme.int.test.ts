import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

/** The ```ts blocks of the README, in order, keyed by the heading above them. */
async function readmeExamples(): Promise<Array<{ title: string; code: string }>> {
  const text = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const out: Array<{ title: string; code: string }> = [];
  const re = /^### (.+)\n[\s\S]*?```ts\n([\s\S]*?)```/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ title: m[1]!.trim(), code: m[2]! });
  return out;
}

describe("README examples run against the real server", () => {
  let work: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mt-readme-"));
    await mkdir(join(work, "model"));
    await writeFile(join(work, "model", "MLmodel"), "artifact_path: model\nflavors: {}\n");
    await writeFile(join(work, "model", "model.bin"), randomBytes(2048));
    Object.assign(process.env, {
      MLFLOW_TRACKING_URI: inject("mlflowUri"),
      GIT_SHA: randomBytes(20).toString("hex"),
      GIT_BRANCH: "main",
      JOB_ID: "101",
      RUN_ID: String(Date.now()),
      MODEL_DIR: join(work, "model"),
      DOWNLOAD_DIR: join(work, "downloaded"),
    });
  });
  afterAll(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await rm(work, { recursive: true, force: true });
  });

  it("runs every example in order", async () => {
    const examples = await readmeExamples();
    expect(examples.map((e) => e.title)).toEqual([
      "Connect",
      "Log a run with tags",
      "Register a traceable model version",
      "Download a model by run id",
      "Find the model versions of a commit",
    ]);
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.join(" "));
    });
    try {
      for (const [i, example] of examples.entries()) {
        const file = join(work, `example-${i}.ts`);
        await writeFile(file, example.code);
        await import(/* @vite-ignore */ file);
        const runLine = lines.find((l) => l.startsWith("MODELTRAIL_MODEL_MLFLOW_RUN_ID="));
        if (runLine)
          process.env.MODELTRAIL_MODEL_MLFLOW_RUN_ID = runLine.slice(
            "MODELTRAIL_MODEL_MLFLOW_RUN_ID=".length,
          );
      }
    } finally {
      log.mockRestore();
    }
    const output = lines.join("\n");
    expect(output).toMatch(/using experiment \d+/);
    const mlflowRunId = process.env.MODELTRAIL_MODEL_MLFLOW_RUN_ID;
    expect(mlflowRunId).toMatch(/^[0-9a-f]{32}$/);
    // never MLFLOW_RUN_ID: MLflow itself would resume that run
    expect(process.env.MLFLOW_RUN_ID).toBeUndefined();
    expect(output).toMatch(/fraud-detector version \d+ \((created|already registered)\)/);
    expect(output).toContain("2 files, ");
    expect(output).toContain(`champion comes from run ${mlflowRunId}`);
    expect(output).toContain(
      `commit ${process.env.GIT_SHA}, job run ${process.env.RUN_ID}, MLflow run ${mlflowRunId}`,
    );
    expect(output).toMatch(new RegExp(`run ${process.env.RUN_ID}: fraud-detector v\\d+`));
    const downloaded = await readFile(join(work, "downloaded", "model", "model.bin"));
    expect(downloaded).toEqual(await readFile(join(work, "model", "model.bin")));
  });
});
