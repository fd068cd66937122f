/**
 * What users install: the built package, loaded by plain Node as ESM and as CJS, renders the sample
 * report to the same bytes as the sources.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderTraceHtml } from "../src/index.js";
import { sampleReport } from "./reports.js";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const sample = fileURLToPath(new URL("../../../docs/samples/verify-report.json", import.meta.url));

function run(code: string): string {
  return execFileSync(process.execPath, ["--input-type=module", "-e", code], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe("@modeltrail/trace-html dist", () => {
  const expected = renderTraceHtml(sampleReport());

  it("renders the sample report as ESM, byte for byte as the sources do", () => {
    const out = run(`
      import { readFileSync } from "node:fs";
      import { renderTraceHtml } from ${JSON.stringify(`${dist}index.js`)};
      process.stdout.write(renderTraceHtml(JSON.parse(readFileSync(${JSON.stringify(sample)}, "utf8"))));
    `);
    expect(out).toBe(expected);
  });

  it("renders the sample report as CJS, and throws the core ValidationError on a bad report", () => {
    const out = run(`
      import { createRequire } from "node:module";
      import { readFileSync } from "node:fs";
      const require = createRequire(${JSON.stringify(dist)});
      const { renderTraceHtml } = require("./index.cjs");
      let name = "none";
      try { renderTraceHtml({ schemaVersion: 1 }); } catch (err) { name = err.name + " " + err.code; }
      process.stdout.write(JSON.stringify({ name, html: renderTraceHtml(JSON.parse(readFileSync(${JSON.stringify(sample)}, "utf8"))) }));
    `);
    const parsed = JSON.parse(out) as { name: string; html: string };
    expect(parsed.name).toBe("ValidationError VALIDATION_ERROR");
    expect(parsed.html).toBe(expected);
  });
});
