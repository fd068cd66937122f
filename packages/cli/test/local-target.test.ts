/**
 * The local deploy target with real images (built by buildModelImage into an OCI layout, unpacked,
 * run as real processes on loopback ports): deploy, what answers, history, rollback by run id and
 * to the previous revision, the policy gate, a process that exits or never becomes ready, and that
 * stop leaves no process behind. The app is a small Node server (fixtures/node-serving), so this
 * tier needs no Python; local-target.int.test.ts runs the real Python serving app.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext, type DeployPolicy, DeployRefusedError, trace } from "@modeltrail/core";
import { buildModelImage } from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LocalDeployTarget,
  layoutRunImageResolver,
  localTraceResolver,
  ServingExitedError,
  ServingNotReadyError,
} from "../src/index.js";
import { runCaptured } from "./helpers/run-cli-capture.js";

const APP = new URL("./fixtures/node-serving/", import.meta.url).pathname;
const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
const RUN_A = "1795788642450001";
const RUN_B = "1795788642450002";
const MLFLOW_A = "0e65f4e6ffd84bbcaca05398f1d5dff3";

let work: string;
let layout: string;
let target: LocalDeployTarget;
const images: Record<string, string> = {};

async function buildImage(tag: string, gitSha: string, runId: string, model: string, mlflowRunId?: string) {
  const modelDir = join(work, `model-${tag}`);
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, "model.txt"), `${model}\n`);
  const ctx = createTraceContext({
    code: { gitSha },
    job: { platform: "databricks", jobId: "1795788642450000", runId },
    model: { name: "churn", version: tag, ...(mlflowRunId ? { mlflowRunId } : {}) },
  });
  const built = await buildModelImage({
    modelDir,
    appDir: APP,
    // The image runs `python server.mjs`; the stand-in interpreter is Node here (see the target's
    // interpreters below), so that this tier needs no Python. The int test runs the Python app.
    cmd: ["python", "server.mjs"],
    workingDir: "/opt/app",
    env: { MODEL_DIR: "/opt/model" },
    ctx,
    layout,
  });
  return built.digest;
}

/** What the fixture app answers. */
interface Answer {
  model: string;
  trace: { git_sha: string; run_id: string; deployment_name?: string; deployment_revision?: string };
  cwd: string;
  home: string;
  leaked: string | null;
}

async function get(url: string) {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, headers: r.headers, body: (await r.json()) as Answer };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-local-target-"));
  layout = join(work, "images");
  images.a = await buildImage("1", SHA_A, RUN_A, "model A", MLFLOW_A);
  images.b = await buildImage("2", SHA_B, RUN_B, "model B");
  target = new LocalDeployTarget({
    stateDir: join(work, "state"),
    interpreters: { python: process.execPath },
  });
}, 60_000);

afterAll(async () => {
  for (const name of (await target?.list()) ?? []) await target.remove(name, { stopGraceMs: 2_000 });
  await rm(work, { recursive: true, force: true });
});

describe("LocalDeployTarget", () => {
  it("deploys an image from a layout and what answers carries its trace", async () => {
    const result = await target.deploy(`oci:${layout}:${RUN_A}`, { name: "churn" });
    expect(result.method).toBe("deployed");
    expect(result.revision.revision).toBe(1);
    expect(result.revision.image.digest).toBe(images.a);
    expect(result.context.code?.gitSha).toBe(SHA_A);
    expect(result.context.deployment).toMatchObject({
      platform: "local",
      namespace: "local",
      name: "churn",
      revision: "1",
    });
    const r = await get(`${result.url}/predict`);
    expect(r.headers.get("x-modeltrail-git-sha")).toBe(SHA_A);
    expect(r.headers.get("x-modeltrail-run-id")).toBe(RUN_A);
    expect(r.body.model).toBe("model A");
    expect(r.body.trace.deployment_name).toBe("churn");
    // WorkingDir and MODEL_DIR point into the unpacked image
    expect(r.body.cwd).toBe(join(result.revision.rootfs, "opt", "app"));
    // stdout goes to the log file through the kernel: wait (bounded) for the request's line
    await expect
      .poll(() => readFileSync(result.revision.logFile, "utf8"), { timeout: 10_000 })
      .toContain(`"git_sha":"${SHA_A}"`);
  });

  it("does not hand the caller's environment to the process", async () => {
    process.env.HOST_SECRET = "do-not-pass-me";
    try {
      const status = await target.status("churn");
      expect((await get(`${status.url}/predict`)).body.leaked).toBeNull();
    } finally {
      delete process.env.HOST_SECRET;
    }
  });

  it("deploying the same image again changes nothing", async () => {
    const again = await target.deploy(`oci:${layout}@${images.a}`, { name: "churn" });
    expect(again.method).toBe("unchanged");
    expect((await target.history("churn")).length).toBe(1);
  });

  it("deploys a second image on the same port, stops the first, keeps both revisions", async () => {
    const first = await target.status("churn");
    const result = await target.deploy(`oci:${layout}:${RUN_B}`, { name: "churn" });
    expect(result.revision.revision).toBe(2);
    expect(result.url).toBe(first.url);
    expect(alive(first.current!.pid!)).toBe(false);
    expect((await get(`${result.url}/predict`)).body.trace.run_id).toBe(RUN_B);
    const history = await target.history("churn");
    expect(history.map((h) => [h.revision, h.current, h.runId?.runId, h.running])).toEqual([
      [1, false, RUN_A, false],
      [2, true, RUN_B, true],
    ]);
  });

  it("rolls back to the previous revision, and then by run id of either kind", async () => {
    const undo = await target.rollback("churn");
    expect(undo.method).toBe("revision");
    expect(undo.to.revision).toBe(3); // the restored revision becomes the newest, as in Kubernetes
    // and the process is told its revision number (MODELTRAIL_DEPLOYMENT_REVISION), so its log lines say it
    expect((await get(`${undo.url}/predict`)).body.trace).toMatchObject({
      git_sha: SHA_A,
      run_id: RUN_A,
      deployment_revision: "3",
    });

    const forward = await target.rollback("churn", { toRunId: RUN_B });
    expect(forward.method).toBe("revision");
    expect((await get(`${forward.url}/predict`)).body.trace.run_id).toBe(RUN_B);

    const back = await target.rollback("churn", { toRunId: MLFLOW_A }); // the MLflow run id of run A
    expect(back.context.job?.runId).toBe(RUN_A);
    const r = await get(`${back.url}/predict`);
    expect(r.headers.get("x-modeltrail-git-sha")).toBe(SHA_A);
    expect(r.body.model).toBe("model A");

    const none = await target.rollback("churn", { toRunId: RUN_A });
    expect(none.method).toBe("none");
    expect((await target.traceOf("churn"))?.job?.runId).toBe(RUN_A);
  });

  it("a run no revision ran is found with a resolver, else refused with the retained runs", async () => {
    const runC = "1795788642450003";
    await buildImage("3", SHA_B, runC, "model C");
    await expect(target.rollback("churn", { toRunId: runC })).rejects.toThrow(
      /no image resolver was given.*1795788642450001/s,
    );
    const viaLayout = await target.rollback("churn", {
      toRunId: runC,
      resolver: layoutRunImageResolver(layout),
    });
    expect(viaLayout.method).toBe("resolver");
    expect((await get(`${viaLayout.url}/predict`)).body.model).toBe("model C");
    await expect(
      target.rollback("churn", { toRunId: "999", resolver: layoutRunImageResolver(layout) }),
    ).rejects.toThrow(/found no image/);
    await target.rollback("churn", { toRunId: RUN_A });
  });

  it("the trace resolver answers the serving side for deployment/local/churn", async () => {
    const report = await trace(
      { kind: "deployment", namespace: "local", name: "churn" },
      { resolvers: [localTraceResolver(target)] },
    );
    const json = JSON.stringify(report);
    expect(json).toContain(SHA_A);
    expect(json).toContain(images.a);
    const resolver = localTraceResolver(target);
    const found = await resolver.findDeployments!(
      { jobRunId: RUN_A },
      { conventions: (await import("@modeltrail/core")).DEFAULT_CONVENTIONS },
    );
    expect(found.map((d) => d.name)).toEqual(["churn"]);
    expect(found[0]?.pods[0]?.phase).toBe("Running");
    expect(found[0]?.nodes[0]?.architecture).toBe(process.arch);
  });

  it("a refused image starts nothing and unpacks nothing", async () => {
    let asked = "";
    const policy: DeployPolicy = {
      settings: {
        requireProvenance: true,
        requireModelVersionCommit: true,
        requireVerify: true,
        strict: false,
        artifacts: "digests",
      },
      async enforce(image) {
        asked = image;
        throw new DeployRefusedError(image, [
          {
            id: "provenance.signature",
            title: "t",
            lineage: "-",
            status: "fail",
            message: "no attestation",
            values: [],
          },
        ]);
      },
    };
    const before = await target.status("churn");
    await expect(target.deploy(`oci:${layout}:${RUN_B}`, { name: "refused", policy })).rejects.toBeInstanceOf(
      DeployRefusedError,
    );
    expect(asked).toBe(`oci:${layout}:${RUN_B}`);
    expect(existsSync(join(target.stateDir, "deployments", "refused"))).toBe(false);
    expect((await target.status("churn")).current?.pid).toBe(before.current?.pid);
  });

  it("a process that exits fails the deploy with its log tail, secrets redacted, and the old revision serves again", async () => {
    const secret = "s3cr3t-token-value-1234";
    const err = await target
      .deploy(`oci:${layout}:${RUN_B}`, { name: "churn", env: { MODE: "crash", API_TOKEN: secret } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServingExitedError);
    const e = err as ServingExitedError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("connecting with Authorization: Bearer [REDACTED]");
    expect(e.message).not.toContain(secret);
    expect(JSON.stringify(e)).not.toContain(secret);
    expect(e.logTail.length).toBeLessThanOrEqual(4096 + 1);
    const status = await target.status("churn");
    expect(status.running && status.ready).toBe(true);
    expect(status.current?.runId?.runId).toBe(RUN_A);
    expect((await get(`${status.url}/predict`)).body.model).toBe("model A");
    const failed = (await target.history("churn")).find((r) => r.failure);
    expect(failed?.current).toBe(false);
  });

  it("a process that never becomes ready is stopped after the timeout", async () => {
    const err = await target
      .deploy(`oci:${layout}:${RUN_B}`, {
        name: "slow",
        env: { MODE: "never-ready" },
        readinessTimeoutMs: 1_500,
        stopGraceMs: 2_000,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServingNotReadyError);
    expect((err as ServingNotReadyError).logTail).toContain("listening on 127.0.0.1");
    const status = await target.status("slow");
    expect(status.running).toBe(false);
    const pid = Number(/pid (\d+)/.exec((err as ServingNotReadyError).logTail)?.[1]);
    expect(alive(pid)).toBe(false);
  });

  it("stop kills the whole process group: no orphan is left", async () => {
    const pidFile = join(work, "grandchild.pid");
    const d = await target.deploy(`oci:${layout}:${RUN_A}`, {
      name: "family",
      env: { MODE: "grandchild", GRANDCHILD_PID_FILE: pidFile },
    });
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(alive(d.revision.pid!)).toBe(true);
    expect(alive(grandchild)).toBe(true);
    expect(await target.stop("family", { stopGraceMs: 2_000 })).toBe(d.revision.revision);
    expect(alive(d.revision.pid!)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    await target.remove("family");
    expect(await readdir(join(target.stateDir, "deployments"))).not.toContain("family");
  });

  it("refuses bad names, trace env set by hand, and unknown deployments", async () => {
    await expect(target.deploy(`oci:${layout}:${RUN_A}`, { name: "../x" })).rejects.toThrow(
      /cannot be a deployment name/,
    );
    await expect(
      target.deploy(`oci:${layout}:${RUN_A}`, { name: "x", env: { GIT_SHA: SHA_B } }),
    ).rejects.toThrow(/Invalid env/);
    await expect(target.deploy(`oci:${layout}:${RUN_A}`, { name: "x", env: { PORT: "1" } })).rejects.toThrow(
      /Invalid env/,
    );
    await expect(target.history("nope")).rejects.toThrow(/no local deployment "nope"/);
  });
});

describe("modeltrail deploy/history/rollback --target local", () => {
  const env = () => ({ MODELTRAIL_HOME: join(work, "home") });
  it("deploys, lists and rolls back through the CLI", async () => {
    const cli = (args: string[]) => runCaptured([...args, "--json"], { env: env(), cwd: work });
    // --python names the interpreter that runs the image's `python` (Node here, as above)
    const python = ["--python", process.execPath];
    const dep1 = await cli([
      "deploy",
      "--target",
      "local",
      "--name",
      "api",
      "--image",
      `oci:${layout}:${RUN_A}`,
      ...python,
    ]);
    expect(dep1.code, dep1.stderr).toBe(0);
    expect(dep1.json()).toMatchObject({ target: "local", revision: "1", runId: RUN_A, gitSha: SHA_A });
    const dep2 = await cli([
      "deploy",
      "--target",
      "local",
      "--name",
      "api",
      "--run-id",
      RUN_B,
      "--layout",
      layout,
      ...python,
    ]);
    expect(dep2.code, dep2.stderr).toBe(0);
    const hist = await cli(["history", "api", "--target", "local"]);
    expect(hist.json().revisions.map((r: { runId: string }) => r.runId)).toEqual([RUN_A, RUN_B]);
    const back = await cli(["rollback", "api", "--target", "local", "--run-id", RUN_A]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json()).toMatchObject({ method: "revision", runId: RUN_A, gitSha: SHA_A });
    expect((await get(`${back.json().url}/predict`)).body.trace.run_id).toBe(RUN_A);
    const clean = await runCaptured(["clean", "--json"], { env: env(), cwd: work });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.json().stopped).toEqual(["api"]);
  });
});
