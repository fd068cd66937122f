import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * The job template renderer as users get it: the built package (`dist`, ESM and CommonJS), loaded by a
 * plain Node process, renders the cases that broke the earlier placeholder design. (The renderer builds on
 * nunjucks' exported lexer, parser and compiler; this proves the bundle keeps them wired.)
 */

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

const PROBE = String.raw`
const { renderJobTemplate } = LOAD;
const out = {};
const r = (t, vars) => renderJobTemplate(t, { vars, validate: false }).settings;
out.set = r('{% set nm %}{{ env }}{% endset %}{"u": "{{ nm | upper }}", "n": {{ nm | length }}}', { env: "prod" });
out.escape = r('name: {{ n | e }}\n', { n: "a\ntags: {x: 1}" });
out.tojson = r('{"s": {{ s | tojson }}, "n": {{ n | dump }}}', { s: "train", n: 5 });
out.macro = r('{% macro mk(k) %}- task_key: {{ k }}\n{% endmacro %}tasks:\n  {{ mk(k) | indent(2) | trim }}\n', { k: "a: b" });
out.refs = r('{"a": "{{tasks.\x60prep-data\x60.values.rows}}", "b": "{{secrets/s/k}}"}', {});
try { r('{"a": "{{ job.parameters.env | default(1) }}"}', {}); } catch (e) { out.refused = [e.name, e.code, e.issues[0].path]; }
try { r('{"a": {{ x }}}', { x: null }); } catch (e) { out.nulls = e.issues[0].message.slice(0, 11); }
console.log(JSON.stringify(out));
`;

const EXPECTED = {
  set: { u: "PROD", n: 4 },
  escape: { name: "a\ntags: {x: 1}" },
  tojson: { s: "train", n: 5 },
  macro: { tasks: [{ task_key: "a: b" }] },
  refs: { a: "{{tasks.`prep-data`.values.rows}}", b: "{{secrets/s/k}}" },
  refused: ["ValidationError", "VALIDATION_ERROR", "template:1"],
  nulls: '"x" is null',
};

const run = promisify(execFile);

describe("job templates from the built package", () => {
  for (const [format, file, load] of [
    ["ESM", "index.js", `await import(${JSON.stringify(`${DIST}index.js`)})`],
    ["CommonJS", "index.cjs", `require(${JSON.stringify(`${DIST}index.cjs`)})`],
  ] as const) {
    it(`renders through dist/${file} (${format})`, async () => {
      expect(existsSync(`${DIST}${file}`)).toBe(true);
      const args = format === "ESM" ? ["--input-type=module", "-e"] : ["--input-type=commonjs", "-e"];
      const { stdout } = await run(process.execPath, [...args, PROBE.replace("LOAD", load)], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        timeout: 30_000,
      });
      expect(JSON.parse(stdout)).toEqual(EXPECTED);
    });
  }
});
