import { ValidationError } from "@modeltrail/core";
import { joinArtifactPath, readUriArtifactPath, uriTextProblem } from "./artifact-path.js";

/** The route of MLflow's artifact proxy (`mlflow server --serve-artifacts`). */
export const PROXY_ARTIFACTS_ROUTE = "/api/2.0/mlflow-artifacts/artifacts";

/**
 * A concrete place to read or write artifacts:
 * - `proxy`: through the artifact proxy; `path` is relative to the proxy root
 *   (`0/<run_id>/artifacts/model`), as in `mlflow-artifacts:/<path>`;
 * - `tracking`: a run whose artifact root the server does not proxy (a local path, s3:// ...), read
 *   through the tracking API (`artifacts/list`, `get-artifact`); `path` is relative to the run's root.
 */
export type ArtifactLocation =
  | { kind: "proxy"; path: string }
  | { kind: "tracking"; runId: string; path: string; artifactUri: string };

/** An artifact URI, parsed. */
export type ParsedArtifactUri =
  | { kind: "proxy"; path: string }
  | { kind: "run"; runId: string; path: string };

/**
 * Parses `mlflow-artifacts:/path`, `mlflow-artifacts://host:port/path`,
 * `http(s)://host/.../api/2.0/mlflow-artifacts/artifacts/path` and `runs:/<run_id>/path`, exactly as
 * written: the text is read by hand (a URL parser would drop tabs and newlines and resolve `.` and
 * `..`), percent-escapes are decoded per segment, one trailing `/` is accepted, and anything else
 * that is not canonical is refused, never repaired. Host parts are ignored: artifacts are read
 * through the client's own tracking server.
 * Throws ValidationError for any other URI, for control characters, surrounding whitespace, `?` or
 * `#`, and for paths with `//`, `.` or `..` segments, backslashes or an encoded `/`.
 */
export function parseArtifactUri(uri: string): ParsedArtifactUri {
  const textProblem = typeof uri === "string" ? uriTextProblem(uri) : "is not a string";
  if (textProblem !== undefined) throw refusedUri(uri, textProblem);
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(uri);
  if (!m) throw notProxied(uri);
  const scheme = (m[1] as string).toLowerCase();
  const rest = m[2] as string;
  if (scheme !== "mlflow-artifacts" && scheme !== "runs" && scheme !== "http" && scheme !== "https")
    throw notProxied(uri);
  if (/[?#]/.test(rest))
    throw refusedUri(uri, "has a query or fragment ('?' or '#'); encode such characters as %3F / %23");
  if (scheme === "runs") {
    if (!rest.startsWith("/") || rest.startsWith("//"))
      throw refusedUri(uri, "is not of the form runs:/<run_id>/<path> (exactly one '/' after 'runs:')");
    const [runId = "", ...parts] = rest.slice(1).split("/");
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) {
      throw new ValidationError(`Invalid run id in ${JSON.stringify(uri)}`, {
        issues: [{ path: JSON.stringify(uri), message: "the run id must be letters, digits, '-' or '_'" }],
        hint: "Use runs:/<run_id>/<path>",
      });
    }
    return { kind: "run", runId, path: uriPath(uri, parts.join("/")) };
  }
  // mlflow-artifacts:/path, or with an authority: mlflow-artifacts://host:port/path, http(s)://host/...
  const hasAuthority = rest.startsWith("//");
  if ((scheme === "http" || scheme === "https") && !hasAuthority) throw notProxied(uri);
  const path = hasAuthority ? rest.slice(2 + (/^[^/]*/.exec(rest.slice(2))?.[0].length ?? 0)) : rest;
  if (scheme === "mlflow-artifacts") {
    if (path === "") return { kind: "proxy", path: "" };
    if (!path.startsWith("/")) throw refusedUri(uri, "has a path that does not start with '/'");
    return { kind: "proxy", path: uriPath(uri, path.slice(1)) };
  }
  const i = path.indexOf(PROXY_ARTIFACTS_ROUTE);
  const after = i === -1 ? undefined : path.slice(i + PROXY_ARTIFACTS_ROUTE.length);
  if (after === undefined || (after !== "" && !after.startsWith("/"))) throw notProxied(uri);
  return { kind: "proxy", path: after === "" ? "" : uriPath(uri, after.slice(1)) };
}

/** The decoded, checked artifact path of a URI's raw path text (see `readUriArtifactPath`). */
function uriPath(uri: string, raw: string): string {
  const reading = readUriArtifactPath(raw);
  if (!reading.ok) throw refusedUri(uri, `has an artifact path that ${reading.problem}`);
  return reading.path;
}

function refusedUri(uri: unknown, problem: string): ValidationError {
  return new ValidationError(`Refusing artifact URI ${JSON.stringify(uri)}: it ${problem}`, {
    issues: [{ path: JSON.stringify(uri), message: problem }],
    hint: "Artifact URIs are used exactly as written: fix the URI instead of relying on it being cleaned up",
  });
}

/** True when a run's artifact_uri is served by the tracking server's artifact proxy. */
export function isProxiedArtifactUri(uri: string): boolean {
  return (
    uri.startsWith("mlflow-artifacts:") || (/^https?:\/\//i.test(uri) && uri.includes(PROXY_ARTIFACTS_ROUTE))
  );
}

/** The URL path (below the tracking server) of an artifact-proxy path, each segment encoded. */
export function proxyUrlPath(route: string, path: string): string {
  if (path === "") return route;
  return `${route}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** A location moved down by a relative artifact path. */
export function childLocation(loc: ArtifactLocation, rel: string): ArtifactLocation {
  return { ...loc, path: joinArtifactPath(loc.path, rel) };
}

function notProxied(uri: string): ValidationError {
  return new ValidationError(`Unsupported artifact URI ${JSON.stringify(uri)}`, {
    hint:
      "Pass an mlflow-artifacts:/ URI, an http(s) URL of the artifact proxy (/api/2.0/mlflow-artifacts/artifacts/...), " +
      "a runs:/<run_id>/<path> URI, or { runId, path }",
  });
}
