import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseArgsStringToArgv } from "string-argv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCaptured } from "./helpers/run-cli-capture.js";

/**
 * The example workflows (examples/github-actions/) and action.yml, checked with GitHub's workflow
 * and action schemas (@action-validator/cli, pinned) and against the action and the CLI they use:
 * every input they pass exists, every command exists, every flag is one the command takes.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const EXAMPLES = join(ROOT, "examples", "github-actions");
const VALIDATOR = join(ROOT, "node_modules", ".bin", "action-validator");
const WORKFLOWS = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yml"));
const run = promisify(execFile);

interface ValidatorRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function validate(file: string): Promise<ValidatorRun> {
  try {
    const r = await run(VALIDATOR, [file], { cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: workflow documents are arbitrary YAML, checked below
type Doc = any;
const action: Doc = parse(readFileSync(join(ROOT, "action.yml"), "utf8"));
const workflows: Array<[string, Doc]> = WORKFLOWS.map((f) => [
  f,
  parse(readFileSync(join(EXAMPLES, f), "utf8")),
]);

/** Every step of every job that uses the modeltrail action. */
function actionSteps(doc: Doc): Array<{ job: string; step: Doc }> {
  const out: Array<{ job: string; step: Doc }> = [];
  for (const [job, def] of Object.entries(doc.jobs ?? {}) as Array<[string, Doc]>)
    for (const step of def.steps ?? [])
      if (typeof step.uses === "string" && /^modeltrail\/modeltrail@/.test(step.uses))
        out.push({ job, step });
  return out;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-workflows-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("example workflows", () => {
  it("there are CI, CD and rollback workflows", () => {
    expect(WORKFLOWS.sort()).toEqual(["cd.yml", "ci.yml", "rollback.yml"]);
  });

  for (const file of WORKFLOWS) {
    it(`${file} is a valid workflow (action-validator)`, async () => {
      const r = await validate(join(EXAMPLES, file));
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    }, 60_000);
  }

  it("the validator refuses a broken workflow (so the checks above can fail)", async () => {
    const broken = join(work, "broken.yml");
    await writeFile(
      broken,
      "name: x\non: push\njobs:\n  a:\n    run-on: ubuntu-latest\n    steps:\n      - run: echo\n",
    );
    const r = await validate(broken);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/runs-on|run-on/);
  }, 60_000);

  it("every step that uses the action passes inputs it declares, and a command and flags the CLI has", async () => {
    let checked = 0;
    for (const [file, doc] of workflows) {
      for (const { job, step } of actionSteps(doc)) {
        const where = `${file} ${job} ${step.name ?? step.id}`;
        for (const key of Object.keys(step.with ?? {})) expect(action.inputs, where).toHaveProperty([key]);
        const words = parseArgsStringToArgv(step.with.command);
        const help = await runCaptured([...words, "--help"], { env: {}, cwd: work });
        expect(help.code, `${where}: modeltrail ${words.join(" ")}`).toBe(0);
        // placeholders for ${{ expressions }}, then every --flag must be in the command's help
        const args = parseArgsStringToArgv(String(step.with.args ?? "").replace(/\$\{\{[^}]*\}\}/g, "X"));
        for (const flag of args.filter((a) => a.startsWith("--")))
          expect(help.stdout, `${where}: ${flag}`).toContain(flag.split("=")[0]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it("ci.yml runs on pull requests with GIT_SHA = the pull request head", () => {
    const ci = workflows.find(([f]) => f === "ci.yml")![1];
    expect(ci.on).toHaveProperty("pull_request");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    expect(ci.env.GIT_SHA).toBe("${{ github.event.pull_request.head.sha || github.sha }}");
    const commands = actionSteps(ci).map((s) => s.step.with.command);
    expect(commands).toEqual(expect.arrayContaining(["job render", "history", "verify"]));
  });

  it("cd.yml deploys the job, trains and waits, registers, builds and pushes, deploys, in that order", () => {
    const cd = workflows.find(([f]) => f === "cd.yml")![1];
    const commands = actionSteps(cd).map((s) => s.step.with.command);
    expect(commands).toEqual(["job deploy", "job run", "model register", "image build", "deploy"]);
    const runStep = actionSteps(cd).find((s) => s.step.with.command === "job run")!;
    expect(runStep.step.with.args).toContain("--wait");
    expect(cd.permissions["id-token"]).toBe("write");
    // the image's provenance is signed at build and required by the gated deploy
    const build = actionSteps(cd).find((s) => s.step.with.command === "image build")!;
    expect(build.step.with["signing-key"]).toMatch(/secrets\./);
    const deploy = actionSteps(cd).find((s) => s.step.with.command === "deploy")!;
    expect(deploy.step.with.verify).toBe(true);
    expect(deploy.step.with["public-key"]).toBeTruthy();
    expect(String(deploy.step.with.args)).not.toContain("--no-require-provenance");
  });

  it("rollback.yml is a workflow_dispatch with an optional run_id: that run's image, else the previous revision", () => {
    const rb = workflows.find(([f]) => f === "rollback.yml")![1];
    expect(rb.on.workflow_dispatch.inputs.run_id.required).toBe(false);
    const steps = actionSteps(rb).map((s) => s.step);
    expect(steps.map((s) => [s.if, s.with.command, /--run-id/.test(s.with.args)])).toEqual([
      ["inputs.run_id != ''", "rollback", true],
      ["inputs.run_id == ''", "rollback", false],
    ]);
  });
});

describe("action.yml", () => {
  it("is a valid action; action-validator 0.6.0's schema predates node24, its only complaint", async () => {
    const r = await validate(join(ROOT, "action.yml"));
    if (r.code === 0) return;
    // The schema lists node12/16/20 as `runs.using`; GitHub runs node24 actions since 2025. Every
    // other rule must hold: the one_of at /runs fails only on the `using` enum for the JavaScript branch.
    const report = JSON.parse(r.stdout.trim() || r.stderr) as {
      errors: Array<{
        code: string;
        path: string;
        states?: Array<{ errors: Array<{ code: string; path: string }> }>;
      }>;
    };
    expect(report.errors).toHaveLength(1);
    const [oneOf] = report.errors;
    expect(oneOf).toMatchObject({ code: "one_of", path: "/runs" });
    const jsBranch = oneOf!.states?.find((s) => s.errors.every((e) => e.path === "/runs/using"));
    expect(jsBranch?.errors).toEqual([expect.objectContaining({ code: "enum", path: "/runs/using" })]);
    expect(action.runs.using).toBe("node24");
  }, 60_000);
});
