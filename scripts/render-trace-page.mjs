#!/usr/bin/env node
// The README's picture of the trace page: renders a TraceReport written by the code (default:
// docs/samples/verify-report.json, which `bench trace` wrote with verify() over real local servers)
// with the built @modeltrail/trace-html, opens it in headless Chromium (Debian's chromium,
// scripts/install-chromium.sh) with every request refused, and screenshots the page's header and
// lineage graph into a PNG (default docs/img/trace-page.png; written to a temporary file, checked,
// then renamed). Fails when the page tried to fetch anything or the PNG is 200 KB or more.
// Usage: pnpm build && node scripts/render-trace-page.mjs [report.json] [out.png] [--html out.html]
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const htmlAt = args.indexOf("--html");
const htmlOut = htmlAt >= 0 ? args.splice(htmlAt, 2)[1] : undefined;
const reportPath = resolve(args[0] ?? join(root, "docs/samples/verify-report.json"));
const out = resolve(args[1] ?? join(root, "docs/img/trace-page.png"));
const MAX_BYTES = 200 * 1024;
const CHROMIUM = process.env.MODELTRAIL_CHROMIUM ?? "/usr/bin/chromium";

const { parseTraceReport } = await import(join(root, "packages/core/dist/index.js"));
const { renderTraceHtml } = await import(join(root, "packages/trace-html/dist/index.js"));
const { chromium } = await import("playwright-core");

const report = parseTraceReport(readFileSync(reportPath, "utf8"));
const html = renderTraceHtml(report);
if (htmlOut) writeFileSync(resolve(htmlOut), html);

const profile = mkdtempSync(join(tmpdir(), "modeltrail-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1000, height: 800 },
  deviceScaleFactor: 1,
});
const tmp = `${out}.${process.pid}.tmp.png`;
try {
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.route("**/*", (route) => route.abort("blockedbyclient"));
  await page.setContent(html, { waitUntil: "load" });
  if (requests.length > 0) throw new Error(`the page tried to fetch ${requests.join(", ")}`);
  // the header and the graph, commit down to the deployment: the answer at a glance
  const { width, height } = await page.evaluate(() => {
    const graph = document.querySelector(".graph-scroll").getBoundingClientRect();
    const rs = document.querySelector('article[data-kind="deployment"]');
    const bottom = rs ? rs.getBoundingClientRect().bottom + 24 : graph.bottom;
    return { width: Math.ceil(graph.right + 24), height: Math.ceil(Math.min(bottom, graph.bottom) + 8) };
  });
  await page.setViewportSize({ width, height: Math.max(height, 400) });
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: tmp, clip: { x: 0, y: 0, width, height } });
  const size = statSync(tmp).size;
  const png = readFileSync(tmp);
  if (png.subarray(1, 4).toString() !== "PNG") throw new Error(`${tmp} is not a PNG`);
  if (size >= MAX_BYTES) throw new Error(`the picture is ${size} bytes; at most ${MAX_BYTES - 1} are wanted`);
  renameSync(tmp, out);
  console.log(`wrote ${out} (${width}x${height}, ${size} bytes) from ${reportPath}`);
} finally {
  rmSync(tmp, { force: true });
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
