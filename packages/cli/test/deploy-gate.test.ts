/**
 * `modeltrail deploy --verify` (the deploy gate) without the servers: its flags and their bad
 * combinations (exit 2, before anything is read), and the local target refusing real images of an
 * OCI layout (signed with another key, or with a model version nothing can read): exit 3, one line
 * naming each broken link, the checks with --json, nothing unpacked or started. The gate passing
 * (MLflow, a registry, a cluster) is tested in deploy-gate.int.test.ts and cli-pipeline.int.test.ts.
 */

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext } from "@modeltrail/core";
import { buildModelImage } from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readActionInputs } from "../src/action/action-inputs.js";
import { summaryMarkdown } from "../src/action/action-report.js";
import { provenanceKeys, signLayoutImage } from "./helpers/provenance-keys.js";
import { runCaptured } from "./helpers/run-cli-capture.js";

const APP = new URL("./fixtures/node-serving/", import.meta.url).pathname;
const RUN = "1795788642450021";
const SHA = "e".repeat(40);

let work: string;
let layout: string;
let digest: string;
const keys = provenanceKeys();
const env = () => ({ MODELTRAIL_HOME: join(work, "home") });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-gate-"));
  layout = join(work, "images");
  const modelDir = join(work, "model");
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, "model.txt"), "gated\n");
  const ctx = createTraceContext({
    code: { gitSha: SHA },
    job: { platform: "databricks", jobId: "1795788642450020", runId: RUN },
    model: { name: "churn", version: "7" },
  });
  const built = await buildModelImage({
    modelDir,
    appDir: APP,
    cmd: ["python", "server.mjs"],
    workingDir: "/opt/app",
    env: { MODEL_DIR: "/opt/model" },
    ctx,
    layout,
  });
  digest = built.digest;
  await signLayoutImage(layout, digest, ctx, keys.signing.privateKey);
  await keys.write(work);
}, 60_000);

afterAll(async () => {
  await runCaptured(["clean"], { env: env(), cwd: work });
  await rm(work, { recursive: true, force: true });
});

const deployLocal = (...args: string[]) =>
  runCaptured(
    [
      "deploy",
      "--target",
      "local",
      "--name",
      "gated",
      "--image",
      `oci:${layout}:${RUN}`,
      "--python",
      process.execPath,
      ...args,
    ],
    { env: env(), cwd: work },
  );

describe("deploy gate flags", () => {
  const cases: Array<[string, string[], RegExp, RegExp]> = [
    [
      "a gate setting without --verify (the deploy would go ungated)",
      ["--strict"],
      /error: --strict sets the deploy gate, which is off/,
      /add --verify/,
    ],
    [
      "a public key without --verify",
      ["--public-key", "cosign.pub", "--no-require-provenance"],
      /--public-key, --require-provenance\/--no-require-provenance set the deploy gate, which is off/,
      /add --verify/,
    ],
    [
      "--verify requiring provenance with no key to check it",
      ["--verify"],
      /requires signed provenance and has no public key/,
      /--public-key FILE \(or MODELTRAIL_PUBLIC_KEY\).*--no-require-provenance/,
    ],
    [
      "a public key that cannot be read",
      ["--verify", "--public-key", "missing.pub"],
      /Cannot read the public key .*missing\.pub: ENOENT/,
      /PEM public key/,
    ],
    ["a bad --artifacts mode", ["--verify", "--artifacts", "all"], /all/, /--help/],
  ];
  it.each(cases)("%s: exit 2, one line and a hint, nothing deployed", async (_name, args, message, hint) => {
    const r = await deployLocal(...args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines[1]).toMatch(hint);
    expect(r.stdout).toBe("");
    expect(existsSync(join(work, "home", "local-target", "gated"))).toBe(false);
  });

  it("MODELTRAIL_PUBLIC_KEY stands for --public-key", async () => {
    const r = await runCaptured(
      ["deploy", "--name", "x", "--image", "oci:nowhere:1", "--target", "local", "--verify"],
      { env: { ...env(), MODELTRAIL_PUBLIC_KEY: "nope.pub" }, cwd: work },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot read the public key .*nope\.pub/);
  });

  it("deploy --help names the gate's flags, an example and exit 3", async () => {
    const r = await runCaptured(["deploy", "--help"]);
    for (const flag of [
      "--verify",
      "--public-key",
      "--require-provenance",
      "--no-require-provenance",
      "--strict",
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/\$ modeltrail deploy .*--verify --public-key cosign\.pub/);
    expect(r.stdout).toMatch(/exit 3/);
    const top = await runCaptured(["--help"]);
    expect(top.stdout).toMatch(/3 {4}verify ran and at least one check failed, or the deploy gate/);
    expect(top.stdout).toContain("MODELTRAIL_PUBLIC_KEY");
  });
});

describe("the local target behind the gate, without MLflow", () => {
  it("an image signed for another key is refused: exit 3, each broken link named, nothing started", async () => {
    const r = await deployLocal("--verify", "--public-key", "other.pub");
    expect(r.code).toBe(3);
    // the status line says what it does; then the error on one line and the hint
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.shift()).toMatch(/^verifying, then deploying oci:.* as local\/gated$/);
    expect(lines[0]).toMatch(
      /^modeltrail deploy: error: the deploy gate refused oci:.*@sha256:[0-9a-f]{64}: /,
    );
    expect(lines[0]).toMatch(/provenance\.signature fail: The provenance does not verify/);
    // MLflow is not configured: the model version's commit cannot be compared, which the gate requires
    expect(lines[0]).toMatch(/commit\.image-model-version unknown/);
    expect(lines[1]).toMatch(/^hint: nothing was applied or started\. .*not configured: mlflow/);
    expect(existsSync(join(work, "home", "local-target", "gated"))).toBe(false);
  });

  it("--json gives the refusal's checks and the report", async () => {
    const r = await deployLocal("--verify", "--public-key", "other.pub", "--json");
    expect(r.code).toBe(3);
    const out = r.json();
    expect(out).toMatchObject({
      target: "local",
      name: "gated",
      ok: false,
      gate: "refused",
      image: `oci:${layout}@${digest}`,
      verification: { requireProvenance: true, strict: false },
    });
    expect(out.refused.map((c: { id: string; status: string }) => `${c.id} ${c.status}`).sort()).toEqual([
      "commit.image-model-version unknown",
      "provenance.signature fail",
    ]);
    expect(out.verification.notConfigured.map((s: { system: string }) => s.system)).toContain("mlflow");
    expect(out.report.lineages).toHaveLength(1);
  });

  it("with the right key the signature passes, and the commit still has to be checked", async () => {
    const r = await deployLocal("--verify", "--public-key", "cosign.pub", "--json");
    expect(r.code).toBe(3);
    const out = r.json();
    expect(out.refused.map((c: { id: string }) => c.id)).toEqual(["commit.image-model-version"]);
    const sig = out.verification.checks.find((c: { id: string }) => c.id === "provenance.signature");
    expect(sig.status).toBe("pass");
    expect(existsSync(join(work, "home", "local-target", "gated"))).toBe(false);
  });
});

describe("the action's gate inputs", () => {
  const base = { INPUT_COMMAND: "deploy", INPUT_ARGS: "--name churn --run-id 1" };
  it("verify: true adds --verify to a deploy; public-key is kept for the credentials", () => {
    const inputs = readActionInputs({ ...base, INPUT_VERIFY: "TRUE", "INPUT_PUBLIC-KEY": "cosign.pub" });
    expect(inputs.argv).toEqual(["deploy", "--name", "churn", "--run-id", "1", "--verify"]);
    expect(inputs.publicKey).toBe("cosign.pub");
    expect(readActionInputs({ ...base, INPUT_ARGS: "--verify", INPUT_VERIFY: "true" }).argv).toEqual([
      "deploy",
      "--verify",
    ]);
    expect(readActionInputs(base).argv).not.toContain("--verify");
  });

  it("verify on another command, or not a boolean, is a usage error naming the input", () => {
    expect(() => readActionInputs({ INPUT_COMMAND: "history", INPUT_VERIFY: "true" })).toThrow(
      /`verify` input gates a deploy; the command is `history`/,
    );
    expect(() => readActionInputs({ ...base, INPUT_VERIFY: "yes" })).toThrow(
      /`verify` input must be true or false, not "yes"/,
    );
  });

  it("the summary shows the gate's verdict and its checks, the refused ones first", () => {
    const md = summaryMarkdown("deploy", {
      exitCode: 3,
      data: {
        gate: "refused",
        image: "r.example/m@sha256:1",
        refused: [{ id: "provenance.signature", status: "fail", message: "bad | signature" }],
        verification: {
          requireProvenance: true,
          strict: false,
          checks: [
            { id: "commit.run-job", status: "pass", message: "same commit" },
            { id: "provenance.signature", status: "fail", message: "bad | signature" },
          ],
        },
      },
    });
    expect(md).toMatch(/^### modeltrail deploy: failed: the deploy gate refused the image \(exit 3\)/);
    expect(md).toContain(
      "**Deploy gate:** refused r.example/m@sha256:1 (provenance required); nothing was applied or started",
    );
    const rows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| output"));
    expect(rows.slice(0, 3)).toEqual([
      "| check | status | what it found |",
      "| provenance.signature | **fail** (refused) | bad \\| signature |",
      "| commit.run-job | pass | same commit |",
    ]);
    const passed = summaryMarkdown("deploy", {
      exitCode: 0,
      data: { gate: "passed", verification: { requireProvenance: false, strict: true, checks: [] } },
    });
    expect(passed).toContain("**Deploy gate:** passed (provenance not required, strict)");
    expect(summaryMarkdown("deploy", { exitCode: 0, data: { gate: "off" } })).not.toContain("Deploy gate");
  });
});
