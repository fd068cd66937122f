import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MlflowClient } from "@modeltrail/mlflow";
import { verifyLayoutProvenance } from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { provenanceKeys } from "./helpers/provenance-keys.js";
import { runCaptured } from "./helpers/run-cli-capture.js";

const APP = new URL("./fixtures/node-serving/", import.meta.url).pathname;
const RUNS = [
  { sha: "5151515151515151515151515151515151515151", jobRunId: "1795788642450031" },
  { sha: "5252525252525252525252525252525252525252", jobRunId: "1795788642450032" },
] as const;
const JOB_ID = "1795788642450030";
const MODEL = `gate-churn-${Date.now().toString(36)}`;

let work: string;
let layout: string;
let env: Record<string, string>;
const digests: string[] = [];
/** What `image build` said of each image (its provenance). */
// biome-ignore lint/suspicious/noExplicitAny: the --json result
const signed: any[] = [];
const keys = provenanceKeys();

const cli = (...args: string[]) => runCaptured(["--json", ...args], { env, cwd: work });
const deploy = (run: (typeof RUNS)[number], ...args: string[]) =>
  cli(
    "deploy",
    "--target",
    "local",
    "--name",
    "gated",
    "--image",
    `oci:images:${run.jobRunId}`,
    "--python",
    process.execPath,
    "--timeout",
    "2m",
    ...args,
  );

async function serving(url: string): Promise<{ git_sha: string; run_id: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return ((await r.json()) as { trace: { git_sha: string; run_id: string } }).trace;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-gate-int-"));
  layout = join(work, "images");
  env = {
    MLFLOW_TRACKING_URI: inject("mlflowUri"),
    MODELTRAIL_HOME: join(work, "home"),
    // the CD pipeline's CI context (a GitHub Actions run), where `model register` reads the commit
    GITHUB_ACTIONS: "true",
    GITHUB_SHA: RUNS[1].sha,
    GITHUB_RUN_ID: "4243",
    GITHUB_EVENT_NAME: "push",
    GITHUB_REPOSITORY: "acme/churn",
    GITHUB_SERVER_URL: "https://github.com",
  };
  const client = await MlflowClient.fromEnv({ trackingUri: inject("mlflowUri") });
  try {
    const experimentId = await client.experiments.getOrCreate(`deploy-gate-${MODEL}`);
    for (const [i, r] of RUNS.entries()) {
      const run = await client.runs.create({
        experimentId,
        tags: { GIT_SHA: r.sha, DBR_RUN_ID: r.jobRunId, DBR_JOB_ID: JOB_ID },
      });
      const modelDir = join(work, `model-${i}`);
      await mkdir(modelDir, { recursive: true });
      await writeFile(join(modelDir, "MLmodel"), "flavors:\n  python_function:\n    loader_module: m\n");
      await writeFile(join(modelDir, "model.txt"), `model of run ${r.jobRunId}\n`);
      await client.artifacts.uploadTree(modelDir, { runId: run.info.run_id, path: "model" });
      await client.runs.logInputs(run.info.run_id, [
        {
          name: "churn-train",
          digest: `d1g35t${i}`,
          sourceType: "local",
          source: JSON.stringify({ uri: "data/churn.csv" }),
          context: "training",
        },
      ]);
      await client.runs.update(run.info.run_id, { status: "FINISHED" });
    }
  } finally {
    await client.close();
  }
  await keys.write(work);
  for (const [i, r] of RUNS.entries()) {
    const reg = await cli("model", "register", "--run-id", r.jobRunId, "--name", MODEL);
    expect(reg.code, reg.stderr).toBe(0);
    const built = await cli(
      "image",
      "build",
      "--run-id",
      r.jobRunId,
      "--layout",
      "images",
      "--app-dir",
      APP,
      "--cmd",
      '["python","server.mjs"]',
      "--workdir",
      "/opt/app",
      "--env",
      "MODEL_DIR=/opt/model",
      // the first image's provenance is signed by the build; the second one is not
      ...(i === 0 ? ["--signing-key", "signing.key"] : []),
    );
    expect(built.code, built.stderr).toBe(0);
    digests.push(built.json().digest);
    signed.push(built.json());
  }
}, 300_000);

afterAll(async () => {
  await runCaptured(["clean"], { env, cwd: work });
  await rm(work, { recursive: true, force: true });
});

describe("image build --signing-key into an OCI layout", () => {
  it("signs the image's provenance at build, stored as its .att in the layout, and says the attestation", async () => {
    const [first, second] = signed;
    expect(first.provenance).toMatchObject({
      signed: true,
      keyType: "ed25519",
      attestation: first.attestation,
      layout: { digest: first.attestation, tag: `sha256-${digests[0]!.slice(7)}.att` },
    });
    expect(first.attestation).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.provenance.registry).toBeUndefined();
    expect(first.provenance.builder).toMatch(/^https:\/\/modeltrail\.dev\/builder\/github-actions/);
    expect(second.provenance).toEqual({ signed: false });
    expect(second.attestation).toBeUndefined();
    // read back with the library, and the statement is about the image built from run 1's commit
    const verified = await verifyLayoutProvenance(layout, { digest: digests[0]! }, keys.publicPem);
    expect(verified.statement.subject[0]?.digest.sha256).toBe(digests[0]!.slice(7));
    expect(verified.statement.predicate.buildDefinition.resolvedDependencies).toContainEqual(
      expect.objectContaining({ name: "source", digest: { gitCommit: RUNS[0].sha } }),
    );
    await expect(
      verifyLayoutProvenance(layout, { digest: digests[0]! }, keys.other.publicKey),
    ).rejects.toThrow(/No signature/);
  });

  it("the human form says the provenance is signed and verified", async () => {
    const r = await runCaptured(
      [
        "image",
        "build",
        "--run-id",
        RUNS[0].jobRunId,
        "--layout",
        "images",
        "--app-dir",
        APP,
        "--cmd",
        '["python","server.mjs"]',
        "--workdir",
        "/opt/app",
        "--env",
        "MODEL_DIR=/opt/model",
      ],
      { env: { ...env, MODELTRAIL_SIGNING_KEY: join(work, "signing.key") }, cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^digest: +${digests[0]}$`, "m")); // the same image
    expect(r.stdout).toMatch(
      /^provenance: +signed \(ed25519\), verified: sha256-[0-9a-f]{64}\.att in the layout$/m,
    );
    expect(r.stdout + r.stderr).not.toContain(keys.privatePem.split("\n")[1]!);
  });
});

describe("deploy --target local --verify with MLflow", () => {
  it("lets the signed image whose links agree through: it serves, and the result says what passed", async () => {
    const r = await deploy(RUNS[0], "--verify", "--public-key", "cosign.pub");
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({
      target: "local",
      gate: "passed",
      rolledOut: true,
      revision: "1",
      runId: RUNS[0].jobRunId,
      gitSha: RUNS[0].sha,
      image: `oci:${layout}@${digests[0]}`,
      verification: { requireProvenance: true, requireModelVersionCommit: true, fail: 0 },
    });
    const status = new Map(
      (out.verification.checks as Array<{ id: string; status: string }>).map((c) => [c.id, c.status]),
    );
    expect(status.get("provenance.signature")).toBe("pass");
    expect(status.get("provenance.commit")).toBe("pass");
    expect(status.get("commit.image-model-version")).toBe("pass");
    expect(status.get("artifacts.model-layer")).toBe("pass");
    expect((await serving(out.url)).git_sha).toBe(RUNS[0].sha);

    // the human form names the gate's verdict
    const human = await runCaptured(
      [
        "deploy",
        "--target",
        "local",
        "--name",
        "gated",
        "--image",
        `oci:images:${RUNS[0].jobRunId}`,
        "--python",
        process.execPath,
        "--verify",
        "--public-key",
        "cosign.pub",
      ],
      { env, cwd: work },
    );
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^deploy gate: +passed \(\d+ checks pass, \d+ unknown, provenance verified\)$/m,
    );
  });

  it("refuses the unsigned image: exit 3 naming provenance.signature, nothing started, run 1 serves on", async () => {
    const r = await deploy(RUNS[1], "--verify", "--public-key", "cosign.pub");
    expect(r.code).toBe(3);
    const out = r.json();
    expect(out).toMatchObject({ gate: "refused", ok: false, image: `oci:${layout}@${digests[1]}` });
    expect(out.refused.map((c: { id: string; status: string }) => `${c.id} ${c.status}`)).toEqual([
      "provenance.signature fail",
    ]);
    expect(r.stderr).toMatch(
      /^modeltrail deploy: error: the deploy gate refused oci:.*: provenance\.signature fail: Image .* has no provenance attestation, and one is required$/m,
    );
    const history = await cli("history", "gated", "--target", "local");
    expect(history.json().revisions).toHaveLength(1);
    expect(history.json()).toMatchObject({ runId: RUNS[0].jobRunId, running: true });
    expect((await serving(history.json().url)).git_sha).toBe(RUNS[0].sha);
  });

  it("refuses the signed image checked with another key", async () => {
    const r = await deploy(RUNS[0], "--verify", "--public-key", "other.pub", "--name", "other-key");
    expect(r.code).toBe(3);
    expect(r.json().refused.map((c: { id: string }) => c.id)).toEqual(["provenance.signature"]);
    expect(r.stderr).toMatch(/provenance\.signature fail: The provenance does not verify/);
    const list = await cli("history", "other-key", "--target", "local");
    expect(list.code).toBe(1);
    expect(list.json().error.code).toBe("NOT_FOUND"); // never deployed
  });

  it("without required provenance, the unsigned image whose links agree is deployed", async () => {
    const r = await deploy(RUNS[1], "--verify", "--no-require-provenance");
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ gate: "passed", revision: "2", gitSha: RUNS[1].sha });
    expect(r.json().verification).toMatchObject({ requireProvenance: false });
  });

  it("refuses an image whose model version names another commit; the gate off deploys it (as before)", async () => {
    const client = await MlflowClient.fromEnv({ trackingUri: inject("mlflowUri") });
    try {
      await client.modelVersions.setTag(MODEL, "1", "GIT_SHA", "5353535353535353535353535353535353535353");
    } finally {
      await client.close();
    }
    const r = await deploy(RUNS[0], "--verify", "--public-key", "cosign.pub");
    expect(r.code).toBe(3);
    const refused = r.json().refused as Array<{ id: string; status: string; message: string }>;
    expect(refused.map((c) => `${c.id} ${c.status}`)).toContain("commit.image-model-version fail");
    expect(JSON.stringify(refused)).toContain("5353535353535353535353535353535353535353");
    expect(r.stderr).toMatch(/commit\.image-model-version fail: /);
    const now = await cli("history", "gated", "--target", "local");
    expect(now.json()).toMatchObject({ runId: RUNS[1].jobRunId, revision: 2 });

    const ungated = await deploy(RUNS[0]);
    expect(ungated.code, ungated.stderr).toBe(0);
    expect(ungated.json()).toMatchObject({ gate: "off", gitSha: RUNS[0].sha });

    // the human forms the local target shares with Kubernetes': history's table, rollback's lines
    const human = (...args: string[]) => runCaptured(args, { env, cwd: work });
    const table = (await human("history", "gated", "--target", "local")).stdout.split("\n");
    expect(table[0]).toMatch(/^revision\s+run id\s+commit\s+running\s+image\s+created$/);
    expect(table.filter((l) => /\s0\/1\s/.test(l))).toHaveLength(1); // run 1 came back as revision 3
    expect(table.filter((l) => /^3\s+\*\s+1795788642450031\s+515151515151\s+1\/1\s/.test(l))).toHaveLength(1);
    const back = await human("rollback", "gated", "--target", "local", "--python", process.execPath);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^deployment: +local\/gated \(local\)$/m);
    expect(back.stdout).toMatch(/^run id: +1795788642450032$/m);
    expect(back.stdout).toMatch(/^serving: +http:\/\/127\.0\.0\.1:\d+$/m);
    expect(back.stdout).not.toMatch(/rolled out|deploy gate/);
    const again = await human("rollback", "gated", "--target", "local", "--run-id", RUNS[1].jobRunId);
    expect(again.stdout).toMatch(/^run 1795788642450032 already serves; nothing changed$/m);
  });
});
