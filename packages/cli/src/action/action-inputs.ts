import { parseArgsStringToArgv } from "string-argv";
import { UsageError } from "../cli/usage-error.js";

/** The action's inputs that are secrets: masked before anything runs, never echoed. */
export const SECRET_INPUTS = ["mlflow-tracking-token", "databricks-token", "registry-password", "kubeconfig"];

/** Inputs that become the environment variable the libraries read (the same names as the CLI's). */
export const ENV_INPUTS: Readonly<Record<string, string>> = {
  "mlflow-tracking-uri": "MLFLOW_TRACKING_URI",
  "mlflow-tracking-token": "MLFLOW_TRACKING_TOKEN",
  "databricks-host": "DATABRICKS_HOST",
  "databricks-token": "DATABRICKS_TOKEN",
  registry: "MODELTRAIL_REGISTRY",
  "deploy-target": "MODELTRAIL_DEPLOY_TARGET",
  "modeltrail-home": "MODELTRAIL_HOME",
};

/** What the action was asked to do, read from its `INPUT_*` environment. */
export interface ActionInputs {
  /** The command line given to `modeltrail`: the command's words, then the arguments. */
  argv: string[];
  /** The command words alone (`image build`), for titles. */
  command: string;
  /** Values of the env-backed inputs, by environment variable name. */
  env: Record<string, string>;
  registryUsername?: string | undefined;
  registryPassword?: string | undefined;
  kubeconfig?: string | undefined;
  workingDirectory?: string | undefined;
  /** False when a failing command should not fail the step (its exit code is still an output). */
  failOnError: boolean;
  /** The `public-key` input: a PEM public key, or the path of one (for the deploy gate and verify). */
  publicKey?: string | undefined;
  /** The `signing-key` input: a PEM private key (secret), or the path of one (for `image build`). */
  signingKey?: string | undefined;
}

/**
 * An input as GitHub gives it to a JavaScript action: `INPUT_<NAME>` with the name upper-cased and
 * spaces (not dashes) replaced by `_`, trimmed; undefined when empty.
 */
export function readInput(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const value = env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The secret inputs' values, for masking: each whole value, and each line of a multi-line one
 * (GitHub masks a registered value only where it appears whole, and logs are read line by line).
 */
export function secretInputValues(env: Readonly<Record<string, string | undefined>>): string[] {
  const values: string[] = [];
  for (const name of SECRET_INPUTS) {
    const value = readInput(env, name);
    if (!value) continue;
    values.push(value);
    if (name === "kubeconfig") values.push(...kubeconfigSecrets(value));
    else if (value.includes("\n")) values.push(...value.split(/\r?\n/).filter((l) => l.trim().length >= 4));
  }
  // the signing key is a secret when it is the key itself (PEM text), not when it names a file
  const signingKey = readInput(env, "signing-key");
  if (signingKey && isPem(signingKey))
    values.push(signingKey, ...signingKey.split(/\r?\n/).filter((l) => l.trim().length >= 4));
  return values;
}

/** True for PEM text (`-----BEGIN ...`), as opposed to the path of a file holding it. */
export function isPem(value: string): boolean {
  return value.startsWith("-----BEGIN");
}

/** The secret fields of a kubeconfig (tokens, keys, passwords), YAML or JSON, for masking on their own. */
function kubeconfigSecrets(text: string): string[] {
  const out: string[] = [];
  const re =
    /["']?\b(token|client-key-data|password|id-token|refresh-token|access-token)["']?\s*:\s*["']?([^"'\s,}]+)/gi;
  for (const m of text.matchAll(re)) if (m[2]) out.push(m[2]);
  return out;
}

/**
 * Reads the action's inputs: `command` (e.g. `image build`; required), `args` (the command's
 * arguments, split as a shell would: quotes group, newlines separate), `working-directory`,
 * `fail-on-error` (default true), the configuration inputs ({@link ENV_INPUTS}, registry and
 * Kubernetes credentials), and the deploy gate's: `verify: true` adds `--verify` to a `deploy`, and
 * `public-key` (PEM text or a file path) is the key provenance is checked with; `signing-key` (PEM
 * text, a secret, or a file path) the key `image build` signs it with. Throws UsageError
 * for a missing command, an unparseable flag, or `verify` on a command other than `deploy`.
 */
export function readActionInputs(env: Readonly<Record<string, string | undefined>>): ActionInputs {
  const command = readInput(env, "command");
  if (!command)
    throw new UsageError("The action's `command` input is empty", {
      hint: "set `with: command: <a modeltrail command>`, e.g. `command: model register`",
    });
  const words = parseArgsStringToArgv(command);
  const args = parseArgsStringToArgv(readInput(env, "args") ?? "");
  const failOnError = booleanInput(env, "fail-on-error", true);
  const verify = booleanInput(env, "verify", false);
  if (verify && words[0] !== "deploy")
    throw new UsageError(`The \`verify\` input gates a deploy; the command is \`${words.join(" ")}\``, {
      hint: "use `verify: true` with `command: deploy`, or run `command: verify` to check what is deployed",
    });
  const fromInputs: Record<string, string> = {};
  for (const [input, variable] of Object.entries(ENV_INPUTS)) {
    const value = readInput(env, input);
    if (value !== undefined) fromInputs[variable] = value;
  }
  const registryUsername = readInput(env, "registry-username");
  const registryPassword = readInput(env, "registry-password");
  if ((registryUsername === undefined) !== (registryPassword === undefined))
    throw new UsageError("`registry-username` and `registry-password` go together: set both or neither");
  return {
    argv: [...words, ...args, ...(verify && !args.includes("--verify") ? ["--verify"] : [])],
    command: words.filter((w) => !w.startsWith("-")).join(" "),
    env: fromInputs,
    registryUsername,
    registryPassword,
    kubeconfig: readInput(env, "kubeconfig"),
    workingDirectory: readInput(env, "working-directory"),
    failOnError,
    publicKey: readInput(env, "public-key"),
    signingKey: readInput(env, "signing-key"),
  };
}

/** A `true`/`false` input (any case); the default when empty. Throws UsageError naming the input. */
function booleanInput(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: boolean,
): boolean {
  const value = readInput(env, name);
  if (value === undefined) return fallback;
  if (!/^(true|false)$/i.test(value))
    throw new UsageError(`The \`${name}\` input must be true or false, not ${JSON.stringify(value)}`);
  return value.toLowerCase() === "true";
}
