import { isModelTrailError, type TraceReport } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderTraceHtml } from "../src/index.js";
import { commitReport, failingCheck, sampleReport, unknownCheck } from "./reports.js";

/** Every element the renderer writes; a tag outside this list came from a value that was not escaped. */
const ALLOWED_TAGS = new Set([
  "!doctype",
  "html",
  "head",
  "meta",
  "title",
  "style",
  "body",
  "header",
  "h1",
  "h2",
  "h3",
  "p",
  "div",
  "span",
  "article",
  "a",
  "svg",
  "defs",
  "marker",
  "path",
  "g",
  "text",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "code",
  "ul",
  "li",
  "br",
  "footer",
]);

function tags(html: string): string[] {
  return [...html.matchAll(/<\/?([!A-Za-z][^\s>/]*)/g)].map((m) => (m[1] as string).toLowerCase());
}

/**
 * The attribute names of every start tag, read the way an HTML tokenizer reads them (a quoted value
 * runs to its closing quote, whatever it holds), so text inside a value is never taken for an attribute.
 */
function attributeNames(html: string): string[] {
  const names: string[] = [];
  const re = /<([A-Za-z][^\s>/]*)/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    let i = m.index + m[0].length;
    for (;;) {
      while (/\s/.test(html[i] ?? "")) i++;
      const ch = html[i];
      if (ch === undefined || ch === ">") break;
      if (ch === "/") {
        i++;
        continue;
      }
      const start = i;
      while (i < html.length && !/[\s=>/]/.test(html[i] as string)) i++;
      names.push(html.slice(start, i).toLowerCase());
      while (/\s/.test(html[i] ?? "")) i++;
      if (html[i] !== "=") continue;
      i++;
      while (/\s/.test(html[i] ?? "")) i++;
      const q = html[i];
      if (q === '"' || q === "'") {
        const end = html.indexOf(q, i + 1);
        i = end < 0 ? html.length : end + 1;
      } else {
        while (i < html.length && !/[\s>]/.test(html[i] as string)) i++;
      }
    }
    re.lastIndex = i;
  }
  return names;
}

/** Every attribute the renderer writes. */
const ALLOWED_ATTRIBUTES = new Set([
  "lang",
  "charset",
  "http-equiv",
  "content",
  "name",
  "class",
  "id",
  "title",
  "href",
  "rel",
  "data-node-id",
  "data-kind",
  "data-state",
  "data-check",
  "data-from",
  "data-to",
  "data-relation",
  "data-summary",
  "data-check-id",
  "xmlns",
  "width",
  "height",
  "viewbox",
  "role",
  "aria-labelledby",
  "refx",
  "refy",
  "markerwidth",
  "markerheight",
  "orient",
  "d",
  "fill",
  "stroke",
  "stroke-width",
  "stroke-dasharray",
  "marker-end",
  "x",
  "y",
  "paint-order",
  "font-size",
  "font-weight",
  "html",
]);

describe("renderTraceHtml", () => {
  it("draws every node and edge of the sample report, with its facts and source links", () => {
    const report = sampleReport();
    const html = renderTraceHtml(report);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html.match(/<article /g)?.length).toBe(report.graph.nodes.length);
    expect(html.match(/<g class="link"/g)?.length).toBe(report.graph.edges.length);
    for (const n of report.graph.nodes) expect(html).toContain(`data-node-id="${n.id}"`);
    // the sample's own values (bench trace rewrites it with new names, ids and ports)
    const artifacts = report.lineages[0]?.artifacts;
    const model = `${artifacts?.modelName?.value} v${artifacts?.modelVersion?.value}`;
    expect(model).toMatch(/^churn-[0-9a-f]{6} v1$/);
    expect(html).toContain(model);
    expect(html).toContain("Standard_DS3_v2");
    const link = artifacts?.modelVersion?.source.url ?? "";
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#\/models\/churn-[0-9a-f]{6}\/versions\/1$/);
    expect(html).toContain(`href="${link}"`);
    // the report's own checks (it was written by verify()): all pass
    expect(html).toContain('data-summary="pass">11 passing');
    expect(html).not.toContain('data-check="fail"');
  });

  it("is self-contained: a strict CSP, no script, nothing fetched", () => {
    const html = renderTraceHtml(sampleReport());
    const csp = (
      /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? ""
    ).replaceAll("&#39;", "'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).not.toContain("unsafe");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(tags(html)).not.toContain("script");
    expect(tags(html)).not.toContain("link");
    expect(tags(html)).not.toContain("img");
    expect(html).not.toMatch(/\ssrc=/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/@import|@font-face/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it("is deterministic: the same report gives the same bytes", () => {
    const a = renderTraceHtml(sampleReport());
    const b = renderTraceHtml(structuredClone(sampleReport()));
    expect(b).toBe(a);
    const c = renderTraceHtml(commitReport(4));
    expect(renderTraceHtml(commitReport(4))).toBe(c);
  });

  it("draws a failing check in red on its link and both nodes, an unknown one apart", () => {
    const report = sampleReport();
    const fail = failingCheck(report);
    const unknown = unknownCheck(report);
    const html = renderTraceHtml(report, { checks: [fail, unknown] });
    const mv = fail.link?.from as string;
    const img = fail.link?.to as string;
    expect(html).toMatch(new RegExp(`<article class="[^"]*check-fail[^"]*"[^>]*data-node-id="${mv}"`));
    expect(html).toMatch(new RegExp(`<article class="[^"]*check-fail[^"]*"[^>]*data-node-id="${img}"`));
    expect(html).toMatch(
      new RegExp(
        `<g class="link" data-from="${mv}" data-to="${img}"[^>]*data-check="fail"><title>[^<]*</title><path [^>]*stroke="#c62828" stroke-width="3"`,
      ),
    );
    expect(html).toMatch(/<article class="[^"]*check-unknown[^"]*"[^>]*data-kind="dataset"/);
    expect(html).toContain('data-summary="fail">1 failing');
    expect(html).toContain('data-summary="unknown">1 unknown');
    expect(html).toContain("the image names commit aaaa, the model version names commit bbbb");
    expect(html).toContain("MLflow could not be reached");
  });

  it("draws a checked link the graph lacks as a dashed connector of its own", () => {
    const report = sampleReport();
    const fail = { ...failingCheck(report) };
    const dep = report.graph.nodes.find((n) => n.kind === "deployment")?.id as string;
    const mv = report.graph.nodes.find((n) => n.kind === "model-version")?.id as string;
    fail.link = { from: mv, to: dep };
    const html = renderTraceHtml(report, { checks: [fail] });
    expect(html).toMatch(
      new RegExp(
        `<g class="link" data-from="${mv}" data-to="${dep}" data-relation="check" data-check="fail">`,
      ),
    );
  });

  it("lays out a commit with several model versions", () => {
    const html = renderTraceHtml(commitReport(5));
    expect(html.match(/<article /g)?.length).toBe(1 + 5 * 4 + 3);
    expect(html).toContain("5 lineages");
    expect(html).toContain("churn v5");
  });

  it("shows what could not be reached", () => {
    const report: TraceReport = {
      ...sampleReport(),
      unreachable: [
        {
          system: "databricks",
          lookup: "job run 1",
          reason: "failed",
          message: "HTTP 503",
          error: { name: "ServerError", status: 503 },
        },
      ],
    };
    const html = renderTraceHtml(report);
    expect(html).toContain("Not reached");
    expect(html).toContain("HTTP 503");
    expect(html).toContain("1 not reached");
  });

  it("links only http(s) URLs without credentials", () => {
    const report = sampleReport();
    const nodes = report.graph.nodes.map((n, k) => {
      const urls = [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "https://user:pw@host.example/x",
        "//host.example/x",
      ];
      const url = urls[k % urls.length] as string;
      return { ...n, url, source: n.source ? { ...n.source, url } : undefined };
    });
    const html = renderTraceHtml({
      ...report,
      graph: { ...report.graph, nodes },
      lineages: [],
      checks: undefined,
      summary: undefined,
    });
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual([]);
    expect(html).not.toContain("pw@");
  });

  it("rejects what is not a TraceReport with a ValidationError naming the field", () => {
    const report = sampleReport();
    expect(() => renderTraceHtml({} as TraceReport)).toThrow(/Invalid TraceReport/);
    try {
      renderTraceHtml({ ...report, graph: { nodes: [{ id: "x" }], edges: [] } } as unknown as TraceReport);
      expect.unreachable();
    } catch (err) {
      expect(isModelTrailError(err)).toBe(true);
      expect((err as Error).name).toBe("ValidationError");
      expect((err as Error).message).toContain("graph.nodes[0].kind");
    }
    expect(() => renderTraceHtml(report, { checks: [{ id: "nope" }] } as never)).toThrow(/checks\[0\]/);
  });
});

describe("renderTraceHtml with hostile values", () => {
  const hostile = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.constantFrom(
      "<script>alert(1)</script>",
      '"><img src=x onerror=alert(1)>',
      "'><svg onload=alert(1)>",
      "</style><script>x</script>",
      "</title><script>x</script>",
      "javascript:alert(1)",
      "&lt;script&gt;",
      "]]><!--",
      "\u0000\u202e\ud800",
      "<style>*{display:none}</style>",
    ),
    fc
      .array(fc.constantFrom("<", ">", '"', "'", "&", "=", "/", " ", "a", "on", "script", "\n", "`"), {
        maxLength: 30,
      })
      .map((p) => p.join("")),
  );

  it("escapes every value a server sent: no element, attribute or handler comes from a value", () => {
    const base = sampleReport();
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (a, b, c, d) => {
        const nodes = base.graph.nodes.map((n, k) => ({
          ...n,
          id: k === 3 ? `${n.id}${a}` : n.id,
          label: `${n.label}${b}`,
          facts: { ...n.facts, [c || "k"]: d },
          source: n.source
            ? { ...n.source, object: `${n.source.object}${a}`, field: c || undefined }
            : undefined,
          url: `http://127.0.0.1/${d}`,
        }));
        const oldId = base.graph.nodes[3]?.id as string;
        const newId = nodes[3]?.id as string;
        const edges = base.graph.edges.map((e) => ({
          ...e,
          from: e.from === oldId ? newId : e.from,
          to: e.to === oldId ? newId : e.to,
          source: e.source ? { ...e.source, field: b || undefined } : undefined,
        }));
        const check = failingCheck(base);
        const report: TraceReport = {
          ...base,
          handle: { kind: "log-line", fields: { git_sha: a, run_id: b } },
          graph: { nodes, edges },
          unreachable: [{ system: a || "x", lookup: b, reason: "failed", message: c }],
          lineages: base.lineages.map((l) => ({ ...l, matchedBy: d, id: l.id })),
        };
        const html = renderTraceHtml(report, {
          checks: [
            {
              ...check,
              title: a,
              message: b,
              values: [{ value: c, source: { system: "x", object: d || "o" } }],
            },
          ],
        });
        for (const t of tags(html)) expect(ALLOWED_TAGS.has(t), `unexpected <${t}>`).toBe(true);
        for (const a of attributeNames(html))
          expect(ALLOWED_ATTRIBUTES.has(a), `unexpected attribute ${a}`).toBe(true);
        expect(html.match(/<article /g)?.length).toBe(nodes.length);
        expect(html.match(/<style>/g)?.length).toBe(1);
        expect(html.match(/<\/style>/g)?.length).toBe(1);
        expect([...html].some((ch) => ch < " " && ch !== "\n" && ch !== "\t")).toBe(false);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});
