import type { TraceContext } from "@modeltrail/core";
import {
  classifyRun,
  GIT_SHA_PARAMETER,
  LocalJobRunner,
  type Run,
  type RunOutcome,
  type RunProgressEvent,
  runJob,
  withTaskTraceParameters,
} from "@modeltrail/databricks";
import type { Command } from "commander";
import type { CliApp, RunContext } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { CommandFailedError } from "../cli/command-failed-error.js";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { collect, duration, jobId, keyValue } from "../cli/option-parsers.js";
import type { Output } from "../cli/output.js";
import { UsageError } from "../cli/usage-error.js";
import { databricksClient } from "../config/clients.js";
import { detectContext } from "../config/detect-context.js";
import {
  addJobTemplateOptions,
  type JobTemplateOptions,
  renderTemplateFromOptions,
} from "./job-template-options.js";

interface JobRunOptions extends JobTemplateOptions {
  param?: Record<string, string>;
  only?: string[];
  wait?: boolean;
  timeout?: number;
  cancelOnTimeout?: boolean;
  local?: string;
  python?: string;
}

/** `modeltrail job run JOB_ID [--wait]`, or `--local TEMPLATE` on this machine. */
export function jobRunCommand(app: CliApp): Command {
  const cmd = addJobTemplateOptions(
    newCommand(
      app.io,
      "run",
      "Start a run of a Databricks job (retried CI steps get the run they already started), optionally wait for it; or run a job template on this machine with the local job runner (--local, always waits). Exits 1 when the run does not succeed.",
      [
        "modeltrail job run 1795788642450000 --param seed=7 --wait --timeout 2h",
        "MODELTRAIL_PYTHON=.venv/bin/python modeltrail job run --local pipeline/job.template.yaml --param seed=7",
      ],
    ).argument("[job-id]", "the Databricks job id (not with --local)"),
  )
    .option("--param <key=value>", "a job parameter for this run (repeatable)", keyValue)
    .option("--only <task>", "run only this task (repeatable)", collect)
    .option("--wait", "wait for the run to finish and exit 1 unless it succeeded")
    .option("--timeout <duration>", "with --wait: stop waiting after this long (90s, 30m, 2h)", duration)
    .option("--cancel-on-timeout", "with --wait: cancel the run when --timeout passes or on Ctrl-C")
    .option(
      "--local <template>",
      "run this job template here with the local job runner instead of Databricks",
    )
    .option(
      "--python <path>",
      "with --local: the Python for Python tasks (default: MODELTRAIL_PYTHON, else python3)",
    );
  return app.handle<JobRunOptions>(cmd, async (run) => {
    const [id] = run.args as [string | undefined];
    if (run.opts.local) {
      if (id !== undefined) throw new UsageError("Give either a job id or --local TEMPLATE, not both");
      return runLocally(run, run.opts.local);
    }
    if (id === undefined)
      throw new UsageError("job run needs a Databricks job id (or --local TEMPLATE to run a template here)");
    if (!run.opts.wait && (run.opts.timeout !== undefined || run.opts.cancelOnTimeout))
      throw new UsageError("--timeout and --cancel-on-timeout apply only with --wait");
    return runOnDatabricks(run, jobId(id));
  });
}

async function runOnDatabricks(run: RunContext<JobRunOptions>, id: number) {
  const { out, opts } = run;
  const ctx = (await detectContext(run.io)).context;
  const client = await databricksClient(run);
  try {
    out.status(`starting a run of job ${id} on ${client.host}`);
    const result = await runJob(client, ctx, id, {
      jobParameters: opts.param,
      only: opts.only,
      signal: run.signal,
      wait: opts.wait
        ? {
            deadlineMs: opts.timeout,
            cancelOnTimeout: opts.cancelOnTimeout === true,
            cancelOnAbort: opts.cancelOnTimeout === true,
            signal: run.signal,
            onProgress: (e) => progressLine(out, e),
          }
        : undefined,
    });
    const data = runSummary(result.run, result.outcome, ctx, { idempotencyToken: result.idempotencyToken });
    return finish(out, data, result.outcome);
  } finally {
    await client.close();
  }
}

async function runLocally(run: RunContext<JobRunOptions>, template: string) {
  const { out, opts } = run;
  if (opts.only !== undefined) throw new UsageError("--only is not supported with --local");
  const { rendered, ctx } = await renderTemplateFromOptions(run, template);
  let settings = rendered.settings as Record<string, unknown>;
  const sha = ctx.code?.gitSha;
  if (sha) {
    const params = Array.isArray(settings.parameters)
      ? (settings.parameters as Array<Record<string, unknown>>).filter((p) => p?.name !== GIT_SHA_PARAMETER)
      : [];
    settings = { ...settings, parameters: [...params, { name: GIT_SHA_PARAMETER, default: sha }] };
  }
  settings = withTaskTraceParameters(settings);
  const env = run.io.env;
  const pending = new Map<number, string>();
  const runner = new LocalJobRunner({
    cwd: run.io.cwd,
    inheritEnv: false,
    env: { ...env },
    ...(opts.python || env.MODELTRAIL_PYTHON ? { pythonPath: opts.python ?? env.MODELTRAIL_PYTHON } : {}),
    onOutput: ({ taskKey, taskRunId, stream, chunk }) => {
      const lines = ((pending.get(taskRunId) ?? "") + chunk).split("\n");
      pending.set(taskRunId, lines.pop() ?? "");
      for (const line of lines)
        if (line.trim() !== "") out.status(`[${taskKey}${stream === "stderr" ? " stderr" : ""}] ${line}`);
    },
  });
  out.status(`running job "${String(settings.name ?? "")}" here with the local job runner`);
  const finished = await runner.run(settings, {
    ...(opts.param ? { jobParameters: opts.param } : {}),
    signal: run.signal,
    onEvent: (e) => progressLine(out, e),
  });
  const outcome = classifyRun(finished);
  return finish(out, runSummary(finished, outcome, ctx, { local: true }), outcome);
}

/** The JSON result of a run: ids, states, the outcome, each task. */
function runSummary(
  r: Run,
  outcome: RunOutcome | undefined,
  ctx: TraceContext,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    runId: r.run_id,
    jobId: r.job_id,
    runPageUrl: r.run_page_url,
    state: r.status?.state ?? r.state?.life_cycle_state,
    outcome: outcome ? { kind: outcome.kind, code: outcome.code, message: outcome.message } : undefined,
    failedTasks: outcome?.failedTasks ?? [],
    tasks: (r.tasks ?? []).map((t) => ({
      taskKey: t.task_key,
      runId: t.run_id,
      state: t.status?.state ?? t.state?.life_cycle_state,
      resultState: t.state?.result_state,
    })),
    gitSha: ctx.code?.gitSha,
    ...extra,
  };
}

function finish(out: Output, data: Record<string, unknown>, outcome: RunOutcome | undefined) {
  const print = (o: Output) => {
    o.keyValues([
      ["run", data.runId],
      ["job", data.jobId],
      ["state", outcome ? `${outcome.kind}${outcome.code ? ` (${outcome.code})` : ""}` : data.state],
      ["url", data.runPageUrl],
    ]);
    for (const t of data.tasks as Array<Record<string, unknown>>)
      o.print(
        `  task ${String(t.taskKey)} (run ${String(t.runId ?? "-")}): ${String(t.resultState ?? t.state ?? "")}`,
      );
  };
  if (outcome && outcome.kind !== "success") {
    print(out);
    throw new CommandFailedError(`Run ${String(data.runId)} ended ${outcome.kind}: ${outcome.message}`, {
      exitCode: EXIT_CODES.failure,
      result: data,
      hint: "open the run page, or the task output above, to see why",
    });
  }
  return { data, print };
}

function progressLine(
  out: Output,
  e: RunProgressEvent | Exclude<RunProgressEvent, { type: "cancel-requested" }>,
) {
  if (e.type === "run-state") out.status(`run ${e.runId}: ${e.state}${e.message ? ` (${e.message})` : ""}`);
  else if (e.type === "task-state")
    out.status(`  task ${e.taskKey}: ${e.state}${e.resultState ? ` ${e.resultState}` : ""}`);
  else out.status(`run ${e.runId}: cancellation requested (${e.reason})`);
}
