import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, hostname, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ConfigError,
  DEFAULT_CONVENTIONS,
  type TraceResolver,
  trace,
  ValidationError,
  verify,
} from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LocalJobRunner,
  localJobTraceResolver,
  localRunRecordSchema,
  readLocalRunRecord,
  toLocalJobRun,
} from "../src/index.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/local/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "mt-local-trace-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SHA = "0123456789abcdef0123456789abcdef01234567";
const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const SECRET = "sk-local-runner-secret-7f6e5d4c3b2a";
const REMOTE_TOKEN = "ghp_remoteTokenInOriginUrl123456";
const lookup = { conventions: DEFAULT_CONVENTIONS };

/** A throwaway git checkout holding the fixtures, with an origin URL that carries a token. */
function checkout(): { dir: string; head: string } {
  const dir = join(scratch, "repo");
  mkdirSync(dir, { recursive: true });
  for (const f of ["echo_args.py", "task.mjs"]) writeFileSync(join(dir, f), readFileSync(join(FIXTURES, f)));
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    }).trim();
  git("init", "-q", "-b", "train-branch");
  git("add", ".");
  git("commit", "-q", "-m", "fixtures");
  git("remote", "add", "origin", `https://ci-bot:${REMOTE_TOKEN}@git.example.com/acme/churn.git`);
  return { dir, head: git("rev-parse", "HEAD") };
}

const settings = {
  name: "train-local",
  parameters: [
    { name: "git_sha", default: SHA },
    { name: "seed", default: "42" },
  ],
  tasks: [
    {
      task_key: "train",
      spark_python_task: {
        python_file: "echo_args.py",
        parameters: ["--seed={{job.parameters.seed}}", "--run={{job.run_id}}"],
      },
    },
    {
      task_key: "report",
      depends_on: [{ task_key: "train" }],
      spark_python_task: { python_file: "task.mjs" },
    },
  ],
};

const python = (code: string) => execFileSync("python3", ["-c", code], { encoding: "utf8" }).trim();

describe("LocalJobRunner run records", () => {
  let repo: { dir: string; head: string };
  let dir: string;
  let runId: number;
  beforeAll(async () => {
    repo = checkout();
    dir = join(scratch, "records");
    const runner = new LocalJobRunner({
      cwd: repo.dir,
      records: { dir },
      env: { MODELTRAIL_TEST_API_TOKEN: SECRET, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const run = await runner.run(settings, { jobParameters: { seed: "7" } });
    expect(run.state?.result_state).toBe("SUCCESS");
    runId = run.run_id;
  });

  it("writes <dir>/<run id>.json by the time run() resolves, and only that file (no temp files left)", () => {
    expect(readdirSync(dir)).toEqual([`${runId}.json`]);
    const record = localRunRecordSchema.parse(JSON.parse(readFileSync(join(dir, `${runId}.json`), "utf8")));
    expect(record.run.run_id).toBe(runId);
    expect(record.run.state?.result_state).toBe("SUCCESS");
  });

  it("records the interpreter's version and packages, the Node version, the host and the checkout", async () => {
    const record = await readLocalRunRecord(dir, String(runId));
    const env = record?.environment;
    expect(env?.python?.version).toBe(python("import platform; print(platform.python_version())"));
    expect(env?.python?.implementation).toBe(
      python("import platform; print(platform.python_implementation())"),
    );
    const pip = JSON.parse(
      python(
        "import json\nfrom importlib import metadata\nprint(json.dumps(sorted({d.metadata['Name'] for d in metadata.distributions() if d.metadata['Name']})))",
      ),
    ) as string[];
    expect(env?.python?.packages.map((p) => p.name).sort()).toEqual([...new Set(pip)].sort());
    expect(env?.node).toEqual({ command: process.execPath, version: process.version });
    expect(env?.host).toMatchObject({
      hostname: hostname(),
      arch: arch(),
      cpus: cpus().length,
      memoryBytes: totalmem(),
    });
    expect(env?.checkout).toEqual({
      directory: repo.dir,
      commit: repo.head,
      branch: "train-branch",
      dirty: false,
      remoteUrl: "https://ci-bot:[REDACTED]@git.example.com/acme/churn.git",
    });
    expect(env?.problems).toEqual([]);
  });

  it("never writes the tasks' env or a credential of the origin URL", () => {
    const text = readFileSync(join(dir, `${runId}.json`), "utf8");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(REMOTE_TOKEN);
    expect(text).not.toContain("MODELTRAIL_TEST_API_TOKEN");
  });

  it("trace() from the job run id answers training infrastructure, environment and code from the record", async () => {
    const report = await trace(String(runId), { resolvers: [localJobTraceResolver({ dir })] });
    const lineage = report.lineages[0];
    expect(report.lineages).toHaveLength(1);
    const infra = lineage?.infrastructure.training;
    expect(infra?.platform?.value).toBe("local");
    expect(infra?.platform?.source.system).toBe("local-job");
    expect(infra?.jobRunId?.value).toBe(String(runId));
    expect(infra?.clusterKind?.value).toBe("local");
    expect(infra?.clusterId?.value).toBe(hostname());
    expect(infra?.state?.value).toBe("SUCCESS");
    expect(infra?.details?.["host.arch"]?.value).toBe(arch());
    expect(infra?.details?.["host.cpus"]?.value).toBe(cpus().length);
    expect(infra?.details?.["host.memoryBytes"]?.value).toBe(totalmem());
    const env = lineage?.environment.training;
    const version = python(
      "import platform; print(platform.python_implementation(), platform.python_version())",
    );
    expect(env?.runtimeVersion?.value).toBe(version);
    expect(env?.runtimeVersion?.source.url).toBe(`file://${join(dir, `${runId}.json`)}`);
    expect(env?.runtime?.python?.value).toBe(version.split(" ")[1]);
    expect(env?.runtime?.node?.value).toBe(process.version.slice(1));
    expect(env?.parameters?.git_sha?.value).toBe(SHA);
    expect(env?.parameters?.seed?.value).toBe("7");
    expect(env?.parameters?.["train[0]"]?.value).toBe("--seed=7");
    expect(env?.parameters?.["train[1]"]?.value).toBe(`--run=${runId}`);
    expect(env?.libraries?.length ?? 0).toBeGreaterThan(0);
    expect(env?.libraries?.every((l) => /^pypi:[^=]+==/.test(String(l.value)))).toBe(true);
    // the commit is the job parameter, as on Databricks; the checkout is reported too
    expect(lineage?.code.gitSha?.value).toBe(SHA);
    expect(lineage?.code.gitSha?.source.field).toBe("job parameter git_sha");
    expect(lineage?.code.branch?.value).toBe("train-branch");
    expect(lineage?.code.dirty?.value).toBe(false);
    expect(report.requests.total).toBe(0);
    expect(JSON.stringify(report)).not.toContain(REMOTE_TOKEN);
  });

  it("a record whose id is not a run id, or that does not exist, is not found; path tricks read nothing", async () => {
    const r = localJobTraceResolver({ dir });
    expect(await r.getJobRun?.("999", lookup)).toBeUndefined();
    expect(await r.getJobRun?.("../records/x", lookup)).toBeUndefined();
    expect(await r.getJobRun?.(`${runId}.json`, lookup)).toBeUndefined();
    const report = await trace("1234567890123456", { resolvers: [r] });
    expect(report.unreachable).toContainEqual(
      expect.objectContaining({
        system: "local-job",
        reason: "not-found",
        lookup: "job run 1234567890123456",
      }),
    );
  });
});

describe("localJobTraceResolver against a runner of this process", () => {
  it("reads the runner's runs in memory (records: true), no files written", async () => {
    const runner = new LocalJobRunner({ cwd: FIXTURES, records: true });
    const run = await runner.run({
      name: "mem",
      tasks: [{ task_key: "t", spark_python_task: { python_file: "task.mjs" } }],
    });
    const record = await runner.record(run.run_id);
    expect(record.environment.node?.version).toBe(process.version);
    expect(record.environment.python).toBeUndefined(); // no Python task: no interpreter probed
    const job = await localJobTraceResolver({ runner }).getJobRun?.(String(run.run_id), lookup);
    expect(job).toMatchObject({ platform: "local", runId: String(run.run_id), state: "SUCCESS" });
    expect(job?.tasks[0]?.cluster).toMatchObject({
      kind: "local",
      runtimeVersion: `Node.js ${process.version.slice(1)}`,
    });
    expect(job?.url).toBeUndefined();
    expect(job?.workspaceUrl).toBeUndefined();
  });

  it("a runner without records still answers from its runs, without the environment", async () => {
    const runner = new LocalJobRunner({ cwd: FIXTURES });
    const run = await runner.run({
      name: "bare",
      tasks: [{ task_key: "t", spark_python_task: { python_file: "task.mjs" } }],
    });
    await expect(runner.record(run.run_id)).rejects.toBeInstanceOf(ConfigError);
    const job = await localJobTraceResolver({ runner }).getJobRun?.(String(run.run_id), lookup);
    expect(job).toMatchObject({ platform: "local", runId: String(run.run_id) });
    expect(job?.tasks[0]?.cluster).toEqual({ kind: "local" });
  });

  it("verify() compares the MLflow run's commit with the local job run's git_sha parameter (commit.run-job)", async () => {
    const runner = new LocalJobRunner({ cwd: FIXTURES, records: true });
    const run = await runner.run({
      name: "v",
      parameters: [{ name: "git_sha", default: SHA }],
      tasks: [{ task_key: "t", spark_python_task: { python_file: "task.mjs" } }],
    });
    const jobRunId = String(run.run_id);
    /** A stand-in MLflow resolver: one MLflow run logged by this job run, with the given commit. */
    const mlflow = (commit: string): TraceResolver => ({
      system: "mlflow",
      async findMlflowRuns(q) {
        if (q.jobRunId !== jobRunId) return [];
        return [
          {
            runId: "a".repeat(32),
            tags: { GIT_SHA: commit, DBR_RUN_ID: jobRunId },
            params: {},
            metrics: {},
            datasets: [],
          },
        ];
      },
      async getMlflowRun(id) {
        return id === "a".repeat(32)
          ? {
              runId: id,
              tags: { GIT_SHA: commit, DBR_RUN_ID: jobRunId },
              params: {},
              metrics: {},
              datasets: [],
            }
          : undefined;
      },
    });
    const local = localJobTraceResolver({ runner });
    const good = await verify(jobRunId, { resolvers: [local, mlflow(SHA)] });
    const ok = good.checks.find((c) => c.id === "commit.run-job");
    expect(ok?.status).toBe("pass");
    const bad = await verify(jobRunId, { resolvers: [local, mlflow(OTHER)] });
    const failed = bad.checks.find((c) => c.id === "commit.run-job");
    expect(failed?.status).toBe("fail");
    expect(JSON.stringify(failed)).toContain(OTHER);
    expect(JSON.stringify(failed)).toContain("local-job");
    expect(bad.ok).toBe(false);
  });
});

describe("hostile and careless input", () => {
  it("a corrupt record, or one holding another run, is a failed look-up with a ValidationError naming the file", async () => {
    const dir = join(scratch, "corrupt");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "1000000000000001.json"), "{ not json");
    const other = {
      kind: "modeltrail.local-job-run",
      schemaVersion: 1,
      run: { run_id: 1000000000000003, job_id: 1 },
      environment: {
        capturedAt: "2026-01-01T00:00:00Z",
        host: { hostname: "h", os: "Linux 6", arch: "x64", cpus: 2, memoryBytes: 1 },
        problems: [],
      },
    };
    writeFileSync(join(dir, "1000000000000002.json"), JSON.stringify(other));
    writeFileSync(join(dir, "1000000000000004.json"), JSON.stringify({ ...other, kind: "something-else" }));
    await expect(readLocalRunRecord(dir, "1000000000000001")).rejects.toThrow(
      /1000000000000001\.json is not JSON/,
    );
    await expect(readLocalRunRecord(dir, "1000000000000002")).rejects.toBeInstanceOf(ValidationError);
    await expect(readLocalRunRecord(dir, "1000000000000004")).rejects.toThrow(/not a local run record/);
    const report = await trace("1000000000000002", { resolvers: [localJobTraceResolver({ dir })] });
    expect(report.unreachable).toContainEqual(
      expect.objectContaining({
        system: "local-job",
        reason: "failed",
        error: expect.objectContaining({ name: "ValidationError" }),
      }),
    );
  });

  it("a record directory that cannot be written makes run() reject with a ConfigError naming it", async () => {
    const file = join(scratch, "not-a-dir");
    writeFileSync(file, "x");
    const runner = new LocalJobRunner({ cwd: FIXTURES, records: { dir: join(file, "records") } });
    const err = await runner
      .run({ name: "w", tasks: [{ task_key: "t", spark_python_task: { python_file: "task.mjs" } }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(join(file, "records"));
    await expect(runner.flushRecords()).rejects.toBeInstanceOf(ConfigError);
  });

  it("an interpreter that cannot be run is named in problems; the record is still written", async () => {
    const dir = join(scratch, "no-python");
    const runner = new LocalJobRunner({
      cwd: FIXTURES,
      pythonPath: join(scratch, "no-such-python"),
      records: { dir },
    });
    const run = await runner.run({
      name: "p",
      tasks: [{ task_key: "t", spark_python_task: { python_file: "echo_args.py" } }],
    });
    expect(run.state?.result_state).toBe("FAILED");
    const record = await readLocalRunRecord(dir, String(run.run_id));
    expect(record?.environment.python).toBeUndefined();
    expect(record?.environment.problems.join("\n")).toContain("no-such-python could not be run");
    expect(
      record?.environment.checkout === undefined || /^[0-9a-f]{40}/.test(record.environment.checkout.commit),
    ).toBe(true);
  });

  it("bad options are ValidationErrors", () => {
    expect(() => localJobTraceResolver({})).toThrow(ValidationError);
    expect(() => localJobTraceResolver({ dir: " " })).toThrow(ValidationError);
    expect(() => localJobTraceResolver({ dir: "/x", gitShaParameter: "" })).toThrow(ValidationError);
    expect(() => new LocalJobRunner({ records: { dir: "" } })).toThrow(ValidationError);
  });

  it("toLocalJobRun takes the checkout's HEAD as the commit when no job parameter carries one", () => {
    const job = toLocalJobRun({
      kind: "modeltrail.local-job-run",
      schemaVersion: 1,
      run: { run_id: 5, job_id: 4, run_name: "n", tasks: [] },
      environment: {
        capturedAt: "2026-01-01T00:00:00Z",
        host: { hostname: "h", os: "Linux 6", arch: "x64", cpus: 2, memoryBytes: 1 },
        checkout: { directory: "/src", commit: SHA, dirty: true },
        problems: [],
      },
    });
    expect(job.gitSha).toEqual({ value: SHA, field: "checkout HEAD of /src" });
    expect(job.gitSource).toEqual({ provider: "git", commit: SHA, dirty: true });
    expect(job.platform).toBe("local");
  });
});
