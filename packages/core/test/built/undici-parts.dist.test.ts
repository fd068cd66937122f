/**
 * The built core loads only the parts of undici its transport uses. A request made through
 * HttpClient, from dist as ESM and as CJS in a fresh Node process, goes to a real loopback server
 * and comes back, and afterwards undici's entry point (fetch, WebSocket, caches, mock agents: about
 * 14 MiB of resident memory) has not been loaded, only its Agent and `request` modules.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "@modeltrail/test-utils";
import { describe, expect, it } from "vitest";

const SERVER = `
const { createServer } = require("node:http");
const server = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
server.listen(0, "127.0.0.1");
module.exports = server;
`;

function probe(format: "esm" | "cjs"): { body: unknown; entryLoaded: boolean; partsLoaded: string[] } {
  const dist = join(REPO_ROOT, "packages", "core", "dist", format === "esm" ? "internal.js" : "internal.cjs");
  const script = `
const { createRequire } = require("node:module");
const server = require("node:vm").runInThisContext(${JSON.stringify(`(function (require, module) {${SERVER}})`)})(require, { set exports(v) { globalThis.__server = v; } });
(async () => {
  const server = globalThis.__server;
  await new Promise((r) => server.once("listening", r));
  const core = ${format === "esm" ? `await import(${JSON.stringify(`file://${dist}`)})` : `require(${JSON.stringify(dist)})`};
  const http = new core.HttpClient({ baseUrl: "http://127.0.0.1:" + server.address().port, service: "probe" });
  const body = await http.json({ path: "/a/b", query: { q: "x y" } });
  await http.close();
  server.close();
  const loaded = Object.keys(require.cache).filter((p) => p.includes("/undici/"));
  console.log(JSON.stringify({
    body,
    entryLoaded: loaded.some((p) => /\\/undici\\/index\\.js$/.test(p)),
    partsLoaded: loaded.filter((p) => /\\/lib\\/(dispatcher\\/agent|api\\/api-request)\\.js$/.test(p)).map((p) => p.slice(p.indexOf("/lib/"))).sort(),
  }));
})();`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
}

describe("built core: undici", () => {
  for (const format of ["esm", "cjs"] as const) {
    it(`${format}: a request loads undici's Agent and request, not its entry point`, () => {
      const report = probe(format);
      expect(report.body).toEqual({ path: "/a/b?q=x+y" });
      expect(report.partsLoaded).toEqual(["/lib/api/api-request.js", "/lib/dispatcher/agent.js"]);
      expect(report.entryLoaded).toBe(false);
    });
  }
});
