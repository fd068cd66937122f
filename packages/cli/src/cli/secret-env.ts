import { registerSecret } from "@modeltrail/core/internal";

/**
 * Names of environment variables whose values are secrets: tokens, passwords, client secrets, keys.
 * Matched on the name, so that `DATABRICKS_TOKEN`, `MLFLOW_TRACKING_PASSWORD`, `ARM_CLIENT_SECRET`,
 * `AZURE_CLIENT_SECRET`, `GITHUB_TOKEN`, `ACTIONS_ID_TOKEN_REQUEST_TOKEN` and any variable of the
 * same shape are covered.
 */
export const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIAL)/i;

/**
 * Registers the value of every secret-looking environment variable with core's redaction, so that
 * no output of the CLI (results, errors, debug events, stack traces) can print it, even when a
 * server echoes it back. Returns the names registered (never the values). Never throws.
 */
export function registerSecretEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "" || !SECRET_ENV_NAME.test(name)) continue;
    registerSecret(value);
    names.push(name);
  }
  return names.sort();
}
