import { ValidationError } from "@modeltrail/core";
import { joinArtifactPath, normalizeArtifactPath } from "./artifact-path.js";

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
 * `http(s)://host/.../api/2.0/mlflow-artifacts/artifacts/path` and `runs:/<run_id>/path`.
 * Host parts are ignored: artifacts are read through the client's own tracking server.
 * Throws ValidationError for any other URI or for unsafe paths (`..`, NUL, backslashes).
 */
export function parseArtifactUri(uri: string): ParsedArtifactUri {
  // The URL parser would silently resolve "..": refuse it on the raw text instead.
  const rawSegments = uri.replace(/^[a-z][a-z0-9+.-]*:/i, "").split(/[/?#]/);
  if (rawSegments.some((s) => /^(\.|%2e){2}$/i.test(s) || s.includes("\\"))) {
    throw new ValidationError(`Refusing artifact URI ${JSON.stringify(uri)}`, {
      issues: [{ path: JSON.stringify(uri), message: "contains a '..' segment or a backslash" }],
    });
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw notProxied(uri);
  }
  const decode = (p: string): string => {
    try {
      return p
        .split("/")
        .map((s) => decodeURIComponent(s))
        .join("/");
    } catch {
      throw new ValidationError(`Artifact URI ${JSON.stringify(uri)} has invalid percent-encoding`);
    }
  };
  if (url.protocol === "mlflow-artifacts:") {
    return { kind: "proxy", path: normalizeArtifactPath(decode(url.pathname), "artifact URI path") };
  }
  if (url.protocol === "http:" || url.protocol === "https:") {
    const i = url.pathname.indexOf(PROXY_ARTIFACTS_ROUTE);
    const rest = i === -1 ? undefined : url.pathname.slice(i + PROXY_ARTIFACTS_ROUTE.length);
    if (rest === undefined || (rest !== "" && !rest.startsWith("/"))) throw notProxied(uri);
    return { kind: "proxy", path: normalizeArtifactPath(decode(rest), "artifact URI path") };
  }
  if (url.protocol === "runs:") {
    const parts = url.pathname.replace(/^\/+/, "").split("/");
    const runId = parts.shift() ?? "";
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) {
      throw new ValidationError(`Invalid run id in ${JSON.stringify(uri)}`, {
        hint: "Use runs:/<run_id>/<path>",
      });
    }
    return { kind: "run", runId, path: normalizeArtifactPath(decode(parts.join("/")), "artifact path") };
  }
  throw notProxied(uri);
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
