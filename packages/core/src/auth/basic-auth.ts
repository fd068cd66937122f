import { ConfigError } from "../errors/config-error.js";
import { registerSecret } from "../redact.js";
import type { CredentialProvider } from "./credential-provider.js";

/**
 * A provider that sends `Authorization: Basic base64(username:password)` (RFC 7617, UTF-8). The
 * password and the encoded header value are registered for redaction.
 *
 * @throws ConfigError if the username is empty or contains a colon (RFC 7617 forbids it).
 */
export function basicAuth(username: string, password: string): CredentialProvider {
  if (!username) throw new ConfigError("basicAuth needs a non-empty username");
  if (username.includes(":"))
    throw new ConfigError("basicAuth: a username must not contain ':' (RFC 7617)", {
      hint: "Check the username",
    });
  registerSecret(password);
  const encoded = Buffer.from(`${username}:${password ?? ""}`, "utf8").toString("base64");
  registerSecret(encoded);
  const headers = { authorization: `Basic ${encoded}` };
  return { kind: "basic", getAuthHeaders: async () => ({ ...headers }) };
}
