import { z } from "zod";
import { traceSourceSchema } from "./trace-source.js";

/** The kinds of object a trace walks through, upstream (commit) to downstream (log line). */
export const TRACE_NODE_KINDS = [
  "commit",
  "ci-run",
  "job",
  "job-run",
  "task-run",
  "cluster",
  "mlflow-run",
  "dataset",
  "model-version",
  "image",
  "base-image",
  "provenance",
  "deployment",
  "replica-set",
  "pod",
  "node",
  "log-line",
] as const;

/** The kind of a {@link TraceNode}. */
export type TraceNodeKind = (typeof TRACE_NODE_KINDS)[number];

/**
 * What the walk knows of a node: `resolved` (fetched from its system), `referenced` (named by
 * another object but not fetched: a commit, a CI run, or an object of a system without a resolver),
 * `not-found` (its system says it does not exist) or `unreachable` (its system could not be asked;
 * the report's `unreachable` list says why).
 */
export const TRACE_NODE_STATES = ["resolved", "referenced", "not-found", "unreachable"] as const;

/** The state of a {@link TraceNode}. */
export type TraceNodeState = (typeof TRACE_NODE_STATES)[number];

/**
 * One object of the lineage graph. `id` is stable and readable: `<kind>:<key>`, e.g.
 * `commit:<sha>`, `job-run:<id>`, `mlflow-run:<id>`, `model-version:<name>/<version>`,
 * `image:<digest>`, `deployment:<namespace>/<name>`, `replica-set:<namespace>/<name>`,
 * `pod:<namespace>/<name>`, `node:<name>`, `dataset:<name>@<digest>`. `facts` are the few key
 * values worth printing next to it (already strings); `url` links to the object in its system.
 */
export const traceNodeSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(TRACE_NODE_KINDS),
  label: z.string(),
  state: z.enum(TRACE_NODE_STATES),
  system: z.string().optional(),
  url: z.string().optional(),
  facts: z.record(z.string(), z.string()),
  source: traceSourceSchema.optional(),
});

/** One object of the lineage graph (see {@link traceNodeSchema}). */
export type TraceNode = z.output<typeof traceNodeSchema>;

/**
 * How two nodes are linked, always pointing downstream: `built` (commit -> ci-run / image),
 * `ran` (commit, job -> job-run; job-run -> task-run), `ran-on` (task-run / job-run -> cluster,
 * pod -> node), `logged` (job-run / task-run -> mlflow-run), `read` (dataset -> mlflow-run),
 * `registered-as` (mlflow-run -> model-version), `packaged-in` (model-version -> image), `based-on`
 * (base-image -> image), `attests` (provenance -> image), `deployed-as` (image -> deployment),
 * `revision` (deployment -> replica-set), `runs` (replica-set -> pod), `served` (pod / deployment
 * -> log-line), `triggered` (ci-run -> job-run).
 */
export const TRACE_EDGE_RELATIONS = [
  "built",
  "ran",
  "ran-on",
  "logged",
  "read",
  "registered-as",
  "packaged-in",
  "based-on",
  "attests",
  "deployed-as",
  "revision",
  "runs",
  "served",
  "triggered",
] as const;

/** The relation of a {@link TraceEdge}. */
export type TraceEdgeRelation = (typeof TRACE_EDGE_RELATIONS)[number];

/** A link between two nodes, with the source that states it (e.g. the tag `DBR_RUN_ID` of the model version). */
export const traceEdgeSchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  relation: z.enum(TRACE_EDGE_RELATIONS),
  source: traceSourceSchema.optional(),
});

/** A link between two nodes (see {@link traceEdgeSchema}). */
export type TraceEdge = z.output<typeof traceEdgeSchema>;

/** The lineage graph a walk found: every node once, every edge once. */
export const traceGraphSchema = z.strictObject({
  nodes: z.array(traceNodeSchema),
  edges: z.array(traceEdgeSchema),
});

/** The lineage graph a walk found. */
export type TraceGraph = z.output<typeof traceGraphSchema>;
