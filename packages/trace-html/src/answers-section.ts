import type { TraceLineage, TraceSource } from "@modeltrail/core";
import { escapeHtml, safeLinkUrl, shorten } from "./escape-html.js";

interface Traced {
  value: string | number | boolean;
  source: TraceSource;
  confirmedBy?: TraceSource[] | undefined;
  conflicts?: { value: string | number | boolean; source: TraceSource }[] | undefined;
}

function isTraced(v: unknown): v is Traced {
  return typeof v === "object" && v !== null && "value" in v && "source" in v;
}

/** `jobRunId` -> `job run id`. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** A source in words, linked when its URL is safe to follow. */
export function renderSource(s: TraceSource): string {
  const text = escapeHtml([s.system, s.object, s.field].filter((p) => p).join(" · "));
  const url = safeLinkUrl(s.url);
  return url ? `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${text}</a>` : text;
}

function row(question: string, name: string, t: Traced): string {
  const confirmed = t.confirmedBy?.length ?? 0;
  const conflicts = (t.conflicts ?? [])
    .map(
      (c) =>
        `<div class="conflict">disagrees: <code>${escapeHtml(shorten(String(c.value), 80))}</code> from ${renderSource(c.source)}</div>`,
    )
    .join("");
  return `<tr${conflicts ? ' class="fail"' : ""}><td>${escapeHtml(question)}</td><td>${escapeHtml(words(name))}</td><td class="answer"><code>${escapeHtml(String(t.value))}</code>${conflicts}</td><td class="srcnote">${renderSource(t.source)}${confirmed > 0 ? ` (+${confirmed} agree)` : ""}</td></tr>`;
}

/** Rows of one section: its traced values and traced maps (parameters, metrics, ...), in schema order. */
function sectionRows(question: string, section: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(section)) {
    if (isTraced(v)) out.push(row(question, key, v));
    else if (key === "files" || key === "nodes" || key === "revisions" || key === "libraries") continue;
    else if (key === "provenance" || key === "datasets") continue;
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, t] of Object.entries(v))
        if (isTraced(t)) out.push(row(question, `${words(key)} ${k}`, t));
    }
  }
  return out;
}

/**
 * The five answers of one lineage as a table (question, name, value, source with its link, how many
 * other sources agree, which disagree): the code, infrastructure and environment for training and
 * for serving, the artifacts, and the data sets. Every value is escaped.
 */
export function renderAnswers(lineage: TraceLineage): string {
  const rows = [
    ...sectionRows("1 code", lineage.code),
    ...sectionRows("2 training infrastructure", lineage.infrastructure.training),
    ...sectionRows("2 serving infrastructure", lineage.infrastructure.serving),
    ...sectionRows("3 training environment", lineage.environment.training),
    ...sectionRows("3 serving environment", lineage.environment.serving),
    ...sectionRows("4 artifacts", lineage.artifacts),
  ];
  const p = lineage.artifacts.provenance;
  if (p) {
    const state =
      p.verified === true
        ? "signed, verified"
        : p.verified === false
          ? "signed, does NOT verify"
          : p.signed
            ? "signed, not verified (no key)"
            : "unsigned";
    rows.push(
      `<tr${p.verified === false ? ' class="fail"' : ""}><td>4 artifacts</td><td>provenance</td><td class="answer"><code>${escapeHtml(shorten(p.digest, 40))}</code> ${escapeHtml(state)}${p.gitCommit ? `, commit <code>${escapeHtml(p.gitCommit)}</code>` : ""}</td><td class="srcnote">${renderSource(p.source)}</td></tr>`,
    );
  }
  for (const d of lineage.data.datasets) {
    const facts = [
      d.digest ? `digest ${d.digest}` : "no digest",
      d.uri,
      d.version ? `version ${d.version}` : undefined,
      d.context,
    ]
      .filter((x) => x)
      .join(", ");
    rows.push(
      `<tr><td>5 data</td><td>dataset</td><td class="answer"><code>${escapeHtml(d.name)}</code> ${escapeHtml(facts)}</td><td class="srcnote">${renderSource(d.source)}</td></tr>`,
    );
  }
  if (lineage.data.datasets.length === 0) {
    rows.push(
      '<tr><td>5 data</td><td>dataset</td><td class="answer">none recorded on the run</td><td></td></tr>',
    );
  }
  return `<table class="answers"><thead><tr><th>question</th><th>what</th><th>answer</th><th>source</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
