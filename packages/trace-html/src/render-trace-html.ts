import { createHash } from "node:crypto";
import {
  parseTraceReport,
  type TraceHandle,
  type TraceReport,
  type VerifyCheck,
  type VerifyResult,
  type VerifyStatus,
} from "@modeltrail/core";
import { renderAnswers, renderSource } from "./answers-section.js";
import { type CheckMarks, edgeKey, type Mark, placeChecks } from "./check-marks.js";
import { escapeHtml, shorten } from "./escape-html.js";
import { type GraphLayout, type LayoutLink, layoutGraph } from "./graph-layout.js";
import { KIND_RANK, NODE_WIDTH, nodeHeight, renderNodeBox } from "./node-box.js";
import { PAGE_CSS, STATUS_COLORS } from "./page-style.js";

/** Options of {@link renderTraceHtml}. */
export interface RenderTraceHtmlOptions {
  /** The page title (default: `modeltrail trace: <the handle>`). */
  title?: string | undefined;
}

/** The checks to draw: those of a `verify()` result, or any object with `checks`. */
export type TraceHtmlChecks = Pick<VerifyResult, "checks">;

/** A handle in a few words: `deployment ml-serving/churn`, `models:/churn/3`, `commit 3f2a9c1d...`. */
export function describeHandle(handle: TraceHandle): string {
  switch (handle.kind) {
    case "log-line": {
      const f = handle.fields;
      const parts = ["git_sha", "run_id", "model_name", "model_version"]
        .filter((k) => f[k] !== undefined)
        .map((k) => `${k}=${String(f[k])}`);
      return `log line${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`;
    }
    case "deployment":
    case "pod":
      return `${handle.kind} ${handle.namespace}/${handle.name}`;
    case "image":
      return `image ${handle.ref}`;
    case "model-version":
      return `models:/${handle.name}/${handle.version}`;
    case "run":
      return `run ${handle.runId}`;
    case "commit":
      return `commit ${handle.gitSha}`;
  }
}

/** A handle in fewer words, for the page's heading: `log line: churn v3, commit 3f2a9c1d4b5e`. */
export function shortHandle(handle: TraceHandle): string {
  if (handle.kind === "log-line") {
    const f = handle.fields;
    const parts: string[] = [];
    if (f.model_name !== undefined)
      parts.push(
        `${String(f.model_name)}${f.model_version !== undefined ? ` v${String(f.model_version)}` : ""}`,
      );
    if (f.git_sha !== undefined) parts.push(`commit ${shorten(String(f.git_sha), 12)}`);
    if (f.run_id !== undefined) parts.push(`run ${String(f.run_id)}`);
    return `log line${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`;
  }
  if (handle.kind === "commit") return `commit ${handle.gitSha.slice(0, 12)}`;
  return describeHandle(handle);
}

const SYMBOL: Record<VerifyStatus, string> = { fail: "✗ fail", unknown: "? unknown", pass: "✓ pass" };

/**
 * Renders a TraceReport as one self-contained HTML page: the lineage graph (commit, CI run, job run
 * and cluster, MLflow run and data sets, model version, image and provenance, deployment with its
 * revisions, pods and nodes, the log line) drawn with inline SVG links between boxes that each show
 * the object's key facts and a link to it in its system; the verify checks drawn on the links and
 * boxes they are about (failing in red, undecided in amber, dashed); then the checks, the five
 * answers of each lineage with their sources, and what could not be reached.
 *
 * The page needs nothing else: no script at all, no font, image or style sheet fetched; its
 * Content-Security-Policy (`default-src 'none'`, the one style sheet allowed by its hash) forbids
 * anything else. Every value from the report is escaped, and only http(s) URLs without credentials
 * become links. The same report gives the same bytes.
 *
 * `checks` are drawn from `verifyResult.checks` when given, else from `report.checks` (a report
 * `verify()` wrote). Throws ValidationError when `report` (or a given check) does not match the
 * TraceReport schema, naming each field that does not.
 */
export function renderTraceHtml(
  report: TraceReport,
  verifyResult?: TraceHtmlChecks,
  options: RenderTraceHtmlOptions = {},
): string {
  const input =
    verifyResult === undefined
      ? report
      : { ...report, checks: verifyResult.checks, summary: summarize(verifyResult.checks ?? []) };
  const r = parseTraceReport(input);
  const checks = r.checks ?? [];
  const marks = placeChecks(r, checks);
  const { layout, domIds } = layoutReport(r, marks);

  const title = options.title ?? `modeltrail trace: ${shortHandle(r.handle)}`;
  const css = `${PAGE_CSS}${positionCss(layout, domIds)}`;
  const cspHash = createHash("sha256").update(css, "utf8").digest("base64");
  const csp = `default-src 'none'; style-src 'sha256-${cspHash}'; img-src 'none'; font-src 'none'; connect-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;

  const nodes = r.graph.nodes
    .map((n, k) => renderNodeBox(n, domIds.get(n.id) ?? `n${k}`, marks.nodes.get(n.id)))
    .join("\n");

  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="@modeltrail/trace-html">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${css}</style>`,
    "</head>",
    "<body>",
    renderHeader(r, title, checks),
    '<h2 id="graph-title">Lineage graph</h2>',
    `<div class="graph-scroll"><div class="graph" id="graph">`,
    renderLinks(r, layout, marks),
    nodes,
    "</div></div>",
    renderChecks(r, checks),
    renderLineages(r),
    renderUnreachable(r),
    `<footer>TraceReport schema version ${r.schemaVersion} · created ${escapeHtml(r.createdAt)} · ${r.requests.total} requests (${escapeHtml(
      Object.entries(r.requests.bySystem)
        .map(([s, n]) => `${s} ${n}`)
        .join(", "),
    )}) in ${r.requests.lookups} look-ups · rendered by @modeltrail/trace-html</footer>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function summarize(checks: readonly VerifyCheck[]): { pass: number; fail: number; unknown: number } {
  const s = { pass: 0, fail: 0, unknown: 0 };
  for (const c of checks) if (c && typeof c === "object" && c.status in s) s[c.status]++;
  return s;
}

/** Lays the graph out; DOM ids are `n<index>` so that no report value ends up in an id or a selector. */
function layoutReport(
  r: TraceReport,
  marks: CheckMarks,
): { layout: GraphLayout; domIds: Map<string, string> } {
  const domIds = new Map<string, string>();
  r.graph.nodes.forEach((n, k) => {
    if (!domIds.has(n.id)) domIds.set(n.id, `n${k}`);
  });
  const boxes = r.graph.nodes.map((n) => ({
    id: n.id,
    width: NODE_WIDTH,
    height: nodeHeight(n),
    rank: KIND_RANK[n.kind] ?? 99,
  }));
  const links: LayoutLink[] = [
    ...r.graph.edges.map((e) => ({ from: e.from, to: e.to })),
    ...marks.extraLinks.map((l) => ({ from: l.from, to: l.to })),
  ];
  return { layout: layoutGraph(boxes, links), domIds };
}

function positionCss(layout: GraphLayout, domIds: Map<string, string>): string {
  const lines = [`#graph{width:${layout.width}px;height:${layout.height}px}`];
  for (const b of layout.boxes) {
    const id = domIds.get(b.id);
    if (id) lines.push(`#${id}{left:${b.x}px;top:${b.y}px;height:${b.height}px}`);
  }
  return `${lines.join("\n")}\n`;
}

function colorOf(mark: Mark | undefined): string {
  return mark ? STATUS_COLORS[mark.status] : STATUS_COLORS.none;
}

function renderLinks(r: TraceReport, layout: GraphLayout, marks: CheckMarks): string {
  const edgeCount = r.graph.edges.length;
  const markers = (["none", "pass", "unknown", "fail"] as const)
    .map(
      (s) =>
        `<marker id="arrow-${s}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${STATUS_COLORS[s]}"/></marker>`,
    )
    .join("");
  const paths = layout.links.map((l) => {
    const edge = l.index < edgeCount ? r.graph.edges[l.index] : undefined;
    const mark = edge
      ? marks.edges.get(edgeKey(edge.from, edge.to))
      : marks.extraLinks[l.index - edgeCount]?.mark;
    const status = mark?.status ?? "none";
    const color = colorOf(mark);
    const width = status === "fail" ? 3 : status === "none" ? 1.5 : 2;
    const dashed = edge === undefined || status === "unknown" ? ' stroke-dasharray="6 4"' : "";
    const what = edge
      ? `${edge.relation}${edge.source ? ` — ${[edge.source.system, edge.source.object, edge.source.field].filter((x) => x).join(" · ")}` : ""}`
      : "checked link";
    const tip = [what, ...(mark?.checks ?? []).map((c) => `${c.status}: ${c.title} — ${c.message}`)].join(
      "\n",
    );
    const label =
      mark && status !== "pass"
        ? `<text x="${l.middle.x + 6}" y="${l.middle.y + 4}" fill="${color}" stroke="#ffffff" stroke-width="4" paint-order="stroke" font-size="12" font-weight="bold">${status === "fail" ? "✗" : "?"} ${escapeHtml(
            shorten(
              mark.checks
                .filter((c) => c.status === status)
                .map((c) => c.id)
                .join(", "),
              48,
            ),
          )}</text>`
        : "";
    return `<g class="link" data-from="${escapeHtml(l.from)}" data-to="${escapeHtml(l.to)}"${edge ? ` data-relation="${edge.relation}"` : ' data-relation="check"'}${mark ? ` data-check="${status}"` : ""}><title>${escapeHtml(tip)}</title><path d="${l.path}" fill="none" stroke="${color}" stroke-width="${width}"${dashed} marker-end="url(#arrow-${status})"/>${label}</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-labelledby="graph-title"><defs>${markers}</defs>${paths.join("")}</svg>`;
}

function renderHeader(r: TraceReport, title: string, checks: VerifyCheck[]): string {
  const pills: string[] = [];
  if (checks.length > 0) {
    const s = summarize(checks);
    const pill = (status: VerifyStatus, n: number, word: string) =>
      `<span class="pill ${n > 0 ? status : "info"}" data-summary="${status}">${n} ${word}</span>`;
    pills.push(
      pill("fail", s.fail, "failing"),
      pill("unknown", s.unknown, "unknown"),
      pill("pass", s.pass, "passing"),
    );
  } else {
    pills.push(
      '<span class="pill info">not verified: links drawn as found (modeltrail verify checks them)</span>',
    );
  }
  pills.push(
    `<span class="pill info">${r.lineages.length} ${r.lineages.length === 1 ? "lineage" : "lineages"}</span>`,
  );
  if (r.unreachable.length > 0)
    pills.push(`<span class="pill unknown">${r.unreachable.length} not reached</span>`);
  const legend = [
    '<span><span class="sw fail"></span>failing check</span>',
    '<span><span class="sw unknown"></span>undecided check</span>',
    '<span><span class="sw pass"></span>passing check</span>',
    '<span><span class="sw"></span>not checked</span>',
    '<span><span class="sw ref"></span>referenced, not fetched</span>',
  ].join("");
  return `<header class="page"><h1>${escapeHtml(title)}</h1><p class="meta">traced from ${escapeHtml(describeHandle(r.handle))} · ${escapeHtml(r.createdAt)}</p><div class="summary">${pills.join("")}</div><div class="legend">${legend}</div></header>`;
}

function renderValues(c: VerifyCheck): string {
  if (c.values.length === 0) return "";
  return `<ul class="values">${c.values
    .map(
      (v) =>
        `<li><code>${v.value === null ? "(none)" : escapeHtml(String(v.value))}</code> <span class="srcnote">from ${renderSource(v.source)}</span></li>`,
    )
    .join("")}</ul>`;
}

function renderChecks(r: TraceReport, checks: VerifyCheck[]): string {
  if (checks.length === 0) return "";
  const order = [...r.lineages.map((l) => l.id)];
  for (const c of checks) if (!order.includes(c.lineage)) order.push(c.lineage);
  const parts = ['<h2 id="checks">Checks</h2>'];
  for (const lineage of order) {
    const mine = checks.filter((c) => c.lineage === lineage);
    if (mine.length === 0) continue;
    parts.push(`<h3 class="mono">${escapeHtml(lineage)}</h3>`);
    parts.push(
      `<table class="checks"><thead><tr><th>outcome</th><th>check</th><th>found</th><th>values</th></tr></thead><tbody>${mine
        .map(
          (c) =>
            `<tr class="${c.status}" data-check-id="${c.id}"><td class="status">${SYMBOL[c.status]}</td><td>${escapeHtml(c.title)}<br><code>${c.id}</code></td><td>${escapeHtml(c.message)}${c.status === "unknown" ? `<br><span class="srcnote">${escapeHtml(c.reason)}</span>` : ""}</td><td>${renderValues(c)}</td></tr>`,
        )
        .join("")}</tbody></table>`,
    );
  }
  return parts.join("\n");
}

function renderLineages(r: TraceReport): string {
  if (r.lineages.length === 0) return '<h2 id="answers">Answers</h2><p>The handle matched nothing.</p>';
  const parts = ['<h2 id="answers">Answers</h2>'];
  for (const l of r.lineages) {
    parts.push(
      `<h3 class="mono">${escapeHtml(l.id)}</h3><p class="meta">matched by ${escapeHtml(l.matchedBy)}</p>`,
    );
    parts.push(renderAnswers(l));
  }
  return parts.join("\n");
}

function renderUnreachable(r: TraceReport): string {
  if (r.unreachable.length === 0) return "";
  return `<h2 id="unreachable">Not reached</h2><table class="unreachable"><thead><tr><th>system</th><th>look-up</th><th>why</th><th>message</th></tr></thead><tbody>${r.unreachable
    .map(
      (u) =>
        `<tr class="unknown"><td>${escapeHtml(u.system)}</td><td>${escapeHtml(u.lookup)}</td><td>${u.reason}</td><td>${escapeHtml(u.message)}${u.error ? ` <span class="srcnote">(${escapeHtml([u.error.name, u.error.code, u.error.status].filter((x) => x !== undefined).join(" "))})</span>` : ""}</td></tr>`,
    )
    .join("")}</tbody></table>`;
}
