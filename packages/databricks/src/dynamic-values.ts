import { ValidationError } from "@modeltrail/core";

/**
 * Databricks dynamic value references (`{{job.run_id}}`, `{{tasks.prep.values.rows}}`, ...): the documented
 * list, recognition in text, deprecation advice, and substitution with concrete values (used by the local
 * job runner, which plays the part of the Databricks scheduler).
 *
 * Grammar (as documented by Databricks): `{{` optional spaces, a dotted path starting with a known
 * namespace, optional spaces, `}}`. A path segment is `[A-Za-z0-9_]+`, a backticked identifier
 * (`` `my param` ``) for user-provided names with special characters, or a bracketed time argument
 * (`[iso_date]`, an older documented spelling).
 */

/** Arguments accepted by the time-valued references (`job.start_time.<arg>`, `job.trigger.time.<arg>`, `backfill.<arg>`). */
export const DYNAMIC_TIME_ARGUMENTS = [
  "iso_weekday",
  "is_weekday",
  "iso_date",
  "iso_datetime",
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
  "timestamp_ms",
] as const;

/** A time argument of a dynamic value reference. */
export type DynamicTimeArgument = (typeof DYNAMIC_TIME_ARGUMENTS)[number];

/** Namespaces that Databricks reserves for dynamic value references. */
export const DYNAMIC_VALUE_NAMESPACES = ["job", "task", "tasks", "workspace", "backfill", "input"] as const;

/**
 * Deprecated (pre-namespace) references and their documented replacements. They still work on Databricks;
 * the template renderer warns about them.
 */
export const DEPRECATED_DYNAMIC_VALUES: Readonly<Record<string, string>> = Object.freeze({
  job_id: "job.id",
  run_id: "task.run_id",
  parent_run_id: "job.run_id",
  task_key: "task.name",
  start_date: "job.start_time.iso_date",
  start_time: "job.start_time.timestamp_ms",
  task_retry_count: "task.execution_count",
});

/**
 * The documented references, as patterns (`<name>` stands for a user-chosen identifier, `<argument>` for a
 * time argument). For documentation and tooling; recognition uses {@link classifyDynamicValuePath}.
 */
export const DOCUMENTED_DYNAMIC_VALUES: readonly string[] = Object.freeze([
  "job.id",
  "job.name",
  "job.run_id",
  "job.repair_count",
  "job.start_time.<argument>",
  "job.trigger.type",
  "job.trigger.time.<argument>",
  "job.trigger.file_arrival.location",
  "job.trigger.table_update.<table>.commit_version",
  "job.trigger.table_update.<table>.commit_timestamp.<argument>",
  "job.trigger.table_update.updated_tables",
  "job.parameters.<name>",
  "task.name",
  "task.run_id",
  "task.execution_count",
  "task.notebook_path",
  "tasks.<task>.run_id",
  "tasks.<task>.result_state",
  "tasks.<task>.error_code",
  "tasks.<task>.execution_count",
  "tasks.<task>.notebook_path",
  "tasks.<task>.values.<name>",
  "tasks.<task>.output.<field>",
  "workspace.id",
  "workspace.url",
  "backfill.<argument>",
  "input",
  "input.<field>",
]);

const SEGMENT = String.raw`(?:[A-Za-z0-9_]+|\x60[^\x60\n]*\x60|\[[A-Za-z0-9_]+\])`;
const PATH = String.raw`(?:${DYNAMIC_VALUE_NAMESPACES.join("|")})(?:\.${SEGMENT})*|${Object.keys(
  DEPRECATED_DYNAMIC_VALUES,
).join("|")}`;

/** Matches one reference, capturing its path; spaces and tabs (not newlines) are allowed inside the braces. */
const REFERENCE_SOURCE = String.raw`\{\{[ \t]*(${PATH})[ \t]*\}\}`;

/** A fresh global regular expression matching dynamic value references (group 1 is the path). */
export function dynamicValueReferencePattern(): RegExp {
  return new RegExp(REFERENCE_SOURCE, "g");
}

/** How a reference path was recognised. */
export type DynamicValueKind = "documented" | "deprecated" | "unknown";

/** One dynamic value reference found in a text. */
export interface DynamicValueReference {
  /** The reference exactly as written, braces included (`{{ job.id }}`). */
  text: string;
  /** The dotted path inside the braces (`job.id`). */
  path: string;
  /** Path segments with backticks and brackets removed (`["job", "parameters", "my param"]`). */
  segments: string[];
  /** Offset of `text` in the searched string. */
  index: number;
  /** Documented, deprecated, or in a reserved namespace but not documented (a typo or a newer reference). */
  kind: DynamicValueKind;
  /** For deprecated references: the documented replacement path. */
  replacement?: string;
}

/** Splits a reference path into segments, removing backticks and brackets. */
export function splitDynamicValuePath(path: string): string[] {
  const segments: string[] = [];
  const re = new RegExp(SEGMENT, "g");
  for (const m of path.matchAll(re)) {
    const s = m[0];
    if (s.startsWith("`")) segments.push(s.slice(1, -1));
    else if (s.startsWith("[")) segments.push(s.slice(1, -1));
    else segments.push(s);
  }
  return segments;
}

function isTimeArg(s: string | undefined): boolean {
  return s !== undefined && (DYNAMIC_TIME_ARGUMENTS as readonly string[]).includes(s);
}

/** Says whether a reference path is documented, deprecated (with its replacement) or unknown. Never throws. */
export function classifyDynamicValuePath(path: string): { kind: DynamicValueKind; replacement?: string } {
  const deprecated = DEPRECATED_DYNAMIC_VALUES[path];
  if (deprecated !== undefined) return { kind: "deprecated", replacement: deprecated };
  const [ns, ...rest] = splitDynamicValuePath(path);
  const n = rest.length;
  const documented = (() => {
    switch (ns) {
      case "job": {
        const [a, b, c, d, e] = rest;
        if (n === 1) return ["id", "name", "run_id", "repair_count"].includes(a!);
        if (a === "start_time") return n === 2 && isTimeArg(b);
        if (a === "parameters") return n === 2;
        if (a === "trigger") {
          if (n === 2) return b === "type";
          if (b === "time") return n === 3 && isTimeArg(c);
          if (b === "file_arrival") return n === 3 && c === "location";
          if (b === "table_update") {
            if (n === 3) return c === "updated_tables";
            if (n === 4) return d === "commit_version";
            if (n === 5) return d === "commit_timestamp" && isTimeArg(e);
          }
        }
        return false;
      }
      case "task":
        return n === 1 && ["name", "run_id", "execution_count", "notebook_path"].includes(rest[0]!);
      case "tasks": {
        const [, field] = rest;
        if (n === 2)
          return ["run_id", "result_state", "error_code", "execution_count", "notebook_path"].includes(
            field!,
          );
        if (field === "values") return n === 3;
        if (field === "output") return n >= 3;
        return false;
      }
      case "workspace":
        return n === 1 && ["id", "url"].includes(rest[0]!);
      case "backfill":
        return n === 1 && isTimeArg(rest[0]);
      case "input":
        return true;
      default:
        return false;
    }
  })();
  return { kind: documented ? "documented" : "unknown" };
}

/** Finds every dynamic value reference in `text`, in order. Never throws. */
export function findDynamicValueReferences(text: string): DynamicValueReference[] {
  const out: DynamicValueReference[] = [];
  for (const m of text.matchAll(dynamicValueReferencePattern())) {
    const path = m[1]!;
    const c = classifyDynamicValuePath(path);
    out.push({
      text: m[0],
      path,
      segments: splitDynamicValuePath(path),
      index: m.index,
      kind: c.kind,
      ...(c.replacement === undefined ? {} : { replacement: c.replacement }),
    });
  }
  return out;
}

/** Values for substituting dynamic value references; what the Databricks scheduler would know. */
export interface DynamicValueContext {
  job: {
    id: number | string;
    name?: string;
    runId: number | string;
    repairCount?: number;
    startTime: Date;
    trigger?: { type?: string; time?: Date; fileArrivalLocation?: string };
    /** Effective job parameters (defaults merged with overrides). */
    parameters?: Record<string, string>;
  };
  task?: { name: string; runId: number | string; executionCount?: number; notebookPath?: string };
  /** Other tasks of the same run, by task key. */
  tasks?: Record<
    string,
    {
      runId?: number | string;
      resultState?: string;
      errorCode?: string;
      executionCount?: number;
      notebookPath?: string;
      values?: Record<string, unknown>;
    }
  >;
  workspace?: { id?: number | string; url?: string };
  backfill?: Date;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Formats a time the way Databricks renders `<time>.<argument>` references (UTC). Throws nothing. */
export function formatDynamicTime(date: Date, argument: DynamicTimeArgument): string {
  const isoDay = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  switch (argument) {
    case "iso_weekday":
      return String(isoDay);
    case "is_weekday":
      return String(isoDay <= 5);
    case "iso_date":
      return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
    case "iso_datetime":
      return `${formatDynamicTime(date, "iso_date")}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
    case "year":
      return String(date.getUTCFullYear());
    case "month":
      return String(date.getUTCMonth() + 1);
    case "day":
      return String(date.getUTCDate());
    case "hour":
      return String(date.getUTCHours());
    case "minute":
      return String(date.getUTCMinutes());
    case "second":
      return String(date.getUTCSeconds());
    case "timestamp_ms":
      return String(date.getTime());
  }
}

function stringify(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/**
 * The value of one reference path in `ctx`, or `undefined` when the context does not know it (for
 * example `{{tasks.x.values.k}}` before task `x` has set `k`). Deprecated paths resolve through their
 * replacement (`{{task_retry_count}}` gives the retry count, one less than the execution count).
 */
export function resolveDynamicValue(path: string, ctx: DynamicValueContext): string | undefined {
  if (path === "task_retry_count") {
    const n = ctx.task?.executionCount;
    return n === undefined ? undefined : String(Math.max(0, n - 1));
  }
  const target = DEPRECATED_DYNAMIC_VALUES[path] ?? path;
  const [ns, ...rest] = splitDynamicValuePath(target);
  const time = (d: Date | undefined, arg: string | undefined) =>
    d && isTimeArg(arg) ? formatDynamicTime(d, arg as DynamicTimeArgument) : undefined;
  switch (ns) {
    case "job": {
      const [a, b, c] = rest;
      const j = ctx.job;
      if (rest.length === 1) {
        if (a === "id") return stringify(j.id);
        if (a === "name") return j.name;
        if (a === "run_id") return stringify(j.runId);
        if (a === "repair_count") return String(j.repairCount ?? 0);
      }
      if (a === "start_time") return time(j.startTime, b);
      if (a === "parameters" && b !== undefined) return j.parameters?.[b];
      if (a === "trigger") {
        if (b === "type") return j.trigger?.type ?? "ONE_TIME";
        if (b === "time") return time(j.trigger?.time ?? j.startTime, c);
        if (b === "file_arrival" && c === "location") return j.trigger?.fileArrivalLocation;
      }
      return undefined;
    }
    case "task": {
      const t = ctx.task;
      if (!t) return undefined;
      switch (rest[0]) {
        case "name":
          return t.name;
        case "run_id":
          return stringify(t.runId);
        case "execution_count":
          return String(t.executionCount ?? 1);
        case "notebook_path":
          return t.notebookPath;
        default:
          return undefined;
      }
    }
    case "tasks": {
      const [key, field, name] = rest;
      const t = key === undefined ? undefined : ctx.tasks?.[key];
      if (!t) return undefined;
      switch (field) {
        case "run_id":
          return stringify(t.runId);
        case "result_state":
          return t.resultState;
        case "error_code":
          return t.errorCode ?? "";
        case "execution_count":
          return t.executionCount === undefined ? undefined : String(t.executionCount);
        case "notebook_path":
          return t.notebookPath;
        case "values":
          return name === undefined ? undefined : stringify(t.values?.[name]);
        default:
          return undefined;
      }
    }
    case "workspace":
      return rest[0] === "id"
        ? stringify(ctx.workspace?.id)
        : rest[0] === "url"
          ? ctx.workspace?.url
          : undefined;
    case "backfill":
      return time(ctx.backfill, rest[0]);
    default:
      return undefined;
  }
}

/** Options of {@link substituteDynamicValues}. */
export interface SubstituteDynamicValuesOptions {
  /** What to do with a reference the context cannot resolve: keep it as written (default) or throw. */
  onUnresolved?: "keep" | "error";
}

/**
 * Replaces every dynamic value reference in `text` with its value from `ctx`, as the Databricks scheduler
 * does when a task starts. Unresolvable references are kept verbatim, or with `onUnresolved: "error"`
 * cause a ValidationError naming them.
 */
export function substituteDynamicValues(
  text: string,
  ctx: DynamicValueContext,
  options: SubstituteDynamicValuesOptions = {},
): string {
  const unresolved: string[] = [];
  const out = text.replace(dynamicValueReferencePattern(), (whole, path: string) => {
    const v = resolveDynamicValue(path, ctx);
    if (v === undefined) {
      unresolved.push(whole);
      return whole;
    }
    return v;
  });
  if (unresolved.length > 0 && options.onUnresolved === "error") {
    throw new ValidationError("Unresolved dynamic value references", {
      issues: unresolved.map((r) => ({ path: r, message: "no value is known for this reference" })),
    });
  }
  return out;
}
