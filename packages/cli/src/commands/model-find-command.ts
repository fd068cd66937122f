import { fromMlflowTags } from "@modeltrail/core";
import { type ModelVersion, type ModelVersionQuery, tagsToRecord } from "@modeltrail/mlflow";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { gitShaPrefix, positiveInt, runId } from "../cli/option-parsers.js";
import { UsageError } from "../cli/usage-error.js";
import { mlflowClient } from "../config/clients.js";

interface ModelFindOptions {
  gitSha?: string;
  runId?: string;
  name?: string;
  limit: number;
}

/** `modeltrail model find`: the model versions built from a commit or a run. */
export function modelFindCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "find",
    "List the model versions built from a commit or from a training run (either kind of run id), with their trace.",
    [
      "modeltrail model find --git-sha 3f2a9c1",
      "modeltrail model find --run-id 1795788642450001 --name churn --json",
    ],
  )
    .option("--git-sha <sha>", "the commit (a prefix of 4+ characters works)", gitShaPrefix)
    .option("--run-id <id>", "the training run: Databricks job run id or MLflow run id", runId)
    .option("--name <name>", "only versions of this registered model")
    .option("--limit <n>", "list at most this many versions", positiveInt, 50);
  return app.handle<ModelFindOptions>(cmd, async (run) => {
    const { opts } = run;
    if ((opts.gitSha === undefined) === (opts.runId === undefined))
      throw new UsageError("model find needs exactly one of --git-sha or --run-id");
    const query: ModelVersionQuery = opts.gitSha ? { gitSha: opts.gitSha } : { runId: opts.runId! };
    const client = await mlflowClient(run);
    try {
      const versions: ModelVersion[] = [];
      for await (const mv of client.findModelVersions(query, { name: opts.name, signal: run.signal })) {
        versions.push(mv);
        if (versions.length >= opts.limit) break;
      }
      const rows = versions.map((mv) => {
        const tags = tagsToRecord(mv.tags);
        let context: Record<string, unknown> | undefined;
        try {
          context = fromMlflowTags(tags).toJSON();
        } catch {
          context = undefined; // tags that do not form a valid trace are shown as they are
        }
        const ctx = context as { code?: { gitSha?: string }; job?: { runId?: string } } | undefined;
        return {
          name: mv.name,
          version: mv.version,
          status: mv.status,
          aliases: mv.aliases,
          mlflowRunId: mv.run_id,
          runId: ctx?.job?.runId ?? mv.run_id,
          gitSha: ctx?.code?.gitSha,
          createdAt:
            mv.creation_timestamp === undefined
              ? undefined
              : new Date(Number(mv.creation_timestamp)).toISOString(),
          context,
        };
      });
      return {
        data: { query, versions: rows },
        print: (out) => {
          if (rows.length === 0) {
            out.print("no model version found");
            return;
          }
          out.table(
            ["model", "version", "run id", "commit", "aliases", "status"],
            rows.map((r) => [
              r.name,
              r.version,
              r.runId,
              r.gitSha?.slice(0, 12),
              r.aliases.join(","),
              r.status,
            ]),
          );
        },
      };
    } finally {
      await client.close();
    }
  });
}
