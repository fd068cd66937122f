import { resolve } from "node:path";
import type { TraceResolver } from "@modeltrail/core";
import { databricksTraceResolver, localJobTraceResolver } from "@modeltrail/databricks";
import { mlflowTraceResolver } from "@modeltrail/mlflow";
import { type Command, InvalidArgumentError } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { CommandFailedError } from "../cli/command-failed-error.js";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { readObjectFile } from "../cli/files.js";
import { duration, keyValue, oneOf } from "../cli/option-parsers.js";
import type { Output } from "../cli/output.js";
import { UsageError } from "../cli/usage-error.js";
import { databricksClient, mlflowClient } from "../config/clients.js";
import { reproduce } from "../reproduce/reproduce.js";
import type { ReproduceReport } from "../reproduce/reproduce-report.js";
import type { ReproduceRunner } from "../reproduce/reproduce-runner.js";

interface ReproduceCommandOptions {
  template: string;
  var?: Record<string, string>;
  varsFile?: string;
  repo?: string;
  param?: Record<string, string>;
  on?: "local" | "databricks";
  python?: string;
  tolerance?: number;
  relTolerance?: number;
  metricTolerance?: Record<string, string>;
  artifactPath?: string;
  timeout?: number;
  localRuns?: string;
}

const RUN_ID = /^([0-9]{1,19}|[0-9a-f]{32})$/;

function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return n;
}

/** `modeltrail reproduce RUN_ID`: re-run a training run at its recorded commit and report what differs. */
export function reproduceCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "reproduce",
    "Re-run a training run at the commit it recorded and report what differs: the job template as it was at that commit (checked out into a temporary, read-only git worktree, always removed), rendered with that commit, run with the recorded parameters here (local job runner) or on Databricks; then parameters, metrics (within a tolerance), data set digests and model artifact digests compared with the original's. Exit 0 when reproduced, 4 when it ran but something differs, 1 when it could not run or the run failed.",
    [
      "modeltrail reproduce 1795788642450001 --template examples/pipeline/job.template.yaml --var env=dev",
      "modeltrail reproduce 0e65f4e6ffd84bbcaca05398f1d5dff3 --template pipeline/job.yaml --python .venv/bin/python --metric-tolerance auc=0.001 --json",
      "modeltrail reproduce 1795788642450001 --template pipeline/job.yaml --on databricks --param seed=7 --timeout 1h",
    ],
  )
    .argument("<run-id>", "the training run: a Databricks job run id (decimal) or an MLflow run id (32 hex)")
    .requiredOption(
      "--template <path>",
      "the job template, relative to the repository root, as at the recorded commit",
    )
    .option("--var <key=value>", "a template variable, as CI passed it (repeatable)", keyValue)
    .option("--vars-file <file>", "template variables from a JSON or YAML object")
    .option("--repo <dir>", "a directory in the git repository the model was trained from (default: .)")
    .option(
      "--param <key=value>",
      "run with this job parameter instead of the recorded one (repeatable; reported as a difference)",
      keyValue,
    )
    .option(
      "--on <where>",
      "where to run: local (the local job runner, default) or databricks",
      oneOf(["local", "databricks"] as const),
    )
    .option(
      "--python <path>",
      "with --on local: the Python for Python tasks (default: MODELTRAIL_PYTHON, else python3)",
    )
    .option(
      "--tolerance <n>",
      "absolute difference up to which a metric counts as the same (default 1e-9)",
      nonNegative,
    )
    .option(
      "--rel-tolerance <n>",
      "relative difference up to which a metric counts as the same (default 1e-6)",
      nonNegative,
    )
    .option("--metric-tolerance <name=n>", "absolute tolerance of one metric (repeatable)", keyValue)
    .option(
      "--local-runs <dir>",
      "a directory of local job run records (LocalJobRunner records: { dir }): the original's recorded job parameters are read there, and the reproduction's record is written there",
    )
    .option("--artifact-path <path>", "the model's directory in the runs' artifacts (default: model)")
    .option(
      "--timeout <duration>",
      "with --on databricks: stop waiting for the run after this long (90s, 30m, 2h)",
      duration,
    )
    .addHelpText(
      "after",
      `
Exit codes:
  0  reproduced: nothing differs (unknown values, e.g. a parameter the original did not record, are listed but do not count)
  1  it could not run (run not found, no commit recorded, commit not in the repository, template missing
     at the commit, a service error) or the reproduction run failed
  2  usage error
  4  it ran, and something differs: each difference is one line (--json: "differences" and "comparison")

The original run is read through MLflow (MLFLOW_TRACKING_URI, required) and, when configured, the
Databricks job run (DATABRICKS_HOST or ~/.databrickscfg) or the local run record (--local-runs) for
its recorded job parameters; without them a job parameter takes the MLflow param of the same name,
else the template default.`,
    );
  return app.handle<ReproduceCommandOptions>(cmd, async (run) => {
    const [id] = run.args as [string];
    const runId = id.trim();
    if (!RUN_ID.test(runId))
      throw new UsageError(
        `expected a run id (a Databricks job run id such as 1795788642450001, or a 32-character MLflow run id), got "${id}"`,
      );
    const { opts, out } = run;
    if (opts.on !== "databricks" && opts.timeout !== undefined)
      throw new UsageError("--timeout applies only with --on databricks");
    if (opts.on === "databricks" && opts.python !== undefined)
      throw new UsageError("--python applies only with --on local");
    const metricTolerances = Object.fromEntries(
      Object.entries(opts.metricTolerance ?? {}).map(([k, v]) => {
        try {
          return [k, { absolute: nonNegative(v), relative: 0 }];
        } catch {
          throw new UsageError(`--metric-tolerance ${k}=${v}: expected a number >= 0`);
        }
      }),
    );
    const vars = {
      ...(opts.varsFile ? await readObjectFile(run.io.cwd, opts.varsFile, "vars file") : {}),
      ...(opts.var ?? {}),
    };

    const closers: Array<() => Promise<void>> = [];
    try {
      const mlflow = await mlflowClient(run);
      closers.push(() => mlflow.close());
      const resolvers: TraceResolver[] = [mlflowTraceResolver(mlflow)];
      const env = run.io.env;
      const wantDatabricks =
        opts.on === "databricks" ||
        (env.DATABRICKS_HOST ?? "").trim() !== "" ||
        (env.DATABRICKS_CONFIG_PROFILE ?? "").trim() !== "";
      const dbx = wantDatabricks ? await databricksClient(run) : undefined;
      if (dbx) {
        closers.push(() => dbx.close());
        resolvers.push(databricksTraceResolver(dbx));
      }
      const localRuns = opts.localRuns ? resolve(run.io.cwd, opts.localRuns) : undefined;
      if (localRuns) resolvers.push(localJobTraceResolver({ dir: localRuns }));
      const python = opts.python ?? env.MODELTRAIL_PYTHON;
      const runner: ReproduceRunner =
        opts.on === "databricks" && dbx
          ? {
              kind: "databricks",
              client: dbx,
              ...(opts.timeout ? { wait: { deadlineMs: opts.timeout } } : {}),
            }
          : {
              kind: "local",
              options: {
                inheritEnv: false,
                env: { ...env },
                ...(python ? { pythonPath: python } : {}),
                ...(localRuns ? { records: { dir: localRuns } } : {}),
                onOutput: taskOutput(out),
              },
            };
      const report = await reproduce(runId, {
        resolvers,
        mlflow,
        runner,
        repoDir: resolve(run.io.cwd, opts.repo ?? "."),
        template: opts.template,
        vars,
        ...(opts.param ? { parameters: opts.param } : {}),
        tolerance: {
          ...(opts.tolerance !== undefined ? { absolute: opts.tolerance } : {}),
          ...(opts.relTolerance !== undefined ? { relative: opts.relTolerance } : {}),
        },
        ...(Object.keys(metricTolerances).length > 0 ? { metricTolerances } : {}),
        ...(opts.artifactPath ? { artifactPath: opts.artifactPath } : {}),
        signal: run.signal,
        onProgress: (p) => {
          if (p.type === "step") out.status(p.message);
          else if (p.event.type === "task-state")
            out.status(
              `  task ${p.event.taskKey}: ${p.event.state}${p.event.resultState ? ` ${p.event.resultState}` : ""}`,
            );
        },
      });
      const print = (o: Output) => printReport(o, report);
      if (report.status === "failed") {
        if (!out.json) print(out);
        throw new CommandFailedError(
          `The reproduction of run ${runId} failed: ${report.failure?.message ?? report.reproduction.outcome}`,
          {
            exitCode: EXIT_CODES.failure,
            result: report,
            hint: "the task output above says why; fix it, or reproduce with --param to change what it runs with",
          },
        );
      }
      if (report.status === "differs") {
        if (!out.json) print(out);
        throw new CommandFailedError(
          `Run ${runId} did not reproduce: ${report.differences.length} difference${report.differences.length === 1 ? "" : "s"} (${report.differences.slice(0, 2).join("; ")}${report.differences.length > 2 ? "; ..." : ""})`,
          {
            exitCode: EXIT_CODES.reproduceDiffers,
            result: report,
            hint: "each difference names both values; a metric within noise can be allowed with --tolerance or --metric-tolerance",
          },
        );
      }
      return { data: report, print };
    } finally {
      await Promise.allSettled(closers.map((c) => c()));
    }
  });
}

/** Prints the task output line by line as status lines (stderr). */
function taskOutput(out: Output) {
  const pending = new Map<number, string>();
  return ({
    taskKey,
    taskRunId,
    stream,
    chunk,
  }: {
    taskKey: string;
    taskRunId: number;
    stream: string;
    chunk: string;
  }) => {
    const lines = ((pending.get(taskRunId) ?? "") + chunk).split("\n");
    pending.set(taskRunId, lines.pop() ?? "");
    for (const line of lines)
      if (line.trim() !== "") out.status(`  [${taskKey}${stream === "stderr" ? " stderr" : ""}] ${line}`);
  };
}

function printReport(out: Output, r: ReproduceReport): void {
  out.keyValues([
    [
      "original",
      `${r.original.runId}${r.original.runId !== r.original.mlflowRunId ? ` (MLflow run ${r.original.mlflowRunId})` : ""}`,
    ],
    ["commit", r.original.gitSha],
    ["template", `${r.template.path} at ${r.template.commit.slice(0, 12)}`],
    [
      "reproduction",
      `${r.reproduction.platform} job run ${r.reproduction.jobRunId}${r.reproduction.mlflowRunId ? ` (MLflow run ${r.reproduction.mlflowRunId})` : ""}: ${r.reproduction.outcome}`,
    ],
    ["run page", r.reproduction.runPageUrl],
  ]);
  out.print("parameters:");
  for (const [k, v] of Object.entries(r.parameters)) out.print(`  ${k}=${v.value}  (${v.origin})`);
  const c = r.comparison;
  if (c) {
    const count = (xs: ReadonlyArray<{ status: string }>) =>
      `${xs.filter((x) => x.status === "same").length}/${xs.length} the same`;
    out.print("compared:");
    out.keyValues(
      [
        ["commit", c.commit.status],
        ["parameters", count(c.parameters)],
        [
          "metrics",
          `${count(c.metrics)} (tolerance ${r.tolerance.absolute} absolute, ${r.tolerance.relative} relative)`,
        ],
        ["data sets", count(c.datasets)],
        ["artifacts", c.artifactsUnknown ? `unknown: ${c.artifactsUnknown}` : count(c.artifacts)],
      ],
      2,
    );
    for (const m of c.metrics)
      out.print(`  metric ${m.name}: ${m.original ?? "-"} -> ${m.reproduced ?? "-"}  ${m.status}`);
  }
  if (r.differences.length > 0) {
    out.print("differences:");
    for (const d of r.differences) out.print(`  ${d}`);
  }
  if (r.unknown.length > 0) {
    out.print("not compared:");
    for (const u of r.unknown) out.print(`  ${u}`);
  }
  if (r.failure) {
    out.print(`failed: ${r.failure.message}`);
    for (const t of r.failure.failedTasks)
      out.print(`  task ${t.taskKey}: ${t.state}${t.message ? ` (${t.message})` : ""}`);
  }
  out.print();
  out.print(
    r.status === "reproduced"
      ? "reproduced: nothing differs"
      : r.status === "differs"
        ? `NOT reproduced: ${r.differences.length} difference${r.differences.length === 1 ? "" : "s"}`
        : "the reproduction run failed",
  );
}
