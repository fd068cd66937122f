import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODELTRAIL_HOME_MARKER } from "../src/index.js";
import { runCaptured } from "./helpers/run-cli-capture.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const SHA = "3f2a9c1d5e7b8a9f0c1d2e3f4a5b6c7d8e9f0a1b";
/** GitHub Actions' env for a push build: what detection reads instead of git. */
const GITHUB_ENV = {
  GITHUB_ACTIONS: "true",
  GITHUB_SHA: SHA,
  GITHUB_REPOSITORY: "acme/churn",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_RUN_ID: "9001",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_WORKFLOW: "release",
  GITHUB_EVENT_NAME: "push",
  GITHUB_REF_NAME: "main",
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Every command path, for the help checks. */
const COMMANDS = [
  "context",
  "job",
  "job render",
  "job deploy",
  "job run",
  "model",
  "model register",
  "model find",
  "image",
  "image build",
  "image find",
  "deploy",
  "history",
  "rollback",
  "trace",
  "verify",
  "clean",
];

describe("help", () => {
  it.each(COMMANDS)("modeltrail %s --help shows the usage and an example, exit 0", async (command) => {
    const r = await runCaptured([...command.split(" "), "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: modeltrail ${command}`);
    expect(r.stdout).toMatch(/Examples?:\n {2}\$ (\S+=\S+ )*modeltrail /);
    expect(r.stderr).toBe("");
  });

  it("the top-level help lists every command and documents the exit codes", async () => {
    const r = await runCaptured(["--help"]);
    expect(r.code).toBe(0);
    for (const c of [
      "context",
      "job",
      "model",
      "image",
      "deploy",
      "history",
      "rollback",
      "trace",
      "verify",
      "clean",
    ])
      expect(r.stdout).toMatch(new RegExp(`\\n {2}${c}\\b`));
    expect(r.stdout).toContain("3    verify ran and at least one check failed");
  });

  it("no command prints the help on stderr and exits 2", async () => {
    const r = await runCaptured([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: modeltrail");
    expect(r.stdout).toBe("");
  });
});

describe("usage errors: exit 2, one line and a hint", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["an unknown command", ["deplyo"], /^modeltrail: error: unknown command 'deplyo'/],
    ["an unknown option", ["context", "--nope"], /^modeltrail context: error: unknown option '--nope'/],
    [
      "a bad option value",
      ["model", "find", "--git-sha", "xyz"],
      /^modeltrail model find: error: .*git commit SHA/,
    ],
    [
      "a bad duration",
      ["job", "run", "1", "--wait", "--timeout", "soon"],
      /^modeltrail job run: error: .*duration/,
    ],
    [
      "a missing required option",
      ["model", "register", "--name", "m"],
      /^modeltrail model register: error: .*--run-id/,
    ],
    ["a missing argument", ["history"], /^modeltrail history: error: missing required argument 'name'/],
    ["excess arguments", ["context", "extra"], /^modeltrail context: error: too many arguments/],
    [
      "options that exclude each other",
      ["model", "find", "--git-sha", "abcd", "--run-id", "1"],
      /exactly one of/,
    ],
    ["a job id that is not one", ["job", "run", "12x"], /Databricks job id/],
    ["--timeout without --wait", ["job", "run", "12", "--timeout", "10m"], /only with --wait/],
    [
      "a handle trace cannot read",
      ["trace", "deployment/only-a-name"],
      /^modeltrail trace: error: Cannot read the handle/,
    ],
    [
      "a bad --artifacts mode",
      ["verify", "models:/churn/3", "--artifacts", "all"],
      /^modeltrail verify: error: .*all/,
    ],
    [
      "a log line that is not JSON",
      ["verify", "{not json"],
      /^modeltrail verify: error: Cannot read the handle/,
    ],
  ];
  it.each(cases)("%s", async (_name, args, message) => {
    const r = await runCaptured(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: /);
    expect(r.stdout).toBe("");
  });

  it("with --json the error is also one JSON document on stdout", async () => {
    const r = await runCaptured(["--json", "image", "find", "--run-id", "bad id!"]);
    expect(r.code).toBe(2);
    expect(r.json()).toEqual({
      error: {
        code: "USAGE",
        name: "UsageError",
        message: expect.stringContaining("run id"),
        hint: 'run "modeltrail image find --help" for usage and an example',
      },
    });
  });

  it("a missing repository names MODELTRAIL_REGISTRY", async () => {
    const r = await runCaptured(["image", "find", "--run-id", "42"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("MODELTRAIL_REGISTRY");
  });
});

describe("configuration errors: exit 1, the variable to set", () => {
  it("no MLflow server configured", async () => {
    const r = await runCaptured(["model", "find", "--git-sha", "abcd"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^modeltrail model find: error: No MLflow tracking server configured\nhint: .*MLFLOW_TRACKING_URI/,
    );
  });

  it("no Databricks workspace configured", async () => {
    const r = await runCaptured(["job", "run", "123"], { env: { HOME: work } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABRICKS_HOST/);
  });

  it("--debug adds the stack trace", async () => {
    const r = await runCaptured(["--debug", "model", "find", "--git-sha", "abcd"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ConfigError: No MLflow tracking server configured[\s\S]*\n\s+at /);
  });
});

describe("context", () => {
  it("prints the context detected from CI with the source of each field", async () => {
    const r = await runCaptured(["context", "--json"], { env: GITHUB_ENV, cwd: work });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.context.code.gitSha).toBe(SHA);
    expect(out.context.ci).toMatchObject({ provider: "github-actions", runId: "9001", workflow: "release" });
    expect(out.sources["code.gitSha"]).toBe("github-actions");
  });

  it("--as env prints KEY=VALUE lines for $GITHUB_ENV", async () => {
    const r = await runCaptured(["context", "--as", "env", "--environment", "prod"], {
      env: GITHUB_ENV,
      cwd: work,
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain(`GIT_SHA=${SHA}`);
    expect(lines).toContain("MODELTRAIL_ENVIRONMENT_NAME=prod");
    for (const l of lines) expect(l).toMatch(/^[A-Z_]+=\S/);
  });

  it("--as log-fields gives the fields every prediction log line carries", async () => {
    const r = await runCaptured(["context", "--as", "log-fields", "--json"], { env: GITHUB_ENV, cwd: work });
    expect(r.json()).toMatchObject({ format: "log-fields", values: { git_sha: SHA } });
  });
});

describe("job render", () => {
  it("renders the template with the commit injected, Databricks references untouched", async () => {
    const r = await runCaptured(["job", "render", join(FIXTURES, "job.template.yaml"), "--var", "env=prod"], {
      env: GITHUB_ENV,
      cwd: work,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("name: churn-train-prod");
    expect(r.stdout).toContain(`rendered from commit ${SHA}`);
    expect(r.stdout).toContain("--seed={{job.parameters.seed}}");
  });

  it("--json gives the parsed settings; --output writes the file", async () => {
    const out = join(work, "job.yaml");
    const r = await runCaptured(
      ["job", "render", join(FIXTURES, "job.template.yaml"), "--var", "env=dev", "--output", out, "--json"],
      { env: GITHUB_ENV, cwd: work },
    );
    expect(r.code).toBe(0);
    const json = r.json();
    expect(json).toMatchObject({
      gitSha: SHA,
      format: "yaml",
      output: out,
      settings: { name: "churn-train-dev" },
    });
    expect(await readFile(out, "utf8")).toContain("name: churn-train-dev");
  });

  it("a template variable that is not given fails with the line, exit 1, nothing written", async () => {
    const out = join(work, "not-written.yaml");
    const r = await runCaptured(["job", "render", join(FIXTURES, "job.template.yaml"), "-o", out], {
      env: GITHUB_ENV,
      cwd: work,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^modeltrail job render: error: Invalid job template; .*undefined variable "env"/,
    );
    await expect(readFile(out)).rejects.toThrow();
  });

  it("a missing template file says so", async () => {
    const r = await runCaptured(["job", "render", "nope.yaml"], { env: GITHUB_ENV, cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The job template nope.yaml does not exist");
  });
});

describe("clean", () => {
  it("removes the directory modeltrail made, and only that", async () => {
    const home = join(work, "mt-home");
    await mkdir(join(home, "images"), { recursive: true });
    await writeFile(join(home, MODELTRAIL_HOME_MARKER), "x");
    await writeFile(join(home, "images", "index.json"), "{}");
    const r = await runCaptured(["clean", "--json"], { env: { MODELTRAIL_HOME: home }, cwd: work });
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ path: home, removed: true, entries: 3, stopped: [] });
    const again = await runCaptured(["clean"], { env: { MODELTRAIL_HOME: home }, cwd: work });
    expect(again.stdout).toContain("nothing to remove");
  });

  it("refuses a directory without the marker, the working directory and the file-system root", async () => {
    const foreign = join(work, "foreign");
    await mkdir(foreign, { recursive: true });
    await writeFile(join(foreign, "precious.txt"), "keep me");
    const r = await runCaptured(["clean", "--dir", foreign], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("left alone");
    expect(await readFile(join(foreign, "precious.txt"), "utf8")).toBe("keep me");
    for (const dir of [work, "/", join(work, "..")]) {
      const refused = await runCaptured(["clean", "--dir", dir], { cwd: work });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/Refusing to use/);
    }
  });
});
