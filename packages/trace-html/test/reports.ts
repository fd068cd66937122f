import { readFileSync } from "node:fs";
import {
  parseTraceReport,
  type TraceEdge,
  type TraceNode,
  type TraceReport,
  type VerifyCheck,
} from "@modeltrail/core";

/** The report `verify()` wrote for the trace benchmark's pipeline (docs/samples/verify-report.json). */
export function sampleReport(): TraceReport {
  const text = readFileSync(new URL("../../../docs/samples/verify-report.json", import.meta.url), "utf8");
  return parseTraceReport(text);
}

const SHA = "3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c";

function node(
  id: string,
  kind: TraceNode["kind"],
  label: string,
  facts: Record<string, string> = {},
): TraceNode {
  return {
    id,
    kind,
    label,
    state: "resolved",
    facts,
    system: "mlflow",
    url: `http://127.0.0.1:5000/#/${encodeURIComponent(id)}`,
    source: { system: "mlflow", object: label },
  };
}

/**
 * A commit with `versions` training runs, each registered as a model version and packaged in an
 * image; the first image is deployed (with a revision and a pod). One lineage per model version,
 * as trace() returns for a commit handle.
 */
export function commitReport(versions: number): TraceReport {
  const nodes: TraceNode[] = [
    {
      id: `commit:${SHA}`,
      kind: "commit",
      label: SHA.slice(0, 12),
      state: "referenced",
      facts: { sha: SHA },
    },
  ];
  const edges: TraceEdge[] = [];
  const lineages: TraceReport["lineages"] = [];
  for (let v = 1; v <= versions; v++) {
    const run = `mlflow-run:${String(v).padStart(32, "0")}`;
    const mv = `model-version:churn/${v}`;
    const img = `image:sha256:${String(v).repeat(64).slice(0, 64)}`;
    const ds = `dataset:churn-${v}@abc${v}`;
    nodes.push(node(run, "mlflow-run", `train ${v}`, { status: "FINISHED" }));
    nodes.push(node(ds, "dataset", `churn-${v}`, { digest: `abc${v}` }));
    nodes.push(node(mv, "model-version", `churn v${v}`, { status: "READY" }));
    nodes.push(node(img, "image", `acr.example/churn@sha256:${v}`, { digest: img.slice(6) }));
    edges.push({ from: `commit:${SHA}`, to: run, relation: "ran" });
    edges.push({ from: ds, to: run, relation: "read" });
    edges.push({ from: run, to: mv, relation: "registered-as" });
    edges.push({ from: mv, to: img, relation: "packaged-in" });
    edges.push({ from: `commit:${SHA}`, to: img, relation: "built" });
    lineages.push({
      id: mv,
      anchor: mv,
      matchedBy: `model version tag GIT_SHA = ${SHA}`,
      code: {
        gitSha: {
          value: SHA,
          source: { system: "mlflow", object: `model version churn/${v}`, field: "tag GIT_SHA" },
        },
      },
      infrastructure: { training: {}, serving: {} },
      environment: { training: {}, serving: {} },
      artifacts: {
        modelName: { value: "churn", source: { system: "mlflow", object: `model version churn/${v}` } },
      },
      data: { datasets: [] },
    });
  }
  const firstImage = nodes.find((n) => n.kind === "image")?.id as string;
  nodes.push(node("deployment:prod/churn", "deployment", "prod/churn", { revision: "2" }));
  nodes.push(node("replica-set:prod/churn-abc", "replica-set", "revision 2", { live: "true" }));
  nodes.push(node("pod:prod/churn-abc-1", "pod", "churn-abc-1", { phase: "Running" }));
  edges.push({ from: firstImage, to: "deployment:prod/churn", relation: "deployed-as" });
  edges.push({ from: "deployment:prod/churn", to: "replica-set:prod/churn-abc", relation: "revision" });
  edges.push({ from: "replica-set:prod/churn-abc", to: "pod:prod/churn-abc-1", relation: "runs" });
  return parseTraceReport({
    schemaVersion: 1,
    createdAt: "2026-11-27T22:00:00.000Z",
    handle: { kind: "commit", gitSha: SHA },
    lineages,
    graph: { nodes, edges },
    unreachable: [],
    requests: { total: 3 * versions, bySystem: { mlflow: 3 * versions }, lookups: versions },
  });
}

/** A failing check on the link from the model version to the image of the sample report. */
export function failingCheck(report: TraceReport): VerifyCheck {
  const mv = report.graph.nodes.find((n) => n.kind === "model-version")?.id as string;
  const img = report.graph.nodes.find((n) => n.kind === "image")?.id as string;
  return {
    id: "commit.image-model-version",
    title: "the image's revision equals the model version's GIT_SHA tag",
    lineage: report.lineages[0]?.id as string,
    link: { from: mv, to: img },
    status: "fail",
    message: "the image names commit aaaa, the model version names commit bbbb",
    values: [
      {
        value: "aaaa",
        source: {
          system: "registry",
          object: "image x",
          field: "annotation org.opencontainers.image.revision",
        },
      },
      { value: "bbbb", source: { system: "mlflow", object: "model version churn/1", field: "tag GIT_SHA" } },
    ],
  };
}

/** An undecided check on the data sets of the sample report (no link: drawn on the dataset nodes). */
export function unknownCheck(report: TraceReport): VerifyCheck {
  return {
    id: "data.digests",
    title: "every training data set is listed with a digest",
    lineage: report.lineages[0]?.id as string,
    status: "unknown",
    reason: "MLflow could not be reached",
    message: "the training run could not be read",
    values: [],
  };
}
