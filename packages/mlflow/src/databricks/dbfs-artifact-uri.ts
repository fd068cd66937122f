import { ValidationError } from "@modeltrail/core";
import { readUriArtifactPath, uriTextProblem } from "../artifacts/artifact-path.js";

/** The prefix of the access-controlled artifact store of a Databricks workspace's MLflow. */
export const DATABRICKS_TRACKING_ARTIFACT_PREFIX = "dbfs:/databricks/mlflow-tracking/";

/**
 * A `dbfs:/databricks/mlflow-tracking/...` artifact URI, parsed: the artifacts of a run
 * (`<experiment>/<run>/artifacts/<path>`) or of an MLflow 3 logged model
 * (`<experiment>/logged_models/<model>/artifacts/<path>`). `path` is relative to the resource's
 * artifact root (`artifacts/`), "" for the root.
 */
export type DatabricksArtifactUri =
  | { kind: "run"; experimentId: string; runId: string; path: string }
  | { kind: "logged-model"; experimentId: string; modelId: string; path: string };

/** True for `dbfs:/databricks/mlflow-tracking/...` URIs (also `dbfs://profile@databricks/...`). */
export function isDatabricksTrackingArtifactUri(uri: string): boolean {
  return /^dbfs:(?:\/\/[^/]*)?\/databricks\/mlflow-tracking\//i.test(uri);
}

const ID = /^[A-Za-z0-9_.-]{1,256}$/;

/**
 * Parses a `dbfs:/databricks/mlflow-tracking/...` URI of run or logged-model artifacts, as MLflow's
 * DatabricksArtifactRepository does (a `dbfs://PROFILE@databricks/` authority is accepted and
 * ignored: the client's own workspace is used). The path is taken as written (percent-escapes
 * decoded, one trailing `/` accepted). Throws ValidationError for any other URI, for ids that are
 * not plain ids, for control characters, surrounding whitespace, `?` or `#`, and for paths that
 * are unsafe or not canonical (`..`, `.`, `//`, backslashes, an encoded `/`).
 */
export function parseDatabricksArtifactUri(uri: string): DatabricksArtifactUri {
  const problem =
    uriTextProblem(uri) ?? (/[?#]/.test(uri) ? "has a query or fragment ('?' or '#')" : undefined);
  if (problem !== undefined) {
    throw new ValidationError(`Refusing artifact URI ${JSON.stringify(uri)}: it ${problem}`, {
      issues: [{ path: "uri", message: problem }],
      hint: "Artifact URIs are used exactly as written: fix the URI instead of relying on it being cleaned up",
    });
  }
  if (!isDatabricksTrackingArtifactUri(uri)) {
    throw new ValidationError(`Not a Databricks MLflow artifact URI: ${JSON.stringify(uri)}`, {
      hint: "Expected dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts/... or .../logged_models/<model>/artifacts/...",
    });
  }
  const rest = uri.replace(/^dbfs:(?:\/\/[^/]*)?\/databricks\/mlflow-tracking\//i, "");
  const segments = rest.split("/");
  const bad = (message: string) =>
    new ValidationError(`Invalid Databricks MLflow artifact URI ${JSON.stringify(uri)}`, {
      issues: [{ path: "uri", message }],
    });
  const [experimentId = "", second = "", third = "", ...more] = segments;
  if (!ID.test(experimentId)) throw bad("the experiment id is missing or not an id");
  if (second === "logged_models") {
    if (!ID.test(third)) throw bad("the logged model id is missing or not an id");
    return {
      kind: "logged-model",
      experimentId,
      modelId: third,
      path: artifactsRelative(more, uri),
    };
  }
  if (!ID.test(second)) throw bad("the run id is missing or not an id");
  return { kind: "run", experimentId, runId: second, path: artifactsRelative([third, ...more], uri) };
}

/** The path below `artifacts/` (MLflow's artifact root of a run or logged model). */
function artifactsRelative(segments: string[], uri: string): string {
  const joined = segments.join("/");
  if (joined === "" || joined === "artifacts" || joined === "artifacts/") return "";
  if (!joined.startsWith("artifacts/")) {
    throw new ValidationError(`Databricks MLflow artifact URI ${JSON.stringify(uri)} is outside artifacts/`, {
      issues: [{ path: "uri", message: "expected .../artifacts/<path>" }],
    });
  }
  const reading = readUriArtifactPath(joined.slice("artifacts/".length));
  if (!reading.ok) {
    throw new ValidationError(
      `Refusing artifact URI ${JSON.stringify(uri)}: its artifact path ${reading.problem}`,
      {
        issues: [{ path: "uri", message: reading.problem }],
      },
    );
  }
  return reading.path;
}
