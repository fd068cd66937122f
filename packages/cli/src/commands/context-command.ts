import {
  type TraceContext,
  toAnnotations,
  toBaggage,
  toEnv,
  toK8sLabels,
  toLogFields,
  toMlflowTags,
} from "@modeltrail/core";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { oneOf } from "../cli/option-parsers.js";
import { detectContext } from "../config/detect-context.js";

/** The encodings `context --as` prints: one per boundary of core's codecs. */
export const CONTEXT_FORMATS = [
  "env",
  "mlflow-tags",
  "annotations",
  "labels",
  "log-fields",
  "baggage",
] as const;
type ContextFormat = (typeof CONTEXT_FORMATS)[number];

interface ContextOptions {
  as?: ContextFormat;
  environment?: string;
}

/** `modeltrail context`: the TraceContext detected here (CI, git, container env, runtime). */
export function contextCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "context",
    "Show the trace context of this place (CI run, git commit, container env, runtime), where each field came from, or one of its encodings.",
    [
      "modeltrail context",
      'modeltrail context --as env >> "$GITHUB_ENV"   # GIT_SHA, RUN_ID, ... for later steps',
      "modeltrail context --json | jq -r .context.code.gitSha",
    ],
  )
    .option("--as <format>", `print one encoding: ${CONTEXT_FORMATS.join(", ")}`, oneOf(CONTEXT_FORMATS))
    .option("--environment <name>", "the deployment environment name to record (dev, staging, prod)");
  return app.handle<ContextOptions>(cmd, async ({ io, opts }) => {
    const detected = await detectContext(
      io,
      opts.environment ? { environment: { name: opts.environment } } : undefined,
    );
    const ctx = detected.context;
    if (opts.as) {
      const encoded = encode(ctx, opts.as);
      return {
        data: { format: opts.as, values: encoded },
        print: (out) => {
          if (typeof encoded === "string") out.print(encoded);
          else for (const [k, v] of Object.entries(encoded)) out.print(`${k}=${String(v)}`);
        },
      };
    }
    return {
      data: { context: ctx.toJSON(), sources: detected.sources, warnings: detected.warnings },
      print: (out) => {
        const rows = flatten(ctx.toJSON() as Record<string, unknown>).filter(([k]) => k !== "schemaVersion");
        out.table(
          ["field", "value", "from"],
          rows.map(([k, v]) => [k, v, (detected.sources as Record<string, string>)[k] ?? ""]),
        );
        for (const w of detected.warnings) out.warn(w);
      },
    };
  });
}

function encode(ctx: TraceContext, format: ContextFormat): Record<string, unknown> | string {
  switch (format) {
    case "env":
      return toEnv(ctx);
    case "mlflow-tags":
      return toMlflowTags(ctx);
    case "annotations":
      return toAnnotations(ctx);
    case "labels":
      return toK8sLabels(ctx);
    case "log-fields":
      return toLogFields(ctx);
    case "baggage":
      return toBaggage(ctx);
  }
}

/** `{ code: { gitSha } }` as `[["code.gitSha", ...]]`; arrays and maps as JSON. */
function flatten(value: Record<string, unknown>, prefix = ""): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && !["runtime", "extra"].includes(k))
      out.push(...flatten(v as Record<string, unknown>, key));
    else if (v !== null && typeof v === "object" && !Array.isArray(v))
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>))
        out.push([`${key}.${mk}`, String(mv)]);
    else out.push([key, Array.isArray(v) ? JSON.stringify(v) : String(v)]);
  }
  return out;
}
