/// <reference lib="dom" />
/**
 * The trace page as people see it: rendered in headless Chromium (Debian's, driven by
 * playwright-core), every request refused and recorded. Screenshots are kept under .tmp/trace-html/.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TraceReport, VerifyCheck } from "@modeltrail/core";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shorten } from "../src/escape-html.js";
import { renderTraceHtml } from "../src/index.js";
import { type Browser, launchChromium, openHtml, type PageLog } from "./chromium.js";
import { commitReport, failingCheck, sampleReport, unknownCheck } from "./reports.js";

const SHOTS = fileURLToPath(new URL("../../../.tmp/trace-html/", import.meta.url));

let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  visible: boolean;
  label: string;
  labelTitle: string;
  text: string;
  borderColor: string;
  borderStyle: string;
}

/** Every node box as laid out by the browser, with the page's full size. */
async function boxes(page: Page): Promise<{ boxes: Box[]; pageWidth: number; pageHeight: number }> {
  return page.evaluate(() => {
    const out: Box[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("article.node"))) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      const h3 = el.querySelector("h3");
      out.push({
        id: el.dataset.nodeId ?? "",
        x: r.x + window.scrollX,
        y: r.y + window.scrollY,
        width: r.width,
        height: r.height,
        visible: r.width > 0 && r.height > 0 && style.visibility === "visible" && style.display !== "none",
        label: h3?.textContent ?? "",
        labelTitle: h3?.getAttribute("title") ?? "",
        // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered (what people see), not the markup's
        text: el.innerText,
        borderColor: style.borderTopColor,
        borderStyle: style.borderTopStyle,
      });
    }
    const doc = document.documentElement;
    return { boxes: out, pageWidth: doc.scrollWidth, pageHeight: doc.scrollHeight };
  });
}

function expectQuiet(log: PageLog): void {
  expect(log.requests, "the page made a request").toEqual([]);
  expect(log.errors).toEqual([]);
  // a style refused by the Content-Security-Policy (a wrong hash) shows up here
  expect(log.console.filter((m) => /^error|Content Security Policy/i.test(m))).toEqual([]);
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

async function expectLaidOut(page: Page, report: TraceReport): Promise<Box[]> {
  const { boxes: laid, pageWidth, pageHeight } = await boxes(page);
  expect(laid.map((b) => b.id).sort()).toEqual(report.graph.nodes.map((n) => n.id).sort());
  for (const b of laid) {
    expect(b.visible, `${b.id} visible`).toBe(true);
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.y).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(pageWidth);
    expect(b.y + b.height).toBeLessThanOrEqual(pageHeight);
  }
  for (let i = 0; i < laid.length; i++) {
    for (let j = i + 1; j < laid.length; j++) {
      const a = laid[i] as Box;
      const c = laid[j] as Box;
      expect(overlaps(a, c), `${a.id} overlaps ${c.id}`).toBe(false);
    }
  }
  // each box shows its node: the label (shortened, the whole of it in the tooltip) and its facts
  for (const n of report.graph.nodes) {
    const b = laid.find((x) => x.id === n.id) as Box;
    expect(b.label).toBe(shorten(n.label, 34));
    expect(b.labelTitle).toBe(n.label);
    for (const [k, v] of Object.entries(n.facts).slice(0, 5)) {
      expect(b.text).toContain(shorten(k, 14));
      expect(b.text).toContain(shorten(v, 30));
    }
  }
  return laid;
}

const RED = "rgb(198, 40, 40)";
const AMBER = "rgb(161, 92, 0)";
const GREEN = "rgb(46, 125, 50)";

describe("the trace page in Chromium", () => {
  it("shows every node of the sample report, visible, inside the page, none overlapping; fetches nothing", async () => {
    const report = sampleReport();
    const { page, log } = await openHtml(browser, renderTraceHtml(report));
    try {
      const laid = await expectLaidOut(page, report);
      // the sample was written by verify() with every check passing: green borders where checked
      const mv = laid.find((b) => b.id.startsWith("model-version:")) as Box;
      expect(mv.borderColor).toBe(GREEN);
      expect(await page.locator("h1").textContent()).toContain("log line");
      expect(await page.locator("[data-summary=pass]").textContent()).toBe("11 passing");
      await page.screenshot({ path: `${SHOTS}sample.png`, fullPage: true });
      expectQuiet(log);
    } finally {
      await page.close();
    }
  });

  it("draws failing checks red and undecided ones amber and dashed (computed styles)", async () => {
    const report = sampleReport();
    const fail = failingCheck(report);
    const checks: VerifyCheck[] = [fail, unknownCheck(report)];
    const { page, log } = await openHtml(browser, renderTraceHtml(report, { checks }));
    try {
      const laid = await expectLaidOut(page, report);
      for (const id of [fail.link?.from, fail.link?.to]) {
        const b = laid.find((x) => x.id === id) as Box;
        expect(b.borderColor, id).toBe(RED);
        expect(b.text).toContain("1 failing");
      }
      const ds = laid.find((b) => b.id.startsWith("dataset:")) as Box;
      expect(ds.borderColor).toBe(AMBER);
      expect(ds.borderStyle).toBe("dashed");
      const others = laid.filter((b) => b.id !== fail.link?.from && b.id !== fail.link?.to && b !== ds);
      for (const b of others) expect([RED, AMBER]).not.toContain(b.borderColor);
      const link = page.locator('g.link[data-check="fail"] path');
      expect(await link.count()).toBe(1);
      const stroke = await link.evaluate((el) => getComputedStyle(el).stroke);
      expect(stroke).toBe(RED);
      const row = page.locator('tr.fail[data-check-id="commit.image-model-version"] td.status');
      expect(await row.evaluate((el) => getComputedStyle(el).color)).toBe(RED);
      await page.screenshot({ path: `${SHOTS}failing-check.png`, fullPage: true });
      await page.locator(".graph-scroll").screenshot({ path: `${SHOTS}failing-check-graph.png` });
      expectQuiet(log);
    } finally {
      await page.close();
    }
  });

  it("lays out a commit with several model versions readably", async () => {
    const report = commitReport(5);
    const { page, log } = await openHtml(browser, renderTraceHtml(report));
    try {
      const laid = await expectLaidOut(page, report);
      // the versions sit side by side in one row, the commit above them all
      const versions = laid.filter((b) => b.id.startsWith("model-version:"));
      expect(new Set(versions.map((b) => b.y)).size).toBe(1);
      const commit = laid.find((b) => b.id.startsWith("commit:")) as Box;
      for (const v of versions) expect(commit.y + commit.height).toBeLessThan(v.y);
      await page.screenshot({ path: `${SHOTS}commit-five-versions.png`, fullPage: true });
      expectQuiet(log);
    } finally {
      await page.close();
    }
  });

  it("runs nothing and fetches nothing that a hostile server put in a value", async () => {
    const base = sampleReport();
    const evil = [
      "<script>window.pwned=1</script>",
      '"><img src="http://127.0.0.1:9/x.png" onerror="window.pwned=2">',
      "<style>article{display:none}</style>",
      "</title><link rel=stylesheet href=http://127.0.0.1:9/x.css>",
      "<svg onload=window.pwned=3>",
      "<a href=javascript:window.pwned=4>x</a>",
    ].join("");
    const nodes = base.graph.nodes.map((n) => ({
      ...n,
      label: `${n.label}${evil}`,
      facts: { ...n.facts, [`k${evil}`]: evil },
      url: "javascript:window.pwned=5",
    }));
    const report: TraceReport = {
      ...base,
      handle: { kind: "log-line", fields: { git_sha: evil } },
      graph: { ...base.graph, nodes },
      unreachable: [{ system: evil, lookup: evil, reason: "failed", message: evil }],
    };
    const { page, log } = await openHtml(browser, renderTraceHtml(report));
    try {
      await expectLaidOut(page, report);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator("script, img, link, a[href^='javascript']").count()).toBe(0);
      expect(await page.locator("style").count()).toBe(1);
      // the text is shown as text
      expect(await page.locator("p.meta").first().textContent()).toContain("<script>window.pwned=1</script>");
      await page
        .locator("article.node")
        .first()
        .click({ position: { x: 20, y: 90 } });
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await page.screenshot({ path: `${SHOTS}hostile.png`, fullPage: true });
      expectQuiet(log);
    } finally {
      await page.close();
    }
  });
});
