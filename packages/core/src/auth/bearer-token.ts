import { ConfigError } from "../errors/config-error.js";
import { registerSecret } from "../redact.js";
import type { AuthRequestContext, CredentialProvider } from "./credential-provider.js";

/** Supplies a bearer token on demand, e.g. read from a vault or a file that is rotated. */
export type TokenSource = (context?: AuthRequestContext) => Promise<string>;

/** Options of `bearerToken`. */
export interface BearerTokenOptions {
  /** The provider's `kind`, used in messages (default `bearer`; Databricks PATs use `pat`). */
  kind?: string;
}

/**
 * A provider that sends `Authorization: Bearer <token>`. Pass the token itself, or a function that
 * returns it (called before every request attempt, with `forceRefresh` after a 401). Every token is
 * registered for redaction.
 *
 * @throws ConfigError (when called, or from `getAuthHeaders` for a function source) if the token is empty.
 */
export function bearerToken(
  token: string | TokenSource,
  options: BearerTokenOptions = {},
): CredentialProvider {
  const kind = options.kind ?? "bearer";
  if (typeof token === "string") {
    const value = checkToken(token, kind);
    const headers = { authorization: `Bearer ${value}` };
    return { kind, getAuthHeaders: async () => ({ ...headers }) };
  }
  return {
    kind,
    async getAuthHeaders(context?: AuthRequestContext) {
      const value = checkToken(await token(context), kind);
      return { authorization: `Bearer ${value}` };
    },
  };
}

function checkToken(token: string, kind: string): string {
  if (typeof token !== "string" || token.trim() === "")
    throw new ConfigError(`The ${kind} credential provider was given an empty token`, {
      hint: "Pass a non-empty token",
    });
  const value = token.trim();
  registerSecret(value);
  return value;
}
