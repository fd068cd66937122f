import { registerSecret } from "../redact.js";

/** `scheme://userinfo@` at the start of a URL; userinfo runs to the last `@` before the path (as WHATWG URL does). */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/** Schemes whose user name alone may be a credential (`https://<token>@github.com/...`). */
const HTTP_SCHEMES = /^(https?|wss?):\/\//i;

/**
 * Removes credentials from a URL, keeping everything else byte for byte (no normalisation).
 *
 * - `http(s)://user:token@host/...` and `https://token@host/...` lose the whole user info, because on
 *   HTTP a bare user name is often a token.
 * - Other schemes (`ssh://git@host/...`, `git+ssh://user:pw@host/...`) keep the user name and lose only
 *   the password, because `git@` is an account name, not a secret.
 * - scp-like remotes (`git@github.com:org/repo.git`) and strings that are not `scheme://` URLs are
 *   returned unchanged.
 *
 * Any password removed (and a lone HTTP user name of 16+ characters, which is a token) is registered with `registerSecret` so that it is redacted
 * wherever else it might appear. Never throws.
 */
export function stripUrlCredentials(url: string): string {
  const match = USERINFO.exec(url);
  if (!match) return url;
  const scheme = match[1] ?? "";
  const userinfo = match[2] ?? "";
  const rest = url.slice(match[0].length);
  const colon = userinfo.indexOf(":");
  const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  const password = colon === -1 ? undefined : userinfo.slice(colon + 1);
  if (password !== undefined) {
    registerSecret(password);
    registerSecret(safeDecode(password));
  }
  if (HTTP_SCHEMES.test(scheme)) {
    // A lone, long user name is a token (`https://ghp_xxx@github.com`); short ones (`oauth2`) are not.
    if (password === undefined && user.length >= 16) registerSecret(safeDecode(user));
    return `${scheme}${rest}`;
  }
  return user ? `${scheme}${user}@${rest}` : `${scheme}${rest}`;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
