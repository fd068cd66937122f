import { deployJob } from "@modeltrail/databricks";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { jobId } from "../cli/option-parsers.js";
import { databricksClient } from "../config/clients.js";
import {
  addJobTemplateOptions,
  type JobTemplateOptions,
  renderTemplateFromOptions,
} from "./job-template-options.js";

interface JobDeployOptions extends JobTemplateOptions {
  key?: string;
  jobId?: number;
  traceParameters?: boolean;
}

/** `modeltrail job deploy TEMPLATE`: create or update the Databricks job, stamped with the commit. */
export function jobDeployCommand(app: CliApp): Command {
  const cmd = addJobTemplateOptions(
    newCommand(
      app.io,
      "deploy",
      "Render a job template and create or update the Databricks job (found by its key tag), stamped with the commit and the trace flags; unchanged settings are not rewritten.",
      [
        "DATABRICKS_HOST=https://adb-123.4.azuredatabricks.net DATABRICKS_TOKEN=... modeltrail job deploy pipeline/job.template.yaml --var env=prod",
      ],
    ).argument("<template>", "the job template file"),
  )
    .option("--key <key>", "the stable key that identifies the job across renames (default: its name)")
    .option("--job-id <id>", "update this job instead of looking it up", jobId)
    .option("--no-trace-parameters", "do not add the trace flags (--job-id={{job.id}} ...) to Python tasks");
  return app.handle<JobDeployOptions>(cmd, async (run) => {
    const [template] = run.args as [string];
    const { rendered, ctx } = await renderTemplateFromOptions(run, template);
    const client = await databricksClient(run);
    try {
      run.out.status(`deploying job "${String(rendered.settings.name ?? "")}" to ${client.host}`);
      const result = await deployJob(client, ctx, rendered.settings as Record<string, unknown>, {
        key: run.opts.key,
        jobId: run.opts.jobId,
        traceParameters: run.opts.traceParameters !== false,
        signal: run.signal,
      });
      const data = {
        jobId: result.jobId,
        action: result.action,
        changes: result.changes,
        gitSha: ctx.code?.gitSha,
        host: client.host,
        jobUrl: `${client.host}/jobs/${result.jobId}`,
        settings: result.settings,
      };
      return {
        data,
        print: (out) => {
          out.keyValues([
            ["job", `${result.jobId} (${result.action})`],
            ["commit", ctx.code?.gitSha],
            ["url", data.jobUrl],
          ]);
          for (const c of result.changes) out.print(`  - ${c}`);
        },
      };
    } finally {
      await client.close();
    }
  });
}
