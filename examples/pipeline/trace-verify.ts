/**
 * Step 6 of the reference pipeline, the incident: "which model is answering, and where did it come
 * from?" From what you have in hand (a prediction's JSON log line, a Deployment, an image, a model
 * version), `trace()` answers the five questions (code, infrastructure, environment, artifacts,
 * data; training and serving apart), each value with the system and object it came from, and
 * `verify()` checks every link between the systems (commit and run id from the deployment through
 * the image and the model version to the training run and the job run, the deployed digest, the
 * model layer against the model version's files, the signed provenance, the data digests).
 *
 * Both take the resolvers you configured: one per system you can reach. Core imports none of them.
 */

import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import {
  type TracedValue,
  type TraceHandle,
  type TraceLineage,
  type TraceReport,
  type TraceResolver,
  trace,
  type VerifyCheck,
  type VerifyResult,
  verify,
} from "@modeltrail/core";
import { renderTraceHtml } from "@modeltrail/trace-html";
import { bold, dim, green, heading, red, say, yellow } from "../lib/print.ts";

/** A system left out of the trace, and why (said in the output and the result). */
export interface NotConfigured {
  system: string;
  why: string;
}

/** Options of {@link traceAndVerify}. */
export interface TraceAndVerifyOptions {
  /** One resolver per system the pipeline can reach. */
  resolvers: TraceResolver[];
  /** Systems left out, with the reason (printed). */
  notConfigured?: NotConfigured[] | undefined;
  /** Where the handle came from, for the account (`the prediction's log line`, ...). */
  origin: string;
  signal?: AbortSignal | undefined;
}

/** What step 6 found: the trace report and the verify result (whose report also holds the checks). */
export interface TraceAndVerifyResult {
  report: TraceReport;
  verified: VerifyResult;
}

/**
 * Traces `handle` through `resolvers` and prints the five answers with their sources, then verifies
 * every link and prints the checks. Throws what `trace()` / `verify()` throw (a handle it cannot
 * read: ValidationError; an abort: AbortError); a system that fails is reported, not thrown.
 */
export async function traceAndVerify(
  handle: TraceHandle | string | Record<string, unknown>,
  options: TraceAndVerifyOptions,
): Promise<TraceAndVerifyResult> {
  const { resolvers, signal } = options;
  heading(`trace(${describeHandle(handle)}, { resolvers })`);
  say(dim(`from ${options.origin}`), 4);
  say(
    dim(
      brief(
        `resolvers: ${resolvers.map((r) => `${r.system}${r.location ? ` (${r.location})` : ""}`).join(", ")}`,
      ),
    ),
    4,
  );
  for (const n of options.notConfigured ?? []) say(dim(`not configured: ${n.system} (${n.why})`), 4);
  const report = await trace(handle, { resolvers, signal });
  printReport(report);

  heading("verify(): every link between the systems");
  // artifacts: "digests" streams the image's model layer and the model version's files and compares
  // them file by file; requireProvenance: an image without a signed attestation fails.
  const verified = await verify(handle, { resolvers, signal, artifacts: "digests", requireProvenance: true });
  printChecks(verified.checks);
  const s = verified.summary;
  say(
    `${verified.ok ? green(bold("verify: ok")) : red(bold("verify: FAILED"))}  ${s.pass} passed, ${s.fail} failed, ${s.unknown} unknown  ${dim(`(${verified.report.requests.total} requests)`)}`,
    4,
  );
  return { report, verified };
}

function describeHandle(handle: TraceHandle | string | Record<string, unknown>): string {
  if (typeof handle === "string") return JSON.stringify(brief(handle));
  if ("kind" in handle && handle.kind === "log-line") return "the log line's trace fields";
  if ("kind" in handle) return brief(JSON.stringify(handle));
  return "the log line";
}

type Row = [string, string, string];

/** Names shown first in a map (the container env): the two a prediction's log line carries. */
const MAIN = { GIT_SHA: true, RUN_ID: true } as const;

/** `jobRunId` -> `job run id`. */
function label(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** For reading, not for the JSON: digests cut to 12 hex digits, paths relative to the working directory. */
function brief(text: string): string {
  const cwd = `${process.cwd()}/`;
  return text
    .split(cwd)
    .join("")
    .replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1…");
}

function source(v: { source: { system: string; object: string; field?: string | undefined } }): string {
  return brief(`${v.source.system}: ${v.source.object}${v.source.field ? `, ${v.source.field}` : ""}`);
}

function isTraced(v: unknown): v is TracedValue {
  return typeof v === "object" && v !== null && "value" in v && "source" in v;
}

/** The traced values of a section as rows (maps such as params and runtime on one line each). */
function rows(section: object, keys?: readonly string[]): Row[] {
  const out: Row[] = [];
  for (const [key, v] of Object.entries(section)) {
    if (keys && !keys.includes(key)) continue;
    if (isTraced(v)) {
      const conflicts = v.conflicts?.length
        ? red(
            ` (disagrees: ${v.conflicts.map((c) => `${String(c.value)} in ${c.source.system}`).join(", ")})`,
          )
        : "";
      const confirmed = v.confirmedBy?.length ? dim(` +${v.confirmedBy.length} agree`) : "";
      out.push([label(key), `${String(v.value)}${conflicts}`, `${source(v)}${confirmed}`]);
    } else if (v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every(isTraced)) {
      const entries = Object.entries(v as Record<string, TracedValue>);
      if (entries.length === 0) continue;
      const first = entries[0]![1];
      // the trace's own names first (GIT_SHA, RUN_ID), at most four shown
      const shown = [...entries].sort(([a], [b]) => Number(b in MAIN) - Number(a in MAIN)).slice(0, 4);
      const more = entries.length > shown.length ? dim(` +${entries.length - shown.length} more`) : "";
      out.push([
        label(key),
        `${shown.map(([k, t]) => `${k}=${String(t.value)}`).join(" ")}${more}`,
        source(first),
      ]);
    }
  }
  return out;
}

function printRows(title: string, r: Row[]): void {
  say(bold(title), 4);
  if (r.length === 0) {
    say(dim("(nothing found)"), 7);
    return;
  }
  const w0 = Math.max(...r.map((x) => x[0].length));
  for (const [k, v, s] of r) {
    say(`${k.padEnd(w0)}  ${v.startsWith("oci:") ? brief(v) : v}`, 7);
    say(dim(`${" ".repeat(w0)}  <- ${s}`), 7);
  }
}

/** The five answers of one lineage, each with where it came from. */
export function printLineage(l: TraceLineage): void {
  say(`${bold(`lineage ${l.id}`)} ${dim(`(matched by ${l.matchedBy})`)}`, 4);
  printRows("1. Code", rows(l.code));
  const serving = l.infrastructure.serving;
  printRows("2. Infrastructure: training", rows(l.infrastructure.training));
  const servingRows = rows(serving);
  for (const rev of serving.revisions ?? [])
    servingRows.push([
      `revision ${rev.revision}${rev.live ? " (live)" : ""}`,
      `run ${rev.runId ?? "?"}, commit ${rev.gitSha?.slice(0, 12) ?? "?"}`,
      source(rev),
    ]);
  for (const node of serving.nodes ?? [])
    servingRows.push([
      `node ${node.name}`,
      [node.kubeletVersion, node.osImage, node.architecture].filter(Boolean).join(", "),
      source(node),
    ]);
  printRows("2. Infrastructure: serving", servingRows);
  printRows("3. Environment: training", rows(l.environment.training));
  printRows("3. Environment: serving", rows(l.environment.serving));
  const artifacts = rows(l.artifacts, [
    "mlflowRunId",
    "modelName",
    "modelVersion",
    "modelSource",
    "imageRef",
    "imageDigest",
    "modelLayerDigest",
    "metrics",
  ]);
  const files = l.artifacts.files ?? [];
  if (files.length > 0)
    artifacts.push([
      "files",
      `${files.length} (${files
        .slice(0, 3)
        .map((f) => f.path)
        .join(", ")}${files.length > 3 ? ", ..." : ""})`,
      source(files[0]!),
    ]);
  const p = l.artifacts.provenance;
  if (p)
    artifacts.push([
      "provenance",
      `${p.verified === true ? "signed, verified" : p.signed ? "signed, NOT verified" : "unsigned"}, commit ${p.gitCommit ?? "?"}`,
      source(p),
    ]);
  printRows("4. Artifacts", artifacts);
  printRows(
    "5. Data",
    l.data.datasets.map((d) => [d.name, [d.digest, d.uri].filter(Boolean).join(" "), source(d)]),
  );
}

/** A trace report for people: every lineage's five answers, what was not reached, the request count. */
export function printReport(report: TraceReport): void {
  if (report.lineages.length === 0) say(yellow(`nothing found for the ${report.handle.kind}`), 4);
  for (const l of report.lineages) printLineage(l);
  if (report.unreachable.length > 0) {
    say(bold("not reached"), 4);
    for (const u of report.unreachable) say(brief(`${u.system}, ${u.reason}: ${u.message}`), 7);
  }
  say(
    dim(
      `${report.requests.total} requests (${Object.entries(report.requests.bySystem)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")}), ${report.requests.lookups} look-ups`,
    ),
    4,
  );
}

/** Verify checks for people: failures first, then unknowns, then passes. */
export function printChecks(checks: readonly VerifyCheck[]): void {
  const order = { fail: 0, unknown: 1, pass: 2 } as const;
  const sorted = [...checks].sort((a, b) => order[a.status] - order[b.status]);
  const w = Math.max(0, ...sorted.map((c) => c.id.length));
  for (const c of sorted) {
    const mark =
      c.status === "pass" ? green("PASS   ") : c.status === "fail" ? red("FAIL   ") : yellow("UNKNOWN");
    say(`${mark} ${c.id.padEnd(w)}  ${brief(c.status === "unknown" ? c.reason : c.message)}`, 4);
  }
}

/**
 * Writes the trace page: verify()'s report with its checks drawn on the lineage graph
 * (`renderTraceHtml`, one self-contained HTML file: inline SVG and CSS, no script, nothing fetched).
 * Written to a temporary file next to `path`, read back and compared, then renamed over `path`, so a
 * crash never leaves half a page. Throws what renderTraceHtml throws (ValidationError for a report
 * that does not match the schema) and file system errors.
 */
export async function writeTracePage(path: string, verified: VerifyResult): Promise<string> {
  const html = renderTraceHtml(verified.report, verified);
  const temp = `${path}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(temp, html, { flag: "wx" });
    if ((await readFile(temp, "utf8")) !== html) throw new Error(`${temp} does not read back as written`);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return path;
}

/** What {@link lineageDifferences} compares: the ids a trace's lineage names. */
export interface LineageIds {
  handle: string;
  gitSha?: string | undefined;
  jobRunId?: string | undefined;
  imageDigest?: string | undefined;
}

/**
 * What two traces' lineages name differently (the commit, the job run id, the image digest), one
 * line each; empty when they name the same. A value one of them lacks is a difference too: both
 * traces are meant to reach the whole lineage.
 */
export function lineageDifferences(a: LineageIds, b: LineageIds): string[] {
  const out: string[] = [];
  for (const [key, what] of [
    ["gitSha", "commit"],
    ["jobRunId", "job run id"],
    ["imageDigest", "image digest"],
  ] as const) {
    if (a[key] === undefined || a[key] !== b[key])
      out.push(`${what}: ${a[key] ?? "none"} from ${a.handle}, ${b[key] ?? "none"} from ${b.handle}`);
  }
  return out;
}
