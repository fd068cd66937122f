import { ValidationError } from "../../errors/validation-error.js";
import type { CallOptions } from "../../http/call-options.js";
import type { TraceResolver } from "../../resolvers/trace-resolver.js";
import { DEFAULT_CONVENTIONS, type TraceConventions } from "../../trace/conventions.js";
import { parseTraceHandle, type TraceHandle } from "../trace-handle.js";
import { TRACE_REPORT_SCHEMA_VERSION, type TraceLineage, type TraceReport } from "../trace-report.js";
import { assembleLineage } from "./assemble-lineage.js";
import { buildGraph } from "./build-graph.js";
import { buildChains, type Chain } from "./chains.js";
import { RecordCollector, type WalkRecords } from "./collect-records.js";
import { LookupSession } from "./lookup-session.js";

/** Options of `trace()`: the resolvers to ask, the names the pipeline uses, and the per-call options. */
export interface TraceOptions extends CallOptions {
  /**
   * The systems to read, one resolver each (`mlflowTraceResolver(client)`, `databricksTraceResolver(client)`,
   * `registryTraceResolver(client)`, `kubernetesTraceResolver(client)`, or your own). Those left out
   * are reported as unreachable (`no-resolver`), and the report answers what the others can.
   */
  resolvers: readonly TraceResolver[];
  /** Tag, env, annotation and log-field names; `DEFAULT_CONVENTIONS` unless given. */
  conventions?: TraceConventions | undefined;
  /** Look-ups running at once (default 8). */
  concurrency?: number | undefined;
}

/** What one walk found: the records, the chains and lineages built from them, and its session. */
export interface Walked {
  handle: TraceHandle;
  records: WalkRecords;
  session: LookupSession;
  chains: Chain[];
  lineages: TraceLineage[];
  /** The report as of now: call it after any further look-ups (verify's) so they are counted. */
  report(): TraceReport;
}

/** Validates the handle and options, walks the graph and assembles the lineages. */
export async function walk(
  handle: TraceHandle | string | Record<string, unknown>,
  options: TraceOptions,
): Promise<Walked> {
  const { session, h } = startSession(handle, options);
  const records = await new RecordCollector(session, h).collect();
  const conventions = session.conventions;
  const chains = buildChains(records, conventions);
  const lineages = chains.map((chain) => assembleLineage(chain, conventions));
  const createdAt = new Date().toISOString();
  return {
    handle: h,
    records,
    session,
    chains,
    lineages,
    report: () => ({
      schemaVersion: TRACE_REPORT_SCHEMA_VERSION,
      createdAt,
      handle: h,
      lineages,
      graph: buildGraph(records, conventions, session.unreachable),
      unreachable: [...session.unreachable],
      requests: { ...session.requests, bySystem: { ...session.requests.bySystem } },
    }),
  };
}

/** Validates the options and the handle and opens a walk's session. */
function startSession(
  handle: TraceHandle | string | Record<string, unknown>,
  options: TraceOptions,
): { session: LookupSession; h: TraceHandle } {
  if (options === null || typeof options !== "object" || !Array.isArray(options.resolvers)) {
    throw new ValidationError("trace() needs options with a resolvers array", {
      issues: [{ path: "resolvers", message: "must be an array of TraceResolver (it may be empty)" }],
      hint: "Pass { resolvers: [mlflowTraceResolver(mlflow), ...] }",
    });
  }
  const issues = options.resolvers.flatMap((r, i) =>
    r === null || typeof r !== "object" || typeof r.system !== "string" || r.system.trim() === ""
      ? [{ path: `resolvers[${i}]`, message: "must be a TraceResolver with a system name" }]
      : [],
  );
  if (issues.length > 0) throw new ValidationError("Invalid trace resolvers", { issues });
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new ValidationError("Invalid trace concurrency", {
      issues: [{ path: "concurrency", message: "must be a whole number from 1 to 256" }],
    });
  }
  const conventions = options.conventions ?? DEFAULT_CONVENTIONS;
  const h = parseTraceHandle(handle, { conventions });
  const { resolvers, conventions: _c, concurrency: _n, ...call } = options;
  return { session: new LookupSession(resolvers, conventions, call, concurrency), h };
}
