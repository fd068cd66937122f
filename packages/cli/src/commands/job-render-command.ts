import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { writeFileAtomic } from "../cli/files.js";
import {
  addJobTemplateOptions,
  type JobTemplateOptions,
  renderTemplateFromOptions,
} from "./job-template-options.js";

interface JobRenderOptions extends JobTemplateOptions {
  output?: string;
}

/** `modeltrail job render TEMPLATE`: the job definition with the commit injected, validated. */
export function jobRenderCommand(app: CliApp): Command {
  const cmd = addJobTemplateOptions(
    newCommand(
      app.io,
      "render",
      "Render a Databricks job definition template (JSON or YAML, nunjucks) with the commit injected (git_sha, ctx) and validate it.",
      [
        "modeltrail job render pipeline/job.template.yaml --var env=prod > job.yaml",
        "modeltrail job render job.template.json --vars-file vars.yaml --output job.json",
      ],
    ).argument("<template>", "the job template file"),
  ).option(
    "-o, --output <file>",
    "write the rendered definition to this file (atomically) instead of stdout",
  );
  return app.handle<JobRenderOptions>(cmd, async (run) => {
    const [template] = run.args as [string];
    const { rendered, ctx } = await renderTemplateFromOptions(run, template);
    const written = run.opts.output
      ? await writeFileAtomic(run.io.cwd, run.opts.output, rendered.text)
      : undefined;
    const data = {
      template,
      format: rendered.format,
      gitSha: ctx.code?.gitSha,
      settings: rendered.settings,
      warnings: rendered.warnings,
      ...(written ? { output: written } : { text: rendered.text }),
    };
    return {
      data,
      print: (out) => {
        if (written)
          out.status(
            `wrote ${written} (job "${String(rendered.settings.name ?? "")}", commit ${ctx.code?.gitSha ?? "unknown"})`,
          );
        else out.write("stdout", rendered.text.endsWith("\n") ? rendered.text : `${rendered.text}\n`);
      },
    };
  });
}
