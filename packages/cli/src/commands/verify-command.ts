import { type ArtifactCheckMode, verify } from "@modeltrail/core";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { CommandFailedError } from "../cli/command-failed-error.js";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { oneOf } from "../cli/option-parsers.js";
import { configuredResolvers, type TraceTargetOptions } from "../config/trace-resolvers.js";
import { addTracePageOption, writeTracePage } from "./trace-page-option.js";
import { addTraceTargetOptions, HANDLE_HELP, readHandle } from "./trace-target-options.js";
import { printChecks, printTraceReport } from "./trace-view.js";

interface VerifyCommandOptions extends TraceTargetOptions {
  strict?: boolean;
  artifacts?: ArtifactCheckMode;
  requireProvenance?: boolean;
  html?: string;
}

const ARTIFACT_MODES = ["digests", "sizes", "skip"] as const;

/** `modeltrail verify HANDLE`: every link checked; exit 3 when one fails. */
export function verifyCommand(app: CliApp): Command {
  const cmd = addTraceTargetOptions(
    newCommand(
      app.io,
      "verify",
      "Check every link of a model's lineage: the commit the deployment, image, model version and runs name; the run id they carry; the deployed digest against the pushed one; the image's model layer against the model version's files; provenance; data digests. Exit 3 when a check fails (with --strict also when one cannot be decided).",
      [
        "modeltrail verify deployment/ml-serving/churn",
        "modeltrail verify myacr.azurecr.io/models/churn:1795788642450001 --public-key cosign.pub --require-provenance",
        "modeltrail verify 1795788642450001 --artifacts sizes --json",
        "modeltrail verify deployment/ml-serving/churn --html verify.html",
      ],
    ).argument("<handle>", HANDLE_HELP),
  )
    .option("--strict", "count checks that cannot be decided (unknown) as failures")
    .option(
      "--artifacts <mode>",
      "compare the image's model layer with the model version by digests (default), sizes, or skip",
      oneOf(ARTIFACT_MODES),
    )
    .option("--require-provenance", "fail an image without a provenance attestation");
  addTracePageOption(cmd);
  return app.handle<VerifyCommandOptions>(cmd, async (run) => {
    const [text] = run.args as [string];
    const handle = readHandle(text);
    const { opts, out } = run;
    const configured = await configuredResolvers(run);
    try {
      out.status(`verifying ${handle.kind} through ${configured.resolvers.map((r) => r.system).join(", ")}`);
      const result = await verify(handle, {
        resolvers: configured.resolvers,
        signal: run.signal,
        ...(opts.strict ? { strict: true } : {}),
        ...(opts.artifacts ? { artifacts: opts.artifacts } : {}),
        ...(opts.requireProvenance ? { requireProvenance: true } : {}),
      });
      // the page is written whatever the outcome: a failing verify is when people look at it
      const html = opts.html
        ? await writeTracePage(run.io.cwd, opts.html, result.report, result.checks)
        : undefined;
      const data = {
        ok: result.ok,
        strict: result.strict,
        pass: result.summary.pass,
        fail: result.summary.fail,
        unknown: result.summary.unknown,
        checks: result.checks,
        notConfigured: configured.skipped,
        ...(html ? { html } : {}),
        report: result.report,
      };
      const print = () => {
        printTraceReport(out, text, result.report, configured.skipped);
        out.print();
        printChecks(out, result.checks);
        out.print();
        out.print(
          `${result.ok ? "verified" : "NOT verified"}: ${result.summary.pass} pass, ${result.summary.fail} fail, ${result.summary.unknown} unknown${result.strict ? " (strict)" : ""}`,
        );
        if (html) out.print(`trace page: ${html}`);
      };
      // A gate must not pass on nothing: no lineage found means nothing was verified.
      if (result.report.lineages.length === 0) {
        if (!out.json) print();
        const missing = configured.skipped.map((x) => x.system);
        throw new CommandFailedError(`Nothing found to verify for ${text}`, {
          exitCode: EXIT_CODES.verifyFailed,
          result: { ...data, ok: false },
          hint: missing.length
            ? `not configured: ${missing.join(", ")}; configure the system that holds it (see "modeltrail verify --help")`
            : "check the handle (name, namespace, run id) and the systems' credentials",
        });
      }
      if (!result.ok) {
        if (!out.json) print();
        const failing = result.checks.filter(
          (c) => c.status === "fail" || (result.strict && c.status === "unknown"),
        );
        throw new CommandFailedError(
          `${failing.length} check${failing.length === 1 ? "" : "s"} failed: ${failing
            .slice(0, 3)
            .map((c) => `${c.id} (${c.status === "unknown" ? c.reason : c.message})`)
            .join("; ")}${failing.length > 3 ? "; ..." : ""}`,
          {
            exitCode: EXIT_CODES.verifyFailed,
            result: data,
            hint: "each failing check names both values and where they came from (run with --json for all of them); fix the link, or redeploy an image whose links agree",
          },
        );
      }
      return { data, print };
    } finally {
      await configured.close();
    }
  });
}
