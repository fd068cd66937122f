/**
 * Redaction of secrets from text, URLs and headers. Every error message, serialized error and
 * debug log line in modeltrail passes through here.
 */

const REDACTED = "[REDACTED]";

/** Secret values registered at run time (tokens fetched by credential providers, passwords read from config). */
const knownSecrets = new Set<string>();

/** Header names whose values are always secret. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-databricks-azure-sp-management-token",
  "x-ms-authorization-auxiliary",
]);

/** Query or form parameter names whose values are secret. */
const SECRET_PARAM =
  /([?&;,\s"'](?:access_token|refresh_token|id_token|token|client_secret|password|passwd|secret|api_key|apikey|sig|signature|code)=)([^&\s"',;]+)/gi;

/** `"client_secret": "..."`-style JSON fields. */
const SECRET_JSON_FIELD =
  /("(?:access_token|refresh_token|id_token|token|client_secret|password|secret|api_key|apiKey|private_key)"\s*:\s*")((?:[^"\\]|\\.)*)(")/g;

/** `Bearer xxx` / `Basic xxx` credentials wherever they appear in text. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+(?!Bearer\b|Basic\b|\[REDACTED\])([A-Za-z0-9._~+/=-]{6,})/gi;

/** `token <value>` only when the value looks like a token (long, with a digit), so prose survives. */
const TOKEN_WORD = /\b(token)\s+(?=[A-Za-z._~+/=-]*\d)([A-Za-z0-9._~+/=-]{16,})/gi;

/** Credentials embedded in URLs: `scheme://user:pass@host`. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+)(?::([^/\s@]*))?@/gi;

/** Well-known token shapes: Databricks PATs, GitHub tokens, JWTs. */
const TOKEN_SHAPES = [
  /\bdapi[0-9a-f]{32}(?:-\d+)?\b/g,
  /\bdose[0-9a-f]{32}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
];

/**
 * Registers a secret value so that every later redaction removes it wherever it appears, whatever
 * its shape. Credential providers call this for each token or password they hold. Values shorter
 * than 4 characters are ignored (they would mangle ordinary text).
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === "string" && value.length >= 4) knownSecrets.add(value);
}

/** Removes every secret this module can recognise from a piece of text. */
export function redactText(text: string): string {
  let out = text;
  if (knownSecrets.size > 0) {
    for (const secret of knownSecrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
  }
  out = out.replace(URL_USERINFO, (_m, scheme: string, user: string, pass: string | undefined) =>
    pass === undefined ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
  );
  out = out.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(TOKEN_WORD, (_m, word: string) => `${word} ${REDACTED}`);
  out = out.replace(SECRET_PARAM, (_m, key: string) => `${key}${REDACTED}`);
  out = out.replace(
    SECRET_JSON_FIELD,
    (_m, key: string, _v: string, end: string) => `${key}${REDACTED}${end}`,
  );
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** Returns a URL string with user info and secret query parameters redacted. */
export function redactUrl(url: string | URL): string {
  return redactText(String(url));
}

/** Returns a copy of a header map with secret header values replaced by `[REDACTED]`. */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(name.toLowerCase())) out[name] = REDACTED;
    else if (Array.isArray(value)) out[name] = value.map(redactText);
    else out[name] = value === undefined ? undefined : redactText(value);
  }
  return out;
}

/** Deeply redacts strings inside a JSON-like value (used by `toJSON()` of errors and by debug logs). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[…]";
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = /^(authorization|password|secret|token|access_token|client_secret|api_key)$/i.test(k)
        ? REDACTED
        : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** The marker that replaces redacted values. */
export const REDACTION_MARKER = REDACTED;
