import { z } from "zod";

/**
 * The systems a trace reads from. `handle` is the value the caller gave (a log line's field), `git`
 * and `ci` are named by other systems but never fetched. Resolvers of other systems may use any
 * other lowercase name.
 */
export const TRACE_SYSTEMS = [
  "mlflow",
  "databricks",
  "local-job",
  "registry",
  "kubernetes",
  "local-deploy",
  "handle",
] as const;

/** A system a value came from: one of {@link TRACE_SYSTEMS} or a resolver's own name. */
export type TraceSystem = (typeof TRACE_SYSTEMS)[number] | (string & {});

/**
 * Where one value came from: the system, the object in it (`model version churn/3`, `deployment
 * prod/churn`), a link to that object (a UI or API URL, never with credentials) and the field of the
 * object that holds the value (`tag GIT_SHA`, `annotation org.opencontainers.image.revision`,
 * `env GIT_SHA`).
 */
export const traceSourceSchema = z.strictObject({
  system: z.string().min(1),
  object: z.string().min(1),
  url: z.string().optional(),
  field: z.string().optional(),
});

/** Where one value came from (see {@link traceSourceSchema}). */
export type TraceSource = z.output<typeof traceSourceSchema>;

/** A scalar a report holds: text, a number or a flag. */
export const traceScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** A scalar a report holds. */
export type TraceScalar = z.output<typeof traceScalarSchema>;

/** One value as one source reports it. */
export const traceFactSchema = z.strictObject({
  value: traceScalarSchema,
  source: traceSourceSchema,
});

/** One value as one source reports it. */
export type TraceFact = z.output<typeof traceFactSchema>;

/**
 * One answer of a report: the value, the source it was taken from (the most authoritative one that
 * had it), the other sources that report the same value (`confirmedBy`) and those that report a
 * different one (`conflicts`). `verify()` turns conflicts on the links it checks into failures; the
 * report shows all of them.
 */
export const tracedValueSchema = z.strictObject({
  value: traceScalarSchema,
  source: traceSourceSchema,
  confirmedBy: z.array(traceSourceSchema).optional(),
  conflicts: z.array(traceFactSchema).optional(),
});

/** One answer of a report, with its source, confirmations and conflicts (see {@link tracedValueSchema}). */
export type TracedValue = z.output<typeof tracedValueSchema>;

/** A map of named answers (parameters, runtime versions, ...). */
export const tracedMapSchema = z.record(z.string(), tracedValueSchema);

/** A map of named answers. */
export type TracedMap = z.output<typeof tracedMapSchema>;
