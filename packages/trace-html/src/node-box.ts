import type { TraceNode, TraceNodeKind } from "@modeltrail/core";
import type { Mark } from "./check-marks.js";
import { escapeHtml, safeLinkUrl, shorten } from "./escape-html.js";

/** Width of every node box, in CSS pixels. */
export const NODE_WIDTH = 288;
/** Facts shown on a box; the rest are listed in its tooltip. */
export const MAX_FACTS = 5;

const LINE = 18;
const PAD = 10;
/** Characters of a fact value shown before it is shortened around an ellipsis. */
const VALUE_CHARS = 30;
const LABEL_CHARS = 34;

/** What each kind of node is called on the page. */
export const KIND_NAMES: Record<TraceNodeKind, string> = {
  commit: "commit",
  "ci-run": "CI run",
  job: "job",
  "job-run": "job run",
  "task-run": "task run",
  cluster: "cluster",
  "mlflow-run": "MLflow run",
  dataset: "dataset",
  "model-version": "model version",
  image: "image",
  "base-image": "base image",
  provenance: "provenance",
  deployment: "deployment",
  "replica-set": "revision",
  pod: "pod",
  node: "node",
  "log-line": "log line",
};

/** The order of kinds upstream to downstream, which orders boxes of one row before the sweeps. */
export const KIND_RANK: Record<TraceNodeKind, number> = {
  commit: 0,
  "ci-run": 1,
  job: 2,
  "job-run": 3,
  "task-run": 4,
  cluster: 5,
  dataset: 6,
  "mlflow-run": 7,
  "model-version": 8,
  "base-image": 9,
  provenance: 10,
  image: 11,
  deployment: 12,
  "replica-set": 13,
  pod: 14,
  node: 15,
  "log-line": 16,
};

const STATE_NAMES: Record<TraceNode["state"], string> = {
  resolved: "",
  referenced: "referenced",
  "not-found": "not found",
  unreachable: "unreachable",
};

const STATUS_WORDS = { fail: "failing", unknown: "unknown", pass: "passing" } as const;

/** The facts a box shows (at most {@link MAX_FACTS}) and how many it leaves to the tooltip. */
function shownFacts(node: TraceNode): { shown: [string, string][]; hidden: number } {
  const all = Object.entries(node.facts);
  return { shown: all.slice(0, MAX_FACTS), hidden: Math.max(0, all.length - MAX_FACTS) };
}

/** Height of a node's box: header, label, facts, a "more" line when facts are hidden, the source line. */
export function nodeHeight(node: TraceNode): number {
  const { shown, hidden } = shownFacts(node);
  return PAD * 2 + LINE * (3 + shown.length + (hidden > 0 ? 1 : 0)) + 6;
}

/** The source of a node in words: system, object, field. */
function sourceText(node: TraceNode): string {
  const s = node.source;
  if (!s) return node.system ?? "";
  return [s.system, s.object, s.field].filter((p) => p !== undefined && p !== "").join(" · ");
}

/**
 * One node as an HTML `<article>`: kind and system, label, its key facts, the worst verify outcome
 * of its checks, and its source link (only an http(s) URL without credentials becomes a link).
 * Every value is escaped; long values are shortened on the box and given whole in the tooltip.
 */
export function renderNodeBox(node: TraceNode, domId: string, mark: Mark | undefined): string {
  const classes = ["node", `kind-${node.kind}`, `state-${node.state}`];
  if (mark) classes.push(`check-${mark.status}`);
  const { shown, hidden } = shownFacts(node);
  const state = STATE_NAMES[node.state];
  const badges: string[] = [];
  if (state) badges.push(`<span class="badge state">${escapeHtml(state)}</span>`);
  if (mark) {
    const n = mark.checks.filter((c) => c.status === mark.status).length;
    const symbol = mark.status === "fail" ? "✗" : mark.status === "unknown" ? "?" : "✓";
    const titles = mark.checks.map((c) => `${c.status}: ${c.title} — ${c.message}`).join("\n");
    badges.push(
      `<span class="badge verdict ${mark.status}" title="${escapeHtml(titles)}">${symbol} ${n} ${STATUS_WORDS[mark.status]}</span>`,
    );
  }
  const facts = shown
    .map(
      ([k, v]) =>
        `<div class="fact"><span class="k" title="${escapeHtml(k)}">${escapeHtml(shorten(k, 14))}</span><span class="v" title="${escapeHtml(v)}">${escapeHtml(shorten(v, VALUE_CHARS))}</span></div>`,
    )
    .join("");
  const more =
    hidden > 0
      ? `<div class="fact more" title="${escapeHtml(
          Object.entries(node.facts)
            .slice(MAX_FACTS)
            .map(([k, v]) => `${k}: ${v}`)
            .join("\n"),
        )}">+ ${hidden} more</div>`
      : "";
  const url = safeLinkUrl(node.url ?? node.source?.url);
  const srcText = sourceText(node);
  const source = url
    ? `<a class="src" href="${escapeHtml(url)}" rel="noopener noreferrer" title="${escapeHtml(url)}">${escapeHtml(shorten(srcText || url, 44))} ↗</a>`
    : `<span class="src" title="${escapeHtml(srcText)}">${escapeHtml(shorten(srcText || "no source", 44))}</span>`;
  return [
    `<article class="${classes.join(" ")}" id="${domId}" data-node-id="${escapeHtml(node.id)}" data-kind="${node.kind}" data-state="${node.state}"${mark ? ` data-check="${mark.status}"` : ""}>`,
    `<header><span class="kind">${escapeHtml(KIND_NAMES[node.kind] ?? node.kind)}</span>${badges.join("")}<span class="system">${escapeHtml(node.system ?? "")}</span></header>`,
    `<h3 title="${escapeHtml(node.label)}">${escapeHtml(shorten(node.label, LABEL_CHARS))}</h3>`,
    facts,
    more,
    source,
    "</article>",
  ].join("");
}
