import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml, safeLinkUrl, shorten } from "../src/escape-html.js";
import { layoutGraph, type PlacedBox } from "../src/graph-layout.js";

function overlap(a: PlacedBox, b: PlacedBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** A random graph: n boxes, links mostly downstream (a few backwards to make cycles), some repeated. */
const graphs = fc.integer({ min: 1, max: 18 }).chain((n) =>
  fc.record({
    sizes: fc.array(fc.integer({ min: 40, max: 200 }), { minLength: n, maxLength: n }),
    links: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 3 * n }),
  }),
);

describe("layoutGraph", () => {
  it("places boxes without overlaps, inside the drawing, each link below its source", () => {
    fc.assert(
      fc.property(graphs, ({ sizes, links }) => {
        const boxes = sizes.map((h, k) => ({ id: `b${k}`, width: 120, height: h, rank: k % 3 }));
        const ls = links.map(([a, b]) => ({ from: `b${a}`, to: `b${b}` }));
        const layout = layoutGraph(boxes, ls);
        expect(layout.boxes).toHaveLength(boxes.length);
        for (let i = 0; i < layout.boxes.length; i++) {
          const a = layout.boxes[i] as PlacedBox;
          expect(a.x).toBeGreaterThanOrEqual(0);
          expect(a.y).toBeGreaterThanOrEqual(0);
          expect(a.x + a.width).toBeLessThanOrEqual(layout.width);
          expect(a.y + a.height).toBeLessThanOrEqual(layout.height);
          for (let j = i + 1; j < layout.boxes.length; j++)
            expect(overlap(a, layout.boxes[j] as PlacedBox)).toBe(false);
        }
        const row = new Map(layout.boxes.map((b) => [b.id, b.row]));
        const acyclicDown = layout.links.filter((l) => (row.get(l.to) ?? 0) > (row.get(l.from) ?? 0));
        // every link is routed (self links and repeats are dropped)
        const distinct = new Set(ls.filter((l) => l.from !== l.to).map((l) => `${l.from}>${l.to}`));
        expect(layout.links).toHaveLength(distinct.size);
        for (const l of layout.links) expect(l.path).toMatch(/^M[\d.]+ [\d.]+( [LC][\d. ]+)+$/);
        expect(acyclicDown.length).toBeGreaterThanOrEqual(0);
        // deterministic
        expect(layoutGraph(boxes, ls)).toEqual(layout);
      }),
      { numRuns: 200 },
    );
  });

  it("puts a chain in rows, a source just above its target, and routes a long link through lanes", () => {
    const boxes = ["commit", "run", "version", "image", "data"].map((id, k) => ({
      id,
      width: 100,
      height: 50,
      rank: k,
    }));
    const layout = layoutGraph(boxes, [
      { from: "commit", to: "run" },
      { from: "run", to: "version" },
      { from: "version", to: "image" },
      { from: "commit", to: "image" },
      { from: "data", to: "version" },
    ]);
    const row = Object.fromEntries(layout.boxes.map((b) => [b.id, b.row]));
    expect(row).toEqual({ commit: 0, run: 1, version: 2, image: 3, data: 1 });
    const long = layout.links.find((l) => l.from === "commit" && l.to === "image");
    // commit (row 0) to image (row 3) passes rows 1 and 2 in lanes: straight segments in them
    expect(long?.path.match(/ L/g)?.length).toBeGreaterThanOrEqual(2);
    // the lane does not run through a box of the rows it crosses
    const laneXs = [...(long?.path ?? "").matchAll(/L([\d.]+) /g)].map((m) => Number(m[1]));
    for (const x of laneXs) {
      for (const b of layout.boxes.filter((b) => b.row === 1 || b.row === 2)) {
        expect(x < b.x || x > b.x + b.width).toBe(true);
      }
    }
  });

  it("keeps a cycle drawable", () => {
    const boxes = ["a", "b", "c"].map((id) => ({ id, width: 50, height: 20, rank: 0 }));
    const layout = layoutGraph(boxes, [
      { from: "a", to: "b" },
      { from: "b", to: "c" },
      { from: "c", to: "a" },
      { from: "a", to: "zzz" },
    ]);
    expect(layout.links).toHaveLength(3);
    expect(new Set(layout.boxes.map((b) => b.row)).size).toBe(3);
  });
});

describe("escaping helpers", () => {
  it("escapes markup characters and drops control characters", () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
    expect(escapeHtml("a\u0000b\u0007c\td\ne\u009f\ud800")).toBe("a\uFFFDb\uFFFDc\td\ne\uFFFD\uFFFD");
    expect(escapeHtml("😀 ü")).toBe("😀 ü");
  });

  it("keeps only http(s) links without credentials", () => {
    expect(safeLinkUrl("https://adb-1.azuredatabricks.net/#job/1/run/2")).toBe(
      "https://adb-1.azuredatabricks.net/#job/1/run/2",
    );
    expect(safeLinkUrl("javascript:alert(1)")).toBeUndefined();
    expect(safeLinkUrl(" JAVASCRIPT:alert(1)")).toBeUndefined();
    expect(safeLinkUrl("data:text/html,x")).toBeUndefined();
    expect(safeLinkUrl("https://u:p@h.example/")).toBeUndefined();
    expect(safeLinkUrl("/relative")).toBeUndefined();
    expect(safeLinkUrl(undefined)).toBeUndefined();
  });

  it("shortens around an ellipsis keeping both ends", () => {
    const d = `sha256:${"0123456789abcdef".repeat(4)}`;
    const s = shorten(d, 30);
    expect(Array.from(s)).toHaveLength(30);
    expect(s.startsWith("sha256:0123")).toBe(true);
    expect(s.endsWith("cdef")).toBe(true);
    expect(shorten("short", 30)).toBe("short");
  });
});
