import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import * as core from "@actions/core";
import { registerSecret } from "@modeltrail/core/internal";
import type { CliOutcome } from "../cli/cli-app.js";
import { describeError } from "../cli/error-report.js";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { runCli } from "../cli/run-cli.js";
import { SECRET_ENV_NAME } from "../cli/secret-env.js";
import { type ActionCredentials, writeActionCredentials } from "./action-credentials.js";
import { type ActionInputs, readActionInputs, secretInputValues } from "./action-inputs.js";
import { actionOutputs, summaryMarkdown } from "./action-report.js";

type Env = Readonly<Record<string, string | undefined>>;

const masked = new Set<string>();

/** Masks a secret in the log (`::add-mask::`, once) and registers it with modeltrail's redaction. */
function maskSecret(value: string): void {
  if (value.length < 4 || masked.has(value)) return; // GitHub would mask every "a" or "1" in the log
  masked.add(value);
  core.setSecret(value);
  registerSecret(value);
}

/** The environment the command sees: the step's, without the action's own `INPUT_*` variables. */
function commandEnv(env: Env, inputs: ActionInputs, credentials: ActionCredentials): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith("INPUT_")) out[k] = v;
  return { ...out, ...inputs.env, ...credentials.env };
}

/**
 * The GitHub Action: runs one `modeltrail` command in this process with the inputs as GitHub gives
 * them (`INPUT_*`), and reports by GitHub's conventions: every secret (the secret inputs, the
 * values of secret-looking variables such as `DATABRICKS_TOKEN`, a registry login) is masked with
 * `::add-mask::` before anything else is printed; the command's own output runs between
 * `::stop-commands::` markers so that nothing a server returns can act as a workflow command; the
 * outputs (`exit-code`, `result`, the result's top-level fields) go to `$GITHUB_OUTPUT`, a summary
 * to `$GITHUB_STEP_SUMMARY`, and a failure is an `::error::` annotation with the hint. Resolves
 * with the step's exit code (1 on failure unless `fail-on-error` is false); never throws.
 */
export async function runAction(env: Env = process.env, signal?: AbortSignal): Promise<number> {
  for (const value of secretInputValues(env)) maskSecret(value);
  for (const [name, value] of Object.entries(env)) if (value && SECRET_ENV_NAME.test(name)) maskSecret(value);

  let inputs: ActionInputs;
  try {
    inputs = readActionInputs(env);
  } catch (err) {
    return report("(inputs)", failedOutcome(err), true, env);
  }
  let credentials: ActionCredentials;
  try {
    credentials = await writeActionCredentials(inputs, env);
  } catch (err) {
    return report(inputs.command, failedOutcome(err, inputs.command), inputs.failOnError, env);
  }
  for (const value of credentials.secrets) maskSecret(value);

  const cwd = resolve(env.GITHUB_WORKSPACE || process.cwd(), inputs.workingDirectory ?? ".");
  const token = randomBytes(16).toString("hex");
  core.info(`modeltrail ${inputs.argv.join(" ")}`);
  process.stdout.write(`::stop-commands::${token}\n`);
  let outcome: CliOutcome;
  try {
    outcome = await runCli(inputs.argv, {
      env: commandEnv(env, inputs, credentials),
      cwd,
      stdout: process.stdout,
      stderr: process.stderr,
      signal,
    });
  } finally {
    process.stdout.write(`::${token}::\n`);
    await credentials.remove();
  }
  return report(outcome.command ?? inputs.command, outcome, inputs.failOnError, env);
}

function failedOutcome(err: unknown, command?: string): CliOutcome {
  const error = describeError(err, command);
  return { exitCode: error.exitCode, error, command };
}

/** Writes the outputs, the summary and the annotation; returns the step's exit code. */
async function report(command: string, outcome: CliOutcome, failOnError: boolean, env: Env): Promise<number> {
  for (const [name, value] of Object.entries(actionOutputs(outcome))) core.setOutput(name, value);
  if (env.GITHUB_STEP_SUMMARY) {
    try {
      await core.summary.addRaw(summaryMarkdown(command, outcome)).write();
    } catch (err) {
      core.warning(`could not write the job summary: ${describeError(err).message}`);
    }
  }
  if (outcome.exitCode === EXIT_CODES.ok) return 0;
  const message = outcome.error
    ? `${outcome.error.message}\nhint: ${outcome.error.hint}`
    : `modeltrail ${command} exited with ${outcome.exitCode}`;
  if (failOnError) core.error(message, { title: `modeltrail ${command}` });
  else core.warning(message, { title: `modeltrail ${command} (fail-on-error is false)` });
  return failOnError ? 1 : 0;
}
