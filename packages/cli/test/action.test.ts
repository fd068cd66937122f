import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseGithubOutput, runActionBundle } from "./helpers/run-action-bundle.js";

/**
 * The GitHub Action as GitHub runs it: the committed bundle (action/dist/index.mjs) in a separate
 * Node with the environment a runner gives a JavaScript action (INPUT_*, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, RUNNER_TEMP, GITHUB_* context), against a fake Databricks workspace
 * and a fake registry on loopback ports.
 */

const TEMPLATE = new URL("./fixtures/job.template.yaml", import.meta.url).pathname;
const HEAD_SHA = "3f2a9c1d5e7b8a9f0c1d2e3f4a5b6c7d8e9f0a1b";
const MERGE_SHA = "9999999999999999999999999999999999999999";
const PAT = "dapi0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const KUBE_TOKEN = "kube-bearer-7f3e9a1c5b2d8e4f6a0b";
const REGISTRY_PASSWORD = "Regi5try-Pa55word-for-the-action";
/** What a fake server puts in an error to try to act as a workflow command. */
const INJECTED = "::set-output name=pwned::yes";

const GITHUB_CONTEXT = {
  GITHUB_SHA: MERGE_SHA,
  GITHUB_REPOSITORY: "acme/churn",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_RUN_ID: "9001",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_WORKFLOW: "ci",
  GITHUB_REF: "refs/pull/7/merge",
  GITHUB_HEAD_REF: "feature/churn",
  GITHUB_EVENT_NAME: "pull_request",
};

let work: string;
let eventPath: string;
let dbx: MswServer;
let registry: MswServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-action-"));
  eventPath = join(work, "event.json");
  await writeFile(eventPath, JSON.stringify({ pull_request: { number: 7, head: { sha: HEAD_SHA } } }));
  dbx = await startMswServer(
    http.get("*/api/2.2/jobs/list", () => HttpResponse.json({ jobs: [], has_more: false })),
    http.post("*/api/2.2/jobs/create", () => HttpResponse.json({ job_id: 11223344 })),
    http.post("*/api/2.2/jobs/run-now", () =>
      HttpResponse.json(
        { error_code: "PERMISSION_DENIED", message: `Token ${PAT} may not run this job\n${INJECTED}` },
        { status: 403 },
      ),
    ),
  );
  const basic = `Basic ${Buffer.from(`ci-bot:${REGISTRY_PASSWORD}`).toString("base64")}`;
  registry = await startMswServer(
    http.all("*/v2/*", ({ request }) => {
      if (request.headers.get("authorization") !== basic)
        return HttpResponse.json(
          { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
          { status: 401, headers: { "www-authenticate": 'Basic realm="fake"' } },
        );
      if (new URL(request.url).pathname.endsWith("/tags/list"))
        return HttpResponse.json({ name: "models/churn", tags: [] });
      return HttpResponse.json(
        { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] },
        { status: 404 },
      );
    }),
  );
});

afterAll(async () => {
  await Promise.allSettled([dbx?.close(), registry?.close()]);
  await rm(work, { recursive: true, force: true });
});

const ctx = () => ({ ...GITHUB_CONTEXT, GITHUB_EVENT_PATH: eventPath });

/** Every line of the log that is not a workflow command, in order. */
function logLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => !l.startsWith("::"));
}

describe("the GitHub Action (committed bundle, runner environment)", () => {
  it("context on a pull request: the head commit (not the merge commit) in the outputs and the summary", async () => {
    const r = await runActionBundle({ command: "context" }, { env: ctx() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs["exit-code"]).toBe("0");
    expect(r.outputs["git-sha"]).toBe(HEAD_SHA);
    const result = JSON.parse(r.outputs.result!);
    expect(result.context.code).toMatchObject({ gitSha: HEAD_SHA, branch: "feature/churn" });
    expect(result.context.ci).toMatchObject({ provider: "github-actions", runId: "9001" });
    expect(r.summary).toMatch(/^### modeltrail context: succeeded/);
    expect(r.summary).toContain(`| git-sha | \`${HEAD_SHA}\` |`);
    expect(r.summary).toContain("```json");
  });

  it("job render and job deploy: the rendered definition and the job id as outputs", async () => {
    const rendered = await runActionBundle(
      { command: "job render", args: `${TEMPLATE} --var env=prod` },
      { env: ctx() },
    );
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(JSON.parse(rendered.outputs.result!).settings.name).toBe("churn-train-prod");

    const deployed = await runActionBundle(
      {
        command: "job deploy",
        args: `"${TEMPLATE}"\n--var env=prod`,
        "databricks-host": dbx.url,
        "databricks-token": PAT,
      },
      { env: ctx() },
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.outputs).toMatchObject({ "job-id": "11223344", action: "created", "git-sha": HEAD_SHA });
    const create = dbx.requests.find((q) => q.path.endsWith("/jobs/create"));
    expect(create?.headers.authorization).toBe(`Bearer ${PAT}`);
    expect(JSON.parse(create!.body).tags.git_sha).toBe(HEAD_SHA);
  });

  it("masks every secret before printing anything, and a server echoing one cannot leak it or inject commands", async () => {
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "users:",
      "- name: ci",
      "  user:",
      `    token: ${KUBE_TOKEN}`,
    ].join("\n");
    const r = await runActionBundle(
      {
        command: "job run",
        args: "11223344",
        "databricks-host": dbx.url,
        "databricks-token": PAT,
        kubeconfig,
      },
      { env: { ...ctx(), MLFLOW_TRACKING_PASSWORD: "mlflow-Pa55word-in-env" } },
    );
    expect(r.code).toBe(1);
    expect(r.outputs["exit-code"]).toBe("1");
    // the masks come first: no line of the log precedes them
    const lines = r.stdout.split("\n");
    const firstOther = lines.findIndex((l) => !l.startsWith("::add-mask::"));
    const masks = lines.slice(0, firstOther);
    for (const secret of [PAT, KUBE_TOKEN, "mlflow-Pa55word-in-env"])
      expect(masks).toContain(`::add-mask::${secret}`);
    // nowhere else: not in the log, the error annotation, the outputs or the summary
    const rest = [lines.slice(firstOther).join("\n"), r.stderr, r.outputFile, r.summary].join("\n");
    for (const secret of [PAT, KUBE_TOKEN, "mlflow-Pa55word-in-env"]) {
      expect(rest).not.toContain(secret);
      expect(rest).not.toContain(secret.slice(4, -4));
    }
    expect(r.outputs.error).toMatch(/PERMISSION_DENIED|may not run/);
    expect(r.stdout).toMatch(/^::error title=modeltrail job run::.*may not run/m);
    // the command's output runs with workflow commands stopped; the server's text only inside
    const stop = /^::stop-commands::([0-9a-f]{32})$/m.exec(r.stdout);
    expect(stop).not.toBeNull();
    const resume = r.stdout.indexOf(`::${stop![1]}::`);
    expect(resume).toBeGreaterThan(stop!.index);
    const before = r.stdout.slice(0, stop!.index) + r.stdout.slice(resume);
    // outside the stopped block, every line that starts with :: is one of the action's own commands
    const commands = before.split("\n").filter((l) => l.startsWith("::"));
    for (const c of commands)
      expect(c).toMatch(/^::(add-mask|stop-commands|error title=modeltrail job run|[0-9a-f]{32})::/);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("::"))).toEqual([]);
    expect(r.outputs.pwned).toBeUndefined();
    // the kubeconfig file the action wrote is gone
    expect(r.runnerTemp).toEqual([]);
  });

  it("a registry login input becomes a Docker config the registry client uses, removed afterwards", async () => {
    const repository = `${registry.url.replace(/^http:\/\//, "")}/models/churn`;
    const r = await runActionBundle(
      {
        command: "image find",
        args: "--run-id 1795788642450001",
        registry: repository,
        "registry-username": "ci-bot",
        "registry-password": REGISTRY_PASSWORD,
      },
      { env: ctx() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.outputs.result!)).toEqual({ runId: "1795788642450001", images: [] });
    expect(r.stdout.split("\n")).toContain(`::add-mask::${REGISTRY_PASSWORD}`);
    const authed = registry.requests.filter((q) => q.headers.authorization?.startsWith("Basic "));
    expect(authed.length).toBeGreaterThan(0);
    expect(logLines(r.stdout).join("\n") + r.stderr + r.outputFile + r.summary).not.toContain(
      REGISTRY_PASSWORD,
    );
    expect(r.runnerTemp).toEqual([]);
  });

  it("bad arguments: exit-code 2, an ::error:: annotation with the hint, the step fails", async () => {
    const r = await runActionBundle({ command: "model register", args: "--name churn" }, { env: ctx() });
    expect(r.code).toBe(1);
    expect(r.outputs["exit-code"]).toBe("2");
    expect(r.outputs.error).toMatch(/--run-id/);
    expect(r.outputs.hint).toMatch(/--help/);
    expect(r.stdout).toMatch(/^::error title=modeltrail model register::.*--run-id.*%0Ahint: /m);
    expect(r.summary).toMatch(/^### modeltrail model register: failed: usage error \(exit 2\)/);
  });

  it("fail-on-error: false passes the step and reports the exit code with a warning", async () => {
    const r = await runActionBundle({ command: "frobnicate", "fail-on-error": "false" }, { env: ctx() });
    expect(r.code).toBe(0);
    expect(r.outputs["exit-code"]).toBe("2");
    expect(r.stdout).toMatch(/^::warning title=modeltrail frobnicate \(fail-on-error is false\)::/m);
    expect(r.stdout).not.toMatch(/^::error/m);
  });

  it("an empty command input, a bad fail-on-error, a login without a registry: usage errors naming the input", async () => {
    const empty = await runActionBundle({}, { env: ctx() });
    expect(empty.code).toBe(1);
    expect(empty.outputs).toMatchObject({ "exit-code": "2" });
    expect(empty.outputs.error).toMatch(/`command` input is empty/);

    const flag = await runActionBundle({ command: "context", "fail-on-error": "maybe" }, { env: ctx() });
    expect(flag.outputs.error).toMatch(/fail-on-error.*true or false/);

    const login = await runActionBundle(
      { command: "image find", "registry-username": "u", "registry-password": REGISTRY_PASSWORD },
      { env: ctx() },
    );
    expect(login.code).toBe(1);
    expect(login.outputs.error).toMatch(/no registry to log in to/);
    expect(login.runnerTemp).toEqual([]);
  });

  it("a multi-line output value survives $GITHUB_OUTPUT's delimiter format", () => {
    const parsed = parseGithubOutput("a<<EOF_1\nline 1\nline 2\nEOF_1\nb=plain\n");
    expect(parsed).toEqual({ a: "line 1\nline 2", b: "plain" });
  });
});
