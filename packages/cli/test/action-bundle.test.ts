import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
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
