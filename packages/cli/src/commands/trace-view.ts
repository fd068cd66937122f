import type { TraceLineage, TraceReport, VerifyCheck } from "@modeltrail/core";
import type { Output } from "../cli/output.js";
import type { SkippedSystem } from "../config/trace-resolvers.js";

interface Traced {
  value: string | number | boolean;
  source: { system: string; object: string };
  conflicts?: unknown[] | undefined;
}

function isTraced(v: unknown): v is Traced {
  return (
    typeof v === "object" &&
    v !== null &&
    "value" in v &&
    "source" in v &&
    typeof (v as Traced).source === "object"
  );
}

/** `jobRunId` -> `job run id`. */
function label(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** The traced values of one section (nested one level: training/serving), as table rows. */
function rows(section: Record<string, unknown>, prefix = ""): string[][] {
  const out: string[][] = [];
  for (const [key, v] of Object.entries(section)) {
    if (isTraced(v)) {
      const conflict = v.conflicts && v.conflicts.length > 0 ? ` (${v.conflicts.length} disagree)` : "";
      out.push([
        `${prefix}${label(key)}`,
        `${String(v.value)}${conflict}`,
        `${v.source.system} ${v.source.object}`,
      ]);
    } else if (key === "datasets" && Array.isArray(v)) {
      for (const d of v as Array<{
        name: string;
        digest?: string;
        source: { system: string; object: string };
      }>)
        out.push([
          `${prefix}dataset`,
          `${d.name}${d.digest ? ` ${d.digest}` : ""}`,
          `${d.source.system} ${d.source.object}`,
        ]);
    } else if (key === "provenance" && v && typeof v === "object") {
      const p = v as { signed: boolean; verified?: boolean; source: { system: string; object: string } };
      const state = p.verified === true ? "signed, verified" : p.signed ? "signed, not verified" : "unsigned";
      out.push([`${prefix}provenance`, state, `${p.source.system} ${p.source.object}`]);
    }
  }
  return out;
}

/** The five answers of one lineage, for people. */
function printLineage(out: Output, l: TraceLineage): void {
  out.print(`lineage ${l.id} (from ${l.anchor}, matched by ${l.matchedBy})`);
  const sections: Array<[string, Record<string, unknown>]> = [
    ["code", l.code as Record<string, unknown>],
    ["infrastructure: training", l.infrastructure.training as Record<string, unknown>],
    ["infrastructure: serving", l.infrastructure.serving as Record<string, unknown>],
    ["environment: training", l.environment.training as Record<string, unknown>],
    ["environment: serving", l.environment.serving as Record<string, unknown>],
    ["artifacts", l.artifacts as Record<string, unknown>],
    ["data", l.data as Record<string, unknown>],
  ];
  for (const [name, section] of sections) {
    const r = rows(section);
    out.print(`  ${name}${r.length === 0 ? ": (nothing found)" : ""}`);
    if (r.length > 0) {
      const w0 = Math.max(...r.map((x) => x[0]!.length));
      const w1 = Math.max(...r.map((x) => x[1]!.length));
      for (const [k, v, s] of r) out.print(`    ${k!.padEnd(w0)}  ${v!.padEnd(w1)}  ${s}`);
    }
  }
}

/** A trace report for people: each lineage's five answers with their sources, then what was not reached. */
export function printTraceReport(
  out: Output,
  handle: string,
  report: TraceReport,
  skipped: readonly SkippedSystem[],
): void {
  if (report.lineages.length === 0) out.print(`nothing found for ${handle} (a ${report.handle.kind})`);
  for (const l of report.lineages) {
    printLineage(out, l);
    out.print();
  }
  if (report.unreachable.length > 0) {
    out.print("not reached:");
    for (const u of report.unreachable) out.print(`  ${u.system} ${u.lookup}: ${u.reason}, ${u.message}`);
  }
  for (const s of skipped) out.print(`not configured: ${s.system} (${s.why})`);
  out.print(`${report.requests.total} requests, ${report.requests.lookups} look-ups`);
}

/** Verify checks for people: one line each, failures first, then the counts. */
export function printChecks(out: Output, checks: readonly VerifyCheck[]): void {
  const order = { fail: 0, unknown: 1, pass: 2 } as const;
  const sorted = [...checks].sort((a, b) => order[a.status] - order[b.status]);
  out.table(
    ["status", "check", "lineage", "what was found"],
    sorted.map((c) => [
      c.status.toUpperCase(),
      c.id,
      c.lineage,
      c.status === "unknown" ? c.reason : c.message,
    ]),
  );
}
