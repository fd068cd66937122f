import type {
  TraceGraph,
  TraceNodeKind,
  TraceReport,
  VerifyCheck,
  VerifyCheckId,
  VerifyStatus,
} from "@modeltrail/core";

/** The verify outcome drawn on one node or link: the worst of its checks (fail, then unknown, then pass). */
export interface Mark {
  status: VerifyStatus;
  checks: VerifyCheck[];
}

/** A checked link that is not an edge of the graph: drawn as a dashed connector of its own. */
export interface CheckLink {
  from: string;
  to: string;
  mark: Mark;
}

/** Where verify checks are drawn: on nodes, on edges (`from` NUL `to`) and on connectors of their own. */
export interface CheckMarks {
  nodes: Map<string, Mark>;
  edges: Map<string, Mark>;
  extraLinks: CheckLink[];
}

/** The node kinds a check is about, for checks that name no link (or whose link is not drawn). */
const CHECK_KINDS: Record<VerifyCheckId, TraceNodeKind[]> = {
  "commit.deployment-image": ["deployment", "image"],
  "commit.image-model-version": ["image", "model-version"],
  "commit.model-version-run": ["model-version", "mlflow-run"],
  "commit.run-job": ["mlflow-run", "job-run"],
  "run-id.deployment-image": ["deployment", "image"],
  "run-id.image-model-version": ["image", "model-version"],
  "image.deployed-digest": ["deployment", "image"],
  "artifacts.model-layer": ["model-version", "image"],
  "provenance.signature": ["provenance"],
  "provenance.commit": ["provenance"],
  "data.digests": ["dataset"],
};

const SEVERITY: Record<VerifyStatus, number> = { pass: 0, unknown: 1, fail: 2 };

/** The key of an edge in {@link CheckMarks.edges}. */
export function edgeKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function add(map: Map<string, Mark>, key: string, check: VerifyCheck): void {
  const m = map.get(key);
  if (!m) {
    map.set(key, { status: check.status, checks: [check] });
    return;
  }
  m.checks.push(check);
  if (SEVERITY[check.status] > SEVERITY[m.status]) m.status = check.status;
}

/**
 * The nodes of one lineage: everything upstream and downstream of its anchor, plus what attests or
 * underlies an image of it (provenance, base image).
 */
export function lineageNodes(graph: TraceGraph, anchor: string): Set<string> {
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  for (const e of graph.edges) {
    (down.get(e.from) ?? down.set(e.from, []).get(e.from))?.push(e.to);
    (up.get(e.to) ?? up.set(e.to, []).get(e.to))?.push(e.from);
  }
  const out = new Set<string>([anchor]);
  for (const adj of [up, down]) {
    const stack = [anchor];
    const seen = new Set<string>([anchor]);
    while (stack.length > 0) {
      const v = stack.pop() as string;
      for (const n of adj.get(v) ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        out.add(n);
        stack.push(n);
      }
    }
  }
  for (const e of graph.edges) {
    if ((e.relation === "attests" || e.relation === "based-on") && out.has(e.to)) out.add(e.from);
  }
  return out;
}

/**
 * Places each check on the graph: a check with a link on the edge between the two nodes it joins
 * (or, when the graph has no such edge, on a connector of its own) and on both nodes; a check
 * without a link on the nodes of its lineage it is about (the data sets for `data.digests`, the
 * provenance for `provenance.*`, ...). A node or edge shows the worst status of its checks.
 */
export function placeChecks(report: TraceReport, checks: readonly VerifyCheck[]): CheckMarks {
  const marks: CheckMarks = { nodes: new Map(), edges: new Map(), extraLinks: [] };
  const nodeIds = new Set(report.graph.nodes.map((n) => n.id));
  const edgeKeys = new Set(report.graph.edges.map((e) => edgeKey(e.from, e.to)));
  const extra = new Map<string, CheckLink>();
  const lineageSets = new Map<string, Set<string>>();
  const setOf = (lineageId: string): Set<string> => {
    let s = lineageSets.get(lineageId);
    if (!s) {
      const anchor = report.lineages.find((l) => l.id === lineageId)?.anchor;
      s = anchor !== undefined && nodeIds.has(anchor) ? lineageNodes(report.graph, anchor) : new Set();
      lineageSets.set(lineageId, s);
    }
    return s;
  };
  for (const check of checks) {
    const l = check.link;
    if (l && nodeIds.has(l.from) && nodeIds.has(l.to)) {
      add(marks.nodes, l.from, check);
      add(marks.nodes, l.to, check);
      const key = edgeKey(l.from, l.to);
      const reverse = edgeKey(l.to, l.from);
      if (edgeKeys.has(key)) add(marks.edges, key, check);
      else if (edgeKeys.has(reverse)) add(marks.edges, reverse, check);
      else {
        const link = extra.get(key);
        if (!link)
          extra.set(key, { from: l.from, to: l.to, mark: { status: check.status, checks: [check] } });
        else {
          link.mark.checks.push(check);
          if (SEVERITY[check.status] > SEVERITY[link.mark.status]) link.mark.status = check.status;
        }
      }
      continue;
    }
    const kinds = CHECK_KINDS[check.id] ?? [];
    const inLineage = setOf(check.lineage);
    for (const node of report.graph.nodes) {
      if (kinds.includes(node.kind) && inLineage.has(node.id)) add(marks.nodes, node.id, check);
    }
  }
  marks.extraLinks.push(...extra.values());
  return marks;
}
