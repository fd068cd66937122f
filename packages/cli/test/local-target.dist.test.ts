/**
 * The local deploy target as users get it: the built `modeltrail` (dist/bin.js, plain Node) deploys
 * two images from an OCI layout as local processes, lists and rolls them back, and `clean` stops them;
 * the built library (ESM and CommonJS) reads the same state.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTraceContext } from "@modeltrail/core";
import { buildModelImage } from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBuilt } from "./helpers/run-built-cli.js";

const APP = fileURLToPath(new URL("./fixtures/node-serving/", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const RUNS = [
  { runId: "1795788642450011", gitSha: "c".repeat(40), model: "first" },
  { runId: "1795788642450012", gitSha: "d".repeat(40), model: "second" },
];

let work: string;
let layout: string;
const env = () => ({ MODELTRAIL_HOME: join(work, "home") });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-local-dist-"));
  layout = join(work, "images");
  for (const r of RUNS) {
    const modelDir = join(work, `model-${r.runId}`);
    await mkdir(modelDir, { recursive: true });
    await writeFile(join(modelDir, "model.txt"), r.model);
    await buildModelImage({
      modelDir,
      appDir: APP,
      cmd: ["python", "server.mjs"], // run by the interpreter given with --python: Node, in this tier
      workingDir: "/opt/app",
      env: { MODEL_DIR: "/opt/model" },
      ctx: createTraceContext({ code: { gitSha: r.gitSha }, job: { runId: r.runId, jobId: "1" } }),
      layout,
    });
  }
}, 60_000);

afterAll(async () => {
  await runBuilt(["clean"], { env: env(), cwd: work });
  await rm(work, { recursive: true, force: true });
});

describe("the built modeltrail with --target local", () => {
  it("deploys, rolls back by run id and to the previous revision; clean stops the process", async () => {
    const cli = async (args: string[]) => {
      const r = await runBuilt([...args, "--json"], { env: env(), cwd: work, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      return r.json();
    };
    const py = ["--python", process.execPath];
    for (const r of RUNS)
      await cli(["deploy", "--target", "local", "--name", "api", "--image", `oci:images:${r.runId}`, ...py]);
    const back = await cli(["rollback", "api", "--target", "local"]);
    expect(back).toMatchObject({ method: "revision", runId: RUNS[0]!.runId, gitSha: RUNS[0]!.gitSha });
    const answer = await fetch(`${back.url}/predict`, { signal: AbortSignal.timeout(10_000) });
    expect(answer.headers.get("x-modeltrail-run-id")).toBe(RUNS[0]!.runId);
    expect(((await answer.json()) as { model: string }).model).toBe("first");
    const forward = await cli(["rollback", "api", "--target", "local", "--run-id", RUNS[1]!.runId]);
    expect(forward.gitSha).toBe(RUNS[1]!.gitSha);

    // the built library, ESM and CommonJS, reads the state the CLI wrote
    const stateDir = join(work, "home", "local-target");
    const esm = `const m = await import(${JSON.stringify(`${DIST}index.js`)}); const t = new m.LocalDeployTarget({ stateDir: ${JSON.stringify(stateDir)} }); const s = await t.status("api"); console.log(JSON.stringify({ run: s.current.runId.runId, pid: s.current.pid, ready: s.ready }));`;
    const cjs = `const m = require(${JSON.stringify(`${DIST}index.cjs`)}); new m.LocalDeployTarget({ stateDir: ${JSON.stringify(stateDir)} }).history("api").then((h) => console.log(JSON.stringify(h.map((r) => r.runId.runId))));`;
    const run = promisify(execFile);
    const fromEsm = JSON.parse((await run(process.execPath, ["--input-type=module", "-e", esm])).stdout);
    expect(fromEsm).toMatchObject({ run: RUNS[1]!.runId, ready: true });
    const fromCjs = JSON.parse((await run(process.execPath, ["-e", cjs])).stdout);
    // restored revisions are renumbered, as in Kubernetes: revision 3 (run 1), revision 4 (run 2)
    expect(fromCjs).toEqual([RUNS[0]!.runId, RUNS[1]!.runId]);

    const clean = await cli(["clean"]);
    expect(clean.stopped).toEqual(["api"]);
    expect(alive(fromEsm.pid)).toBe(false);
  }, 180_000);
});
