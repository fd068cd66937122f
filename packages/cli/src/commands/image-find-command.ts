import { resolve } from "node:path";
import { findImageForRun, listTraceableImages } from "@modeltrail/registry";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { runId } from "../cli/option-parsers.js";
import { registryClient } from "../config/clients.js";
import { imageLocation, listLayoutImages } from "../config/image-target.js";

interface ImageFindOptions {
  runId?: string;
  repository?: string;
  layout?: string;
}

interface FoundImage {
  ref: string;
  digest: string;
  tags: string[];
  created?: string | undefined;
  runId?: string | undefined;
  mlflowRunId?: string | undefined;
  gitSha?: string | undefined;
  context: Record<string, unknown>;
}

/** `modeltrail image find`: the image built for a run, or every traceable image of a repository. */
export function imageFindCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "find",
    "Find the image built for a training run (either kind of run id), or list every image of a repository or OCI layout that carries a trace.",
    [
      "modeltrail image find --repository myacr.azurecr.io/models/churn --run-id 1795788642450001",
      "MODELTRAIL_REGISTRY=oci:.modeltrail/images modeltrail image find --json",
    ],
  )
    .option("--run-id <id>", "the training run (Databricks job run id or MLflow run id)", runId)
    .option("--repository <repo>", "the registry repository (default: MODELTRAIL_REGISTRY)")
    .option("--layout <dir>", "an OCI layout directory instead of a registry");
  return app.handle<ImageFindOptions>(cmd, async (run) => {
    const { opts } = run;
    const where = imageLocation(opts, run.io.env);
    let images: FoundImage[];
    if (where.layout) {
      const dir = resolve(run.io.cwd, where.layout);
      const all = (await listLayoutImages(dir)).map(shape);
      images = opts.runId ? all.filter((i) => i.runId === opts.runId || i.mlflowRunId === opts.runId) : all;
    } else {
      const client = registryClient(run, where.repository);
      try {
        const repo = where.repository!;
        if (opts.runId) {
          const found = await findImageForRun(client, repo, opts.runId, { signal: run.signal });
          images = found ? [shape(found)] : [];
        } else {
          images = (await listTraceableImages(client, repo, { signal: run.signal })).map(shape);
        }
      } finally {
        await client.close();
      }
    }
    const data = { ...(opts.runId ? { runId: opts.runId } : {}), images };
    return {
      data,
      print: (out) => {
        if (images.length === 0) {
          out.print(opts.runId ? `no image found for run ${opts.runId}` : "no traceable image found");
          return;
        }
        out.table(
          ["image", "tags", "run id", "commit", "created"],
          images.map((i) => [i.ref, i.tags.join(","), i.runId, i.gitSha?.slice(0, 12), i.created]),
        );
      },
    };
  });
}

function shape(i: {
  ref: string;
  digest: string;
  tags: string[];
  created?: string | undefined;
  context: {
    toJSON(): unknown;
    job?: { runId?: string | undefined } | undefined;
    model?: { mlflowRunId?: string | undefined } | undefined;
    code?: { gitSha?: string | undefined } | undefined;
  };
}): FoundImage {
  return {
    ref: i.ref,
    digest: i.digest,
    tags: i.tags,
    created: i.created,
    runId: i.context.job?.runId ?? i.context.model?.mlflowRunId,
    mlflowRunId: i.context.model?.mlflowRunId,
    gitSha: i.context.code?.gitSha,
    context: i.context.toJSON() as Record<string, unknown>,
  };
}
