/**
 * Redaction of secrets from text, URLs and headers. Every error message, serialized error and
 * debug log line in modeltrail passes through here.
 */

const REDACTED = "[REDACTED]";

/**
 * Secret values registered at run time (tokens fetched by credential providers, passwords read from
 * config, values of secret headers), each with the other spellings it can take in a response body.
 */
const knownSecrets = new Set<string>();

/** Every spelling of every known secret, longest first (so that no secret is left half-replaced). */
let spellings: readonly string[] = [];

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

/**
 * Header names that are secret by their shape: anything about auth, tokens, keys, passwords, cookies,
 * sessions, signatures and credentials (`x-auth-token`, `private-token`, `api-key`,
 * `ocp-apim-subscription-key`, `x-vault-token`, `x-csrf-token`, ...).
 */
const SECRET_HEADER_SHAPE =
  /auth|token|secret|passw|api[-_]?key|apikey|access[-_]?key|private[-_]?key|subscription[-_]?key|functions[-_]?key|cookie|session|credential|signature/i;

/** True when a header's value must be treated as a secret, judged by the header's name. Never throws. */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || SECRET_HEADER_SHAPE.test(lower);
}

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
 * its shape, and also in the spellings a server may echo it in: percent-encoded (`%2F`, `+` for a
 * space) and JSON-escaped (`\"`, `\u00e9`). Credential providers call this for each token or
 * password they hold; the HTTP transport for every value of a secret header ({@link isSecretHeader}).
 * Values shorter than 4 characters are ignored (they would mangle ordinary text). Never throws.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string" || value.length < 4 || knownSecrets.has(value)) return;
  knownSecrets.add(value);
  const forms = new Set<string>([value]);
  try {
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams([["v", value]]).toString().slice(2));
  } catch {
    // a lone surrogate cannot be percent-encoded: it cannot appear percent-encoded either
  }
  // JSON as JavaScript writes it, as Python writes it (ASCII only), as Go writes it (HTML-safe), with `\/`
  const json = JSON.stringify(value).slice(1, -1);
  const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  forms.add(json);
  forms.add(json.replace(/[\u0080-\uffff]/g, unicodeEscape));
  forms.add(json.replace(/[<>&\u2028\u2029]/g, unicodeEscape));
  forms.add(json.replace(/\//g, "\\/"));
  const all = new Set(spellings);
  for (const form of forms) if (form.length >= 4) all.add(form);
  spellings = [...all].sort((a, b) => b.length - a.length);
}

/**
 * Registers the secret parts of a header value given for a secret header ({@link isSecretHeader}):
 * the whole value, the credential after an auth scheme (`Bearer <token>`, `token <token>`), and for
 * `Basic` the base64 credentials and the password inside them. Never throws.
 */
export function registerSecretHeaderValue(value: string | undefined | null): void {
  if (typeof value !== "string") return;
  registerSecret(value);
  const scheme = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s+(\S.*)$/.exec(value);
  if (!scheme) return;
  const credential = (scheme[2] as string).trim();
  registerSecret(credential);
  if ((scheme[1] as string).toLowerCase() === "basic") {
    const decoded = Buffer.from(credential, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon !== -1) {
      registerSecret(decoded);
      registerSecret(decoded.slice(colon + 1));
    }
  }
}

/** Removes every secret this module can recognise from a piece of text. */
export function redactText(text: string): string {
  let out = text;
  for (const spelling of spellings) {
    if (out.includes(spelling)) out = out.split(spelling).join(REDACTED);
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

/**
 * Redacts `text`, then cuts it to at most `maxChars` characters (plus a note of how much was left
 * out). Always in this order: a secret that straddles the cut is still whole when it is redacted,
 * so no part of it survives. Use it for every excerpt of untrusted text (response bodies, server
 * messages) that goes into a message. Never throws.
 */
export function redactedExcerpt(text: string, maxChars: number): string {
  const safe = redactText(text);
  if (safe.length <= maxChars) return safe;
  let end = Math.max(0, maxChars);
  // do not split a surrogate pair
  const code = safe.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${safe.slice(0, end)}… (${safe.length - end} more characters)`;
}

/** `scheme://userinfo@` at the start of a URL; the user info runs to the last `@` before the path, as WHATWG URL reads it. */
const LEADING_USERINFO = /^(\s*[a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/**
 * Returns a URL string with user info and secret query parameters redacted. Unlike {@link redactText}
 * on free text, the whole user info of a URL is recognised even when it holds characters no URL
 * allows (spaces, a second `@`, a broken `%`): `http://u:pa ss@h x` gives `http://u:[REDACTED]@h x`.
 * Never throws.
 */
export function redactUrl(url: string | URL): string {
  const text = String(url);
  const m = LEADING_USERINFO.exec(text);
  if (!m) return redactText(text);
  const userinfo = m[2] as string;
  const colon = userinfo.indexOf(":");
  const kept = colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`;
  return redactText(`${m[1]}${kept}@${text.slice(m[0].length)}`);
}

/**
 * Returns a copy of a header map with the values of secret headers ({@link isSecretHeader}) replaced
 * by `[REDACTED]` and every other value redacted as text. Never throws.
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (isSecretHeader(name)) out[name] = REDACTED;
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
