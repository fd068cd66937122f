import { stripUrlCredentials } from "../trace/strip-url-credentials.js";

/**
 * A repository URL as detection records it: credentials stripped (see `stripUrlCredentials`) and,
 * for http(s) URLs, the query string and fragment dropped (a repository needs neither, and they can
 * carry tokens such as `?private_token=`). scp-like remotes (`git@github.com:org/repo.git`) and local
 * paths are kept. Never throws.
 */
export function cleanRepoUrl(url: string): string {
  const stripped = stripUrlCredentials(url.trim());
  return /^https?:\/\//i.test(stripped) ? stripped.replace(/[?#].*$/s, "") : stripped;
}
