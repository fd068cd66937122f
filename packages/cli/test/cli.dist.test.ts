import { chmod, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_BIN, runBuilt } from "./helpers/run-built-cli.js";

const PKG_DIR = fileURLToPath(new URL("..", import.meta.url));
const SHA = "3f2a9c1d5e7b8a9f0c1d2e3f4a5b6c7d8e9f0a1b";
const COMMANDS = [
  "context",
  "job render",
  "job deploy",
  "job run",
  "model register",
  "model find",
  "image build",
  "image find",
  "deploy",
  "history",
  "rollback",
  "clean",
];

let work: string;
let linkedBin: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-dist-"));
  // What `npm install @modeltrail/cli` makes: the package under node_modules and an executable
  // link named after the package.json `bin` entry.
  const pkg = (await import(join(PKG_DIR, "package.json"), { with: { type: "json" } })).default as {
    bin: Record<string, string>;
  };
  const target = join(work, "node_modules", "@modeltrail", "cli");
  await mkdir(dirname(target), { recursive: true });
  await symlink(PKG_DIR, target);
  await mkdir(join(work, "node_modules", ".bin"), { recursive: true });
  linkedBin = join(work, "node_modules", ".bin", "modeltrail");
  await symlink(join(target, pkg.bin.modeltrail!), linkedBin);
  await chmod(BUILT_BIN, 0o755);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the built modeltrail command", () => {
  it.each(COMMANDS)("node dist/bin.js %s --help: usage and an example", async (command) => {
    const r = await runBuilt([...command.split(" "), "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: modeltrail ${command}`);
    expect(r.stdout).toMatch(/Examples?:\n {2}\$ /);
  });

  it("runs through the bin link as installed, with --version and --json", async () => {
    const version = await runBuilt(["--version"], { command: linkedBin });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const r = await runBuilt(["context", "--json"], {
      command: linkedBin,
      cwd: work,
      env: { GITHUB_ACTIONS: "true", GITHUB_SHA: SHA, GITHUB_RUN_ID: "5", GITHUB_EVENT_NAME: "push" },
    });
    expect(r.code).toBe(0);
    expect(r.json().context.code.gitSha).toBe(SHA);
  });

  it("bad arguments: exit 2, one line and a hint, no stack", async () => {
    const r = await runBuilt(["rollback", "churn", "--run-id", "1", "--revision", "2"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      "modeltrail rollback: error: give --run-id or --revision, not both",
      'hint: run "modeltrail rollback --help" for usage and an example',
    ]);
  });

  it("errors keep their class names in the built code (--json)", async () => {
    const r = await runBuilt(["--json", "model", "find", "--git-sha", "abcd"]);
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: "CONFIG_ERROR", name: "ConfigError" });
  });

  it("a token in the environment never reaches the output, even with --debug", async () => {
    const token = "dapi00112233445566778899aabbccddeeff";
    const r = await runBuilt(["--debug", "job", "run", "123"], {
      env: { DATABRICKS_HOST: "http://127.0.0.1:9", DATABRICKS_TOKEN: token, HOME: work },
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(token);
  });
});
