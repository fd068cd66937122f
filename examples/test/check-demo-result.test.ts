import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { type DemoResult, emptyResult, GAPS } from "../lib/result.ts";

const run = promisify(execFile);
const CHECKER = join(import.meta.dirname, "..", "..", "scripts", "check-demo-result.mjs");
const dir = mkdtempSync(join(tmpdir(), "demo-result-"));
writeFileSync(
  join(dir, "trace.html"),
  '<!doctype html><html><head><style>svg{width:100%}</style></head><body><svg viewBox="0 0 10 10"><a href="#n1"><rect/></a></svg></body></html>',
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHA = "f5002573e14c7cffe700ad21c017537ca34a7f00";
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** A result in which everything the demo is meant to show was shown. */
function complete(): DemoResult {
  const r = emptyResult({ k8s: true, registry: undefined });
  r.ok = true;
  r.runs = [1, 2].map((n) => ({
    seed: n === 1 ? 42 : 7,
    gitSha: SHA,
    jobId: "1795808101140000",
    jobRunId: `179580810114000${n}`,
    mlflowRunId: `${n}`.repeat(32),
    model: { name: "m", version: String(n) },
    image: {
      tag: `179580810114000${n}`,
      digest: digest(String(n)),
      layoutRef: `oci:x:179580810114000${n}`,
      pushedRef: undefined,
      withApp: true,
      env: { GIT_SHA: SHA, RUN_ID: `179580810114000${n}` },
      provenance: { attestation: digest("a"), where: "layout", verified: true, builder: "b" },
    },
  }));
  const live = (n: number) => ({
    revision: "1",
    gitSha: SHA,
    runId: `179580810114000${n}`,
    imageRef: "x",
    imageDigest: digest(String(n)),
    modelVersion: String(n),
    matches: true,
  });
  r.deploy = { target: "kubernetes", deployments: [live(1), live(2)], rollbacks: [live(1)], final: live(1) };
  r.deploy.local = {
    url: "http://127.0.0.1:8080",
    stateDir: "/x",
    deployments: [live(1), live(2)],
    rollbacks: [live(1), live(2), live(1)],
    final: live(1),
  };
  r.prediction = {
    url: "http://127.0.0.1:8080",
    status: 200,
    headers: { "x-modeltrail-git-sha": SHA, "x-modeltrail-run-id": "1795808101140002" },
    body: { predictions: [1, 0] },
    logLine: { msg: "request", git_sha: SHA, run_id: "1795808101140002" },
  };
  r.serving = { gitSha: SHA, runId: "1795808101140001", source: "response" };
  for (const s of Object.values(r.trace.sections)) {
    s.answered = true;
    s.answer = "yes";
  }
  r.verify = {
    ok: true,
    summary: { pass: 1, fail: 0, unknown: 0 },
    checks: [{ name: "image.deployed-digest", status: "pass", ok: true, lineage: "l1", detail: "same" }],
  };
  r.trace.requests = { total: 12, bySystem: { mlflow: 8, "oci-layout": 0, kubernetes: 4 } };
  r.trace.handle = `log line ${JSON.stringify({ git_sha: SHA, run_id: "1795808101140002" })}`;
  Object.assign(r.trace, { gitSha: SHA, jobRunId: "1795808101140002", imageDigest: digest("2") });
  r.deploymentTrace = {
    ...structuredClone(r.trace),
    handle: "deployment/default/churn-model",
    requests: { total: 7, bySystem: { kubernetes: 4, mlflow: 3 } },
    verify: structuredClone(r.verify),
  };
  r.tracePage = join(dir, "trace.html");
  r.steps = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ n, title: `s${n}`, status: "passed", gaps: [] }));
  return r;
}

async function check(result: unknown, ...args: string[]): Promise<{ code: number; out: string }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof result === "string" ? result : JSON.stringify(result));
  try {
    const { stdout } = await run(process.execPath, [CHECKER, file, ...args]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe("scripts/check-demo-result.mjs", () => {
  it("passes a complete result", async () => {
    const { code, out } = await check(complete());
    expect(out).toContain("0 failed");
    expect(code).toBe(0);
  });

  it("fails on every gap the demo reports, unless it is allowed, and lists it either way", async () => {
    const r = complete();
    r.steps[5] = { n: 6, title: "s6", status: "partial", gaps: [GAPS.predict] };
    r.gaps = [`step 6: ${GAPS.predict}`];
    const failed = await check(r);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain(`FAIL  not done: step 6: ${GAPS.predict}`);
    const allowed = await check(r, "--allow-gap", "no prediction");
    expect(allowed.out).toContain(`GAP   step 6: ${GAPS.predict}`);
    expect(allowed.code).toBe(0);
    // no trace page: a failure whatever is allowed
    const noPage = complete();
    noPage.tracePage = null;
    const none = await check(noPage, "--allow-gap", "renderTraceHtml");
    expect(none.code).toBe(1);
    expect(none.out).toContain("FAIL  the demo wrote a trace page (tracePage is null)");
  });

  it("fails on verify missing, on an unknown check unless it is named with a reason, and on no request count", async () => {
    const missing = complete();
    missing.verify = null;
    expect((await check(missing)).out).toContain("FAIL  verify ran checks (got 0)");

    const r = complete();
    r.verify!.checks.push({
      name: "commit.run-job",
      status: "unknown",
      ok: false,
      lineage: "l1",
      detail: "no job run resolver",
    });
    r.verify!.summary.unknown = 1;
    const failed = await check(r);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain(
      "FAIL  verify: commit.run-job [l1] (no job run resolver): unknown, and not justified",
    );
    const allowed = await check(r, "--allow-unknown", "commit.run-job=the local runner keeps no job run");
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain("allowed: the local runner keeps no job run");
    // naming another check does not excuse this one; a name without a reason is bad usage
    expect((await check(r, "--allow-unknown", "data.digests=x")).code).toBe(1);
    expect((await check(r, "--allow-unknown", "commit.run-job")).code).toBe(2);

    const noCount = complete();
    delete noCount.trace.requests;
    const c = await check(noCount);
    expect(c.code).toBe(1);
    expect(c.out).toContain("FAIL  trace: the request count is reported");
  });

  it("checks that the trace page exists and loads nothing from elsewhere", async () => {
    const gone = complete();
    gone.tracePage = join(dir, "no-such-page.html");
    expect((await check(gone)).out).toMatch(/FAIL {2}the trace page .*no-such-page.html exists \(ENOENT\)/);
    for (const bad of [
      '<script src="https://cdn.example/d3.js"></script>',
      '<link rel="stylesheet" href="//fonts.example/x.css">',
      "<style>body{background:url(https://x.example/a.png)}</style>",
      '<style>@import "https://x.example/a.css";</style>',
    ]) {
      const page = join(dir, `bad-${Math.random().toString(36).slice(2)}.html`);
      writeFileSync(page, `<!doctype html><html><body><svg></svg>${bad}</body></html>`);
      const r = complete();
      r.tracePage = page;
      const out = await check(r);
      expect(out.code, bad).toBe(1);
      expect(out.out).toContain("FAIL  the trace page is self-contained");
    }
  });

  it("fails when what serves after the rollback is not the first run", async () => {
    const r = complete();
    r.serving = { gitSha: SHA, runId: "1795808101140002", source: "response" };
    const { code, out } = await check(r);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL {2}after the rollback the serving process answers with run 1's/);
    const k = complete();
    k.deploy.final = { ...k.deploy.final!, imageDigest: digest("2") };
    expect((await check(k)).out).toMatch(/FAIL {2}after the rollback the Deployment runs run 1/);
  });

  it("fails without the local target, when it serves another run after the rollback, or without a prediction from it", async () => {
    const none = complete();
    delete none.deploy.local;
    expect((await check(none)).out).toContain("FAIL  the local deploy target served the images");
    const other = complete();
    other.deploy.local!.final = { ...other.deploy.local!.final!, runId: "1795808101140002" };
    expect((await check(other)).out).toMatch(/FAIL {2}after the rollback the local target serves run 1/);
    const mismatch = complete();
    mismatch.deploy.local!.rollbacks[1] = { ...mismatch.deploy.local!.rollbacks[1]!, matches: false };
    expect((await check(mismatch)).out).toMatch(/FAIL {2}local target deploy\/rollback 4/);
    const noPrediction = complete();
    noPrediction.prediction = null;
    const out = await check(noPrediction);
    expect(out.code).toBe(1);
    expect(out.out).toMatch(/FAIL {2}step 6's prediction came from the serving process of run 2/);
    const wrongLog = complete();
    wrongLog.prediction!.logLine = { run_id: "1795808101140001", git_sha: SHA };
    expect((await check(wrongLog)).out).toMatch(/FAIL {2}step 6's prediction/);
  });

  it("fails on an unanswered question, a failed verify check, unverified provenance, a failed demo", async () => {
    const r = complete();
    r.trace.sections.data = { answered: false, answer: "" };
    r.verify = {
      ok: false,
      summary: { pass: 0, fail: 1, unknown: 0 },
      checks: [{ name: "data.digests", status: "fail", ok: false, lineage: "l1", detail: "mismatch" }],
    };
    r.runs[1]!.image.provenance.verified = false;
    r.ok = false;
    r.error = "Error: boom";
    const { code, out } = await check(r);
    expect(code).toBe(1);
    for (const line of [
      "FAIL  trace: the data question answered",
      "FAIL  verify: data.digests [l1] (mismatch)",
      "FAIL  verify: ok (0 passed, 1 failed, 0 unknown)",
      "FAIL  run 2: signed provenance verified",
      "FAIL  the demo finished (it failed: Error: boom)",
    ])
      expect(out).toContain(line);
  });

  it("with --k8s, needs step 6's second trace from the Deployment: answered, verified, the same run as the log line's", async () => {
    const none = complete();
    none.deploymentTrace = null;
    expect((await check(none)).out).toContain(
      "FAIL  trace (k8s): step 6 traced the Kubernetes Deployment too (no deploymentTrace)",
    );
    const other = complete();
    other.deploymentTrace!.imageDigest = digest("1");
    other.deploymentTrace!.jobRunId = "1795808101140001";
    const o = await check(other);
    expect(o.code).toBe(1);
    expect(o.out).toMatch(/FAIL {2}trace \(k8s\): the Deployment and the log line name run 2's image digest/);
    expect(o.out).toMatch(/FAIL {2}trace \(k8s\): the Deployment and the log line name run 2's job run id/);
    expect(o.out).toMatch(/ok {4}trace \(k8s\): the Deployment and the log line name run 2's commit/);
    const failing = complete();
    failing.deploymentTrace!.verify = {
      ok: false,
      summary: { pass: 0, fail: 1, unknown: 0 },
      checks: [
        { name: "image.deployed-digest", status: "fail", ok: false, lineage: "l1", detail: "differs" },
      ],
    };
    failing.deploymentTrace!.sections.data = { answered: false, answer: "" };
    const f = await check(failing);
    expect(f.code).toBe(1);
    for (const line of [
      "FAIL  verify (k8s): image.deployed-digest [l1] (differs)",
      "FAIL  verify (k8s): ok (0 passed, 1 failed, 0 unknown)",
      "FAIL  trace (k8s): the data question answered",
    ])
      expect(f.out).toContain(line);
    // the log line's trace keeps its meaning: a trace from the Deployment in its place fails
    const swapped = complete();
    swapped.trace.handle = "deployment/default/churn-model";
    expect((await check(swapped)).out).toMatch(/FAIL {2}trace: step 6 traced the prediction's log line/);
    // without --k8s there is no Deployment to trace
    const local = complete();
    local.options.k8s = false;
    local.deploy.target = "local";
    delete local.deploy.final;
    expect((await check(local)).out).toContain("FAIL  trace (k8s): no Deployment traced without --k8s");
    local.deploymentTrace = null;
    expect((await check(local)).code).toBe(0);
  });

  it("fails on what is not a result, and exits 2 on bad usage", async () => {
    expect((await check("not json")).code).toBe(1);
    expect((await check({ schema: "other" })).out).toContain("FAIL  schema is modeltrail.demo.result/v1");
    const usage = await run(process.execPath, [CHECKER]).catch((e: { code: number }) => e);
    expect((usage as { code: number }).code).toBe(2);
  });
});
