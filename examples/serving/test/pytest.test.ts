import { execFile } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { assertServingPython, pythonEnv, SERVING_DIR, SERVING_PYTHON } from "./serving-python.ts";

describe("the serving app's Python tests (pytest)", () => {
  beforeAll(assertServingPython, 180_000);

  it("pass", async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
      execFile(
        SERVING_PYTHON,
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"],
        { cwd: SERVING_DIR, env: pythonEnv(), timeout: 540_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const exit = err && typeof err.code === "number" ? err.code : err ? null : 0;
          done({ code: exit, output: `${stdout}\n${stderr}` });
        },
      );
    });
    const summary = output.trim().split("\n").at(-1) ?? "";
    expect(code, output).toBe(0);
    expect(summary).toMatch(/\d+ passed/);
    expect(summary).not.toMatch(/failed|error|skipped/);
  });
});
