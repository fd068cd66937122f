import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_BUNDLE } from "./helpers/run-action-bundle.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

describe("the GitHub Action's committed bundle", () => {
  it("is what scripts/build-action.mjs makes from the current sources (rebuild and commit it after a change)", async () => {
    const r = await run(process.execPath, ["scripts/build-action.mjs", "--check"], { cwd: ROOT }).catch(
      (err: { stderr?: string; code?: number }) => ({
        stdout: "",
        stderr: err.stderr ?? String(err),
        code: err.code,
      }),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/up to date/);
  }, 120_000);

  it("keeps every file of action/dist under 2 MiB (what the code imports dynamically is split into chunks/)", () => {
    const dist = join(ROOT, "action", "dist");
    const files = readdirSync(dist, { recursive: true, encoding: "utf8" }).filter((p) =>
      statSync(join(dist, p)).isFile(),
    );
    expect(files).toContain("index.mjs");
    // undici's modules are loaded on the first request, from a chunk of their own
    expect(files.some((p) => /^chunks[/\\]agent-[A-Z0-9]+\.mjs$/.test(p))).toBe(true);
    for (const p of files) expect(statSync(join(dist, p)).size, p).toBeLessThan(2 * 1024 * 1024);
  });

  it("action.yml runs it on node24, and declares the inputs the entry point reads", () => {
    const action = parse(readFileSync(`${ROOT}/action.yml`, "utf8"));
    expect(action.runs).toEqual({ using: "node24", main: "action/dist/index.mjs" });
    expect(join(ROOT, action.runs.main)).toBe(ACTION_BUNDLE);
    const bundle = readFileSync(ACTION_BUNDLE, "utf8");
    for (const name of Object.keys(action.inputs)) expect(bundle, `input ${name}`).toContain(`"${name}"`);
    expect(action.inputs.command.required).toBe(true);
    for (const output of ["exit-code", "result", "error", "hint", "git-sha", "run-id"])
      expect(action.outputs[output]?.description, output).toBeTruthy();
  });
});
