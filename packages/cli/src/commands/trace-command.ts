import { trace } from "@modeltrail/core";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { configuredResolvers, type TraceTargetOptions } from "../config/trace-resolvers.js";
import { addTracePageOption, writeTracePage } from "./trace-page-option.js";
import { addTraceTargetOptions, HANDLE_HELP, readHandle } from "./trace-target-options.js";
import { printTraceReport } from "./trace-view.js";

/** `modeltrail trace HANDLE`: the five answers for what you have in hand, each with its source. */
export function traceCommand(app: CliApp): Command {
  const cmd = addTraceTargetOptions(
    newCommand(
      app.io,
      "trace",
      "Answer the five questions for a model in hand (which code, infrastructure, environment, artifacts and data produced it, for training and serving), reading every system the configuration reaches (MLflow, Databricks, the registry, Kubernetes); each answer with its source, and what could not be reached with the reason.",
      [
        "modeltrail trace deployment/ml-serving/churn",
        'modeltrail trace \'{"git_sha":"3f2a9c1d...","run_id":"1795788642450001","msg":"predict"}\'',
        "modeltrail trace models:/churn/3 --json > trace.json",
        "modeltrail trace deployment/ml-serving/churn --html trace.html",
      ],
    ).argument("<handle>", HANDLE_HELP),
  );
  addTracePageOption(cmd);
  return app.handle<TraceTargetOptions & { html?: string }>(cmd, async (run) => {
    const [text] = run.args as [string];
    const handle = readHandle(text);
    const configured = await configuredResolvers(run);
    try {
      run.out.status(
        `tracing ${handle.kind} through ${configured.resolvers.map((r) => r.system).join(", ")}`,
      );
      const report = await trace(handle, { resolvers: configured.resolvers, signal: run.signal });
      const html = run.opts.html ? await writeTracePage(run.io.cwd, run.opts.html, report) : undefined;
      const first = report.lineages[0];
      const data = {
        handle: report.handle,
        lineages: report.lineages.length,
        gitSha: first?.code.gitSha?.value,
        runId: first?.infrastructure.training.jobRunId?.value ?? first?.artifacts.mlflowRunId?.value,
        unreachable: report.unreachable.length,
        notConfigured: configured.skipped,
        ...(html ? { html } : {}),
        report,
      };
      return {
        data,
        print: (out) => {
          printTraceReport(out, text, report, configured.skipped);
          if (html) out.print(`trace page: ${html}`);
        },
      };
    } finally {
      await configured.close();
    }
  });
}
