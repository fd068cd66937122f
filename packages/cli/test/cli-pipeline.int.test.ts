import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MlflowClient } from "@modeltrail/mlflow";
import { anonymousCredentials, RegistryClient, verifyProvenance } from "@modeltrail/registry";
import {
  type K8sControlPlane,
  type MswServer,
  startDistributionRegistry,
  startK8sControlPlane,
  startMswServer,
  type TestRegistry,
} from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { provenanceKeys } from "./helpers/provenance-keys.js";
import { runActionBundle } from "./helpers/run-action-bundle.js";
import { runBuilt } from "./helpers/run-built-cli.js";

/**
 * The reference pipeline through the built `modeltrail` command, against real servers: the local
 * MLflow server of the integration tier, a distribution registry and a Kubernetes control plane
 * (kwok plays the pods). The training runs are made here as a training job would make them
 * (tags GIT_SHA / DBR_RUN_ID / DBR_JOB_ID, a logged model); everything after is the CLI.
 */

const RUNS = [
  { sha: "1111111111111111111111111111111111111111", jobRunId: "1795788642450001", seed: "1" },
  { sha: "2222222222222222222222222222222222222222", jobRunId: "1795788642450002", seed: "2" },
] as const;
const JOB_ID = "1795788642450000";
const MODEL = `cli-churn-${Date.now().toString(36)}`;

let work: string;
let registry: TestRegistry;
let plane: K8sControlPlane;
let repository: string;
let env: Record<string, string>;
/** Databricks cannot run here: its Jobs API is a fake workspace that knows the two job runs. */
let workspace: MswServer;
const DBX_TOKEN = "dapi5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";
// biome-ignore lint/suspicious/noExplicitAny: a documented Jobs API response, adjusted per run
const runFixture = (): any =>
  JSON.parse(
    readFileSync(
      new URL("../../databricks/test/fixtures/api/runs-get-success.json", import.meta.url),
      "utf8",
    ),
  );
const mlflowRunIds: string[] = [];
/** The key run 1's image provenance is signed with (as `cosign attest --key` would), and another. */
const keys = provenanceKeys();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-pipeline-"));
  [registry, plane] = await Promise.all([startDistributionRegistry(), startK8sControlPlane()]);
  workspace = await startMswServer(
    http.get("*/api/2.2/jobs/runs/get", ({ request }) => {
      const id = new URL(request.url).searchParams.get("run_id");
      const r = RUNS.find((x) => x.jobRunId === id);
      if (!r)
        return HttpResponse.json(
          { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Run not found" },
          { status: 404 },
        );
      const fixture = runFixture();
      return HttpResponse.json({
        ...fixture,
        run_id: Number(r.jobRunId),
        job_id: Number(JOB_ID),
        job_parameters: [{ name: "git_sha", value: r.sha }],
      });
    }),
  );
  repository = `${registry.host}/models/${MODEL}`;
  env = {
    MLFLOW_TRACKING_URI: inject("mlflowUri"),
    KUBECONFIG: plane.kubeconfig,
    MODELTRAIL_REGISTRY: repository,
    DATABRICKS_HOST: workspace.url,
    DATABRICKS_TOKEN: DBX_TOKEN,
    DOCKER_CONFIG: join(work, "docker"),
    // the CD pipeline's CI context (a GitHub Actions run)
    GITHUB_ACTIONS: "true",
    GITHUB_SHA: RUNS[1].sha,
    GITHUB_RUN_ID: "4242",
    GITHUB_EVENT_NAME: "push",
    GITHUB_REPOSITORY: "acme/churn",
    GITHUB_SERVER_URL: "https://github.com",
  };
  // Two training runs, as the training job logs them.
  const client = await MlflowClient.fromEnv({ trackingUri: inject("mlflowUri") });
  try {
    const experimentId = await client.experiments.getOrCreate(`cli-pipeline-${MODEL}`);
    for (const r of RUNS) {
      const run = await client.runs.create({
        experimentId,
        tags: { GIT_SHA: r.sha, DBR_RUN_ID: r.jobRunId, DBR_JOB_ID: JOB_ID },
      });
      const modelDir = join(work, `model-${r.seed}`);
      await mkdir(modelDir, { recursive: true });
      await writeFile(
        join(modelDir, "MLmodel"),
        `flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n`,
      );
      await writeFile(join(modelDir, "model.pkl"), `weights for seed ${r.seed}\n`.repeat(1000));
      await client.artifacts.uploadTree(modelDir, { runId: run.info.run_id, path: "model" });
      await client.runs.logInputs(run.info.run_id, [
        {
          name: "churn-train",
          digest: `d1g35t${r.seed}`,
          sourceType: "local",
          source: JSON.stringify({ uri: "data/churn.csv" }),
          context: "training",
        },
      ]);
      await client.runs.update(run.info.run_id, { status: "FINISHED" });
      mlflowRunIds.push(run.info.run_id);
    }
  } finally {
    await client.close();
  }
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), plane?.stop(), workspace?.close()]);
  await rm(work, { recursive: true, force: true });
});

const cli = (...args: string[]) => runBuilt(["--json", ...args], { env, cwd: work });

describe("the pipeline through the modeltrail command", () => {
  it("registers each run's model with its trace, by job run id", async () => {
    for (const [i, r] of RUNS.entries()) {
      const res = await cli(
        "model",
        "register",
        "--run-id",
        r.jobRunId,
        "--name",
        MODEL,
        "--alias",
        "champion",
      );
      expect(res.stderr, res.stderr).not.toMatch(/error/);
      expect(res.code).toBe(0);
      expect(res.json()).toMatchObject({
        name: MODEL,
        version: String(i + 1),
        created: true,
        runId: r.jobRunId,
        mlflowRunId: mlflowRunIds[i],
        gitSha: r.sha,
        alias: "champion",
      });
    }
    // registering again gives the same version
    const again = await cli("model", "register", "--run-id", mlflowRunIds[0]!, "--name", MODEL);
    expect(again.json()).toMatchObject({ version: "1", created: false });
  });

  it("finds the versions by commit and by either kind of run id", async () => {
    const bySha = await cli("model", "find", "--git-sha", RUNS[0].sha.slice(0, 8), "--name", MODEL);
    expect(bySha.json().versions.map((v: { version: string }) => v.version)).toEqual(["1"]);
    const byMlflow = await cli("model", "find", "--run-id", mlflowRunIds[1]!);
    expect(byMlflow.json().versions).toEqual([
      expect.objectContaining({ version: "2", runId: RUNS[1].jobRunId }),
    ]);
  });

  it("builds each model's image tagged with its run id, pushed to the registry and written to a layout", async () => {
    for (const r of RUNS) {
      const res = await cli("image", "build", "--run-id", r.jobRunId, "--layout", join(work, "layout"));
      expect(res.stderr, res.stderr).not.toMatch(/error/);
      expect(res.code).toBe(0);
      const out = res.json();
      expect(out.tags[0]).toBe(r.jobRunId);
      expect(out.pushed).toBe(`${repository}@${out.digest}`);
      expect(out).toMatchObject({ runId: r.jobRunId, gitSha: r.sha, model: { name: MODEL } });
    }
    const found = await cli("image", "find", "--run-id", RUNS[0].jobRunId);
    expect(found.json().images).toEqual([
      expect.objectContaining({ runId: RUNS[0].jobRunId, gitSha: RUNS[0].sha }),
    ]);
    const inLayout = await cli("image", "find", "--layout", join(work, "layout"));
    expect(
      inLayout
        .json()
        .images.map((i: { runId: string }) => i.runId)
        .sort(),
    ).toEqual(RUNS.map((r) => r.jobRunId));
  });

  it("building the same image twice gives the same digest", async () => {
    const a = await cli("image", "build", "--run-id", RUNS[0].jobRunId);
    const b = await cli("image", "build", "--run-id", RUNS[0].jobRunId);
    expect(a.json().digest).toBe(b.json().digest);
  });

  it("deploy --verify: the gate refuses the unsigned image and one checked with another key (nothing applied), and lets the signed one through", async () => {
    await keys.write(work);
    const gated = (...args: string[]) =>
      cli("deploy", "--name", "gated", "--run-id", RUNS[0].jobRunId, "--port", "8080", ...args);

    const unsigned = await gated("--verify", "--public-key", "cosign.pub");
    expect(unsigned.code, unsigned.stderr).toBe(3);
    expect(unsigned.json()).toMatchObject({ target: "k8s", gate: "refused", ok: false, name: "gated" });
    expect(unsigned.json().refused.map((c: { id: string; status: string }) => `${c.id} ${c.status}`)).toEqual(
      ["provenance.signature fail"],
    );
    expect(unsigned.stderr).toMatch(
      /^modeltrail deploy: error: the deploy gate refused .*@sha256:[0-9a-f]{64}: provenance\.signature fail: /m,
    );
    expect(unsigned.stderr).toMatch(/^hint: nothing was applied or started\./m);
    const none = await cli("history", "gated");
    expect(none.code).toBe(1);
    expect(none.json().error.code).toBe("NOT_FOUND");

    // run 1's image built again by the CD pipeline's step, its provenance signed: the action with
    // the `signing-key` input (PEM text from a secret), in the same CI run (so the same image)
    const found = (await cli("image", "find", "--run-id", RUNS[0].jobRunId)).json().images[0];
    const build = await runActionBundle(
      {
        command: "image build",
        args: `--run-id ${RUNS[0].jobRunId}`,
        "signing-key": keys.privatePem,
        registry: repository,
        "mlflow-tracking-uri": inject("mlflowUri"),
      },
      {
        env: {
          GITHUB_SHA: env.GITHUB_SHA!,
          GITHUB_RUN_ID: env.GITHUB_RUN_ID!,
          GITHUB_EVENT_NAME: env.GITHUB_EVENT_NAME!,
          GITHUB_REPOSITORY: env.GITHUB_REPOSITORY!,
          GITHUB_SERVER_URL: env.GITHUB_SERVER_URL!,
        },
      },
    );
    expect(build.code, build.stdout + build.stderr).toBe(0);
    expect(build.outputs.digest).toBe(found.digest);
    expect(build.outputs.attestation).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.parse(build.outputs.result!).provenance).toMatchObject({
      signed: true,
      keyType: "ed25519",
      registry: { digest: build.outputs.attestation, cosignTag: `sha256-${found.digest.slice(7)}.att` },
    });
    // the key was masked line by line before anything ran, never printed, and its file is gone
    const keyLines = keys.privatePem.split("\n").filter((l) => l.length >= 4);
    for (const line of keyLines) expect(build.stdout).toContain(`::add-mask::${line}`);
    const shown = (build.stdout + build.stderr + build.outputFile + build.summary)
      .split("\n")
      .filter((l) => !l.startsWith("::add-mask::"))
      .join("\n");
    expect(shown).not.toContain(keyLines[1]!);
    expect(build.runnerTemp).toEqual([]);
    // the registry holds it as a referrer of the image, and verifies with the library
    const registryClient = new RegistryClient({ credentials: anonymousCredentials });
    try {
      const verified = await verifyProvenance(
        registryClient,
        `${repository}@${found.digest}`,
        keys.publicPem,
      );
      expect(verified.statement.predicate.buildDefinition.resolvedDependencies).toContainEqual(
        expect.objectContaining({ name: "source", digest: { gitCommit: RUNS[0].sha } }),
      );
      const { referrers } = await registryClient.listReferrers(`${repository}@${found.digest}`);
      expect(referrers.map((r) => r.digest)).toContain(build.outputs.attestation);
    } finally {
      await registryClient.close();
    }

    const wrongKey = await gated("--verify", "--public-key", "other.pub");
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.json().refused.map((c: { id: string }) => c.id)).toEqual(["provenance.signature"]);
    expect(wrongKey.stderr).toMatch(/provenance\.signature fail: The provenance does not verify/);
    expect((await cli("history", "gated")).code).toBe(1);

    // --dry-run with the gate: the manifests only when it allows the image
    const dry = await gated("--verify", "--public-key", "cosign.pub", "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toMatchObject({ dryRun: true, gate: "passed" });
    expect((await cli("history", "gated")).code).toBe(1);

    const allowed = await gated("--verify", "--public-key", "cosign.pub");
    expect(allowed.code, allowed.stderr).toBe(0);
    const out = allowed.json();
    expect(out).toMatchObject({
      gate: "passed",
      rolledOut: true,
      revision: "1",
      runId: RUNS[0].jobRunId,
      gitSha: RUNS[0].sha,
      verification: { requireProvenance: true, fail: 0 },
    });
    const status = new Map(
      (out.verification.checks as Array<{ id: string; status: string }>).map((c) => [c.id, c.status]),
    );
    expect(status.get("provenance.signature")).toBe("pass");
    expect(status.get("commit.image-model-version")).toBe("pass");
    expect(status.get("commit.run-job")).toBe("pass");
    // the checks about deployments already running the image are not the gate's
    expect(status.has("commit.deployment-image")).toBe(false);
  });

  it("deploys both runs, lists the history, rolls back to the previous one and to a run id", async () => {
    for (const [i, r] of RUNS.entries()) {
      const res = await cli(
        "deploy",
        "--name",
        "churn",
        "--run-id",
        r.jobRunId,
        "--port",
        "8080",
        "--replicas",
        "2",
      );
      expect(res.stderr, res.stderr).not.toMatch(/error/);
      expect(res.code).toBe(0);
      expect(res.json()).toMatchObject({
        rolledOut: true,
        runId: r.jobRunId,
        gitSha: r.sha,
        revision: String(i + 1),
      });
    }
    const hist = await cli("history", "churn");
    expect(
      hist.json().revisions.map((v: { runId: string; current: boolean }) => [v.runId, v.current]),
    ).toEqual([
      [RUNS[0].jobRunId, false],
      [RUNS[1].jobRunId, true],
    ]);
    const back = await cli("rollback", "churn");
    expect(back.code).toBe(0);
    expect(back.json()).toMatchObject({ method: "revision", runId: RUNS[0].jobRunId, gitSha: RUNS[0].sha });
    const forward = await cli("rollback", "churn", "--run-id", RUNS[1].jobRunId);
    expect(forward.json()).toMatchObject({ runId: RUNS[1].jobRunId, gitSha: RUNS[1].sha });
    const now = await cli("history", "churn");
    expect(now.json()).toMatchObject({ runId: RUNS[1].jobRunId, gitSha: RUNS[1].sha });
  });

  it("the GitHub Action reads what serves from the cluster with a kubeconfig input, its key masked", async () => {
    const kubeconfig = await readFile(plane.kubeconfig, "utf8");
    // the test plane writes it as JSON, which is also YAML
    const key = /"?client-key-data"?:\s*"?([A-Za-z0-9+/=]+)/.exec(kubeconfig)?.[1];
    expect(key).toBeDefined();
    const r = await runActionBundle(
      { command: "history", args: "churn", kubeconfig },
      { env: { GITHUB_SHA: RUNS[1].sha, GITHUB_REPOSITORY: "acme/churn", GITHUB_EVENT_NAME: "push" } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({ "exit-code": "0", "run-id": RUNS[1].jobRunId, "git-sha": RUNS[1].sha });
    expect(r.stdout.split("\n")).toContain(`::add-mask::${key}`);
    const rest = r.stdout
      .split("\n")
      .filter((l) => !l.startsWith("::add-mask::"))
      .join("\n");
    expect(rest + r.stderr + r.outputFile + r.summary).not.toContain(key!.slice(8, 40));
    expect(r.runnerTemp).toEqual([]);
  });

  it("trace and verify the serving Deployment through MLflow, the registry and Kubernetes", async () => {
    const hist = (await cli("history", "churn")).json();
    const handle = `deployment/${hist.namespace}/churn`;
    const traced = await cli("trace", handle);
    expect(traced.code, traced.stderr).toBe(0);
    const t = traced.json();
    expect(t).toMatchObject({ lineages: 1, gitSha: RUNS[1].sha, runId: RUNS[1].jobRunId });
    expect(t.notConfigured).toEqual([]);
    const lineage = t.report.lineages[0];
    expect(lineage.artifacts.modelName.value).toBe(MODEL);
    expect(lineage.infrastructure.serving.deployment.value).toBe("churn");
    expect(lineage.infrastructure.training.jobRunId.value).toBe(RUNS[1].jobRunId);
    expect(JSON.stringify(t)).not.toContain(DBX_TOKEN);

    const human = await runBuilt(["trace", handle], { env, cwd: work });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^lineage /m);
    expect(human.stdout).toContain(RUNS[1].sha);
    expect(human.stdout).not.toMatch(/not configured/);

    const verified = await cli("verify", handle);
    const notPassing = (verified.json().checks as Array<{ status: string }>).filter(
      (c) => c.status !== "pass",
    );
    expect(verified.code, JSON.stringify(notPassing, null, 1)).toBe(0);
    expect(verified.json()).toMatchObject({ ok: true, fail: 0 });
    expect(verified.json().pass).toBeGreaterThan(3);
    const byId = new Map(verified.json().checks.map((c: { id: string; status: string }) => [c.id, c.status]));
    expect(byId.get("commit.run-job")).toBe("pass");
    // the image has no provenance attestation, so its signature cannot be checked: --strict fails on that
    expect(byId.get("provenance.signature")).toBe("unknown");
    const strict = await cli("verify", handle, "--strict");
    expect(strict.code).toBe(3);
    expect(strict.json()).toMatchObject({ ok: false, strict: true, fail: 0 });
  });

  it("verify exits 3 when a link is broken (the model version's commit rewritten), naming the check", async () => {
    const client = await MlflowClient.fromEnv({ trackingUri: inject("mlflowUri") });
    try {
      await client.modelVersions.setTag(MODEL, "2", "GIT_SHA", "3333333333333333333333333333333333333333");
    } finally {
      await client.close();
    }
    const hist = (await cli("history", "churn")).json();
    const res = await cli("verify", `deployment/${hist.namespace}/churn`);
    expect(res.code).toBe(3);
    const out = res.json();
    expect(out.ok).toBe(false);
    expect(out.fail).toBeGreaterThan(0);
    const failed = out.checks.filter((c: { status: string }) => c.status === "fail");
    expect(JSON.stringify(failed)).toContain("3333333333333333333333333333333333333333");
    expect(res.stderr).toMatch(/^modeltrail verify: error: \d+ checks? failed: commit\./m);
    const human = await runBuilt(["verify", `deployment/${hist.namespace}/churn`, "--html", "verify.html"], {
      env,
      cwd: work,
    });
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/^FAIL\s+commit\./m);
    expect(human.stdout).toMatch(/NOT verified/);
    // the trace page is written even though verify fails: the broken link in red
    expect(human.stdout).toContain(`trace page: ${join(work, "verify.html")}`);
    const page = await readFile(join(work, "verify.html"), "utf8");
    expect(page).toMatch(/<article class="[^"]*check-fail[^"]*"[^>]*data-kind="model-version"/);
    expect(page).toMatch(/<g class="link"[^>]*data-check="fail">/);
    expect(page).toContain("3333333333333333333333333333333333333333");
    expect(page).not.toContain(DBX_TOKEN);

    // through the GitHub Action: exit-code 3 in the outputs, the step fails, the summary says why
    const action = await runActionBundle(
      {
        command: "verify",
        args: `deployment/${hist.namespace}/churn`,
        kubeconfig: await readFile(plane.kubeconfig, "utf8"),
        "mlflow-tracking-uri": inject("mlflowUri"),
        registry: repository,
      },
      { env: { GITHUB_SHA: RUNS[1].sha, GITHUB_REPOSITORY: "acme/churn", GITHUB_EVENT_NAME: "push" } },
    );
    expect(action.code).toBe(1);
    expect(action.outputs).toMatchObject({ "exit-code": "3", ok: "false" });
    expect(Number(action.outputs.fail)).toBeGreaterThan(0);
    expect(action.summary).toMatch(/^### modeltrail verify: failed: verify found failing checks \(exit 3\)/);
    expect(action.stdout).toMatch(/^::error title=modeltrail verify::\d+ checks? failed: commit\./m);
  });

  it("the gate refuses an image whose model version names another commit; the action's verify and public-key inputs", async () => {
    // model version 2's GIT_SHA was rewritten above: run 2's image no longer agrees with it
    const r = await cli(
      "deploy",
      "--name",
      "gated",
      "--run-id",
      RUNS[1].jobRunId,
      "--port",
      "8080",
      "--verify",
      "--no-require-provenance",
    );
    expect(r.code).toBe(3);
    const refused = r.json().refused as Array<{ id: string; status: string }>;
    expect(refused.map((c) => `${c.id} ${c.status}`)).toContain("commit.image-model-version fail");
    expect(r.stderr).toMatch(/commit\.image-model-version fail: .*3333333333333333333333333333333333333333/);
    // run 1 still serves as `gated`
    expect((await cli("history", "gated")).json()).toMatchObject({ runId: RUNS[0].jobRunId, revision: 1 });

    const action = await runActionBundle(
      {
        command: "deploy",
        args: `--name gated --run-id ${RUNS[1].jobRunId} --port 8080`,
        verify: "true",
        "public-key": keys.publicPem,
        kubeconfig: await readFile(plane.kubeconfig, "utf8"),
        "mlflow-tracking-uri": inject("mlflowUri"),
        registry: repository,
      },
      { env: { GITHUB_SHA: RUNS[1].sha, GITHUB_REPOSITORY: "acme/churn", GITHUB_EVENT_NAME: "push" } },
    );
    expect(action.code).toBe(1);
    expect(action.outputs).toMatchObject({ "exit-code": "3", gate: "refused", ok: "false" });
    expect(action.stdout).toMatch(/^::error title=modeltrail deploy::the deploy gate refused /m);
    expect(action.summary).toMatch(
      /^### modeltrail deploy: failed: the deploy gate refused the image \(exit 3\)/,
    );
    expect(action.summary).toMatch(
      /^\*\*Deploy gate:\*\* refused .* \(provenance required\); nothing was applied or started/m,
    );
    expect(action.summary).toMatch(/^\| provenance\.signature \| \*\*fail\*\* \(refused\) \|/m);
    expect(action.summary).toMatch(/^\| commit\.image-model-version \| \*\*fail\*\* \(refused\) \|/m);
    expect(action.runnerTemp).toEqual([]); // the key file written for the command is gone
    expect((await cli("history", "gated")).json()).toMatchObject({ runId: RUNS[0].jobRunId, revision: 1 });

    // the gate passing through the action: run 1's signed image, the key given as a path
    const passed = await runActionBundle(
      {
        command: "deploy",
        args: `--name gated --run-id ${RUNS[0].jobRunId} --port 8080`,
        verify: "true",
        "public-key": join(work, "cosign.pub"),
        kubeconfig: await readFile(plane.kubeconfig, "utf8"),
        registry: repository,
        "mlflow-tracking-uri": inject("mlflowUri"),
      },
      { env: { GITHUB_SHA: RUNS[0].sha, GITHUB_REPOSITORY: "acme/churn", GITHUB_EVENT_NAME: "push" } },
    );
    expect(passed.code, passed.stdout + passed.stderr).toBe(0);
    expect(passed.outputs).toMatchObject({ "exit-code": "0", gate: "passed", "run-id": RUNS[0].jobRunId });
    expect(passed.summary).toMatch(/^\*\*Deploy gate:\*\* passed \(provenance required\)/m);
  });

  it("deploy --dry-run prints the traceable manifests without applying them", async () => {
    const res = await runBuilt(
      ["deploy", "--name", "dry", "--image", `${repository}:${RUNS[0].jobRunId}`, "--dry-run"],
      {
        env,
        cwd: work,
      },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("kind: Deployment");
    expect(res.stdout).toContain("name: GIT_SHA");
    expect(res.stdout).toContain(RUNS[0].sha);
  });

  it("a rollback to a run no image was built for fails with exit 1 and says so", async () => {
    const res = await cli("rollback", "churn", "--run-id", "999999");
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^modeltrail rollback: error: .*999999/m);
  });
});
