import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Local run records as users get them: the built package (ESM and CommonJS) in plain Node. One
 * process runs a job with `records: { dir }` and exits; a second process traces the job run id from
 * the record file with `localJobTraceResolver({ dir })` and the built core's `trace()`.
 */

const PKG = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/local/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "mt-local-trace-dist-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const RUN = `
const { LocalJobRunner } = DBX;
const runner = new LocalJobRunner({ cwd: FIXTURES, records: { dir: DIR } });
runner.run({ name: "dist", parameters: [{ name: "git_sha", default: "ab".repeat(20) }],
  tasks: [{ task_key: "t", spark_python_task: { python_file: "task.mjs", parameters: ["{{job.run_id}}"] } }] })
  .then((run) => console.log(JSON.stringify({ runId: run.run_id, state: run.state.result_state })));
`;

const TRACE = `
const { localJobTraceResolver } = DBX;
const { trace } = CORE;
trace(RUN_ID, { resolvers: [localJobTraceResolver({ dir: DIR })] }).then((r) => {
  const l = r.lineages[0];
  console.log(JSON.stringify({
    platform: l.infrastructure.training.platform.value,
    system: l.infrastructure.training.platform.source.system,
    cluster: l.infrastructure.training.clusterKind.value,
    runtime: l.environment.training.runtimeVersion.value,
    gitSha: l.code.gitSha.value,
    param: l.environment.training.parameters["t[0]"].value,
  }));
});
`;

const run = promisify(execFile);

describe("local run records from the built package", () => {
  for (const format of ["ESM", "CommonJS"] as const) {
    it(`one process records a run, another traces it (${format})`, async () => {
      const file = format === "ESM" ? "index.js" : "index.cjs";
      expect(existsSync(join(PKG, "dist", file))).toBe(true);
      const dir = join(scratch, format);
      const load = (spec: string) =>
        format === "ESM" ? `(await import(${JSON.stringify(spec)}))` : `require(${JSON.stringify(spec)})`;
      const node = async (code: string) => {
        const body = code
          .replace("DBX", load(join(PKG, "dist", file)))
          .replace("CORE", load("@modeltrail/core"))
          .replaceAll("FIXTURES", JSON.stringify(FIXTURES))
          .replaceAll("DIR", JSON.stringify(dir));
        const args = [format === "ESM" ? "--input-type=module" : "--input-type=commonjs", "-e", body];
        const { stdout } = await run(process.execPath, args, { cwd: PKG, timeout: 60_000 });
        return JSON.parse(stdout) as Record<string, unknown>;
      };
      const first = await node(RUN);
      expect(first.state).toBe("SUCCESS");
      const second = await node(TRACE.replace("RUN_ID", JSON.stringify(String(first.runId))));
      expect(second).toEqual({
        platform: "local",
        system: "local-job",
        cluster: "local",
        runtime: `Node.js ${process.version.slice(1)}`,
        gitSha: "ab".repeat(20),
        param: String(first.runId),
      });
    });
  }
});
