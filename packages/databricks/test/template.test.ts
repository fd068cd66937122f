import { createTraceContext, ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderJobTemplate } from "../src/template/render-job-template.js";
import {
  CORPUS_CTX,
  CORPUS_SHA,
  DEPRECATED_REFERENCES,
  DOCUMENTED_REFERENCES,
  deprecatedTemplate,
  HOSTILE_JSON_TEMPLATE,
  HOSTILE_VALUES,
  HOSTILE_YAML_TEMPLATE,
  referenceJsonTemplate,
  referenceSpellings,
  referenceYamlTemplate,
  TRAIN_JSON_VARS,
  TRAIN_YAML_VARS,
  TYPED_JSON_TEMPLATE,
  TYPED_VARS,
  TYPED_YAML_TEMPLATE,
  templateFixture,
} from "./job-template-corpus.js";

const SHA = CORPUS_SHA;
const ctx = CORPUS_CTX;
const fixture = templateFixture;
const HOSTILE = HOSTILE_VALUES;

function expectValidation(fn: () => unknown, pathRe: RegExp, messageRe: RegExp): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const err = caught as ValidationError;
  expect(
    err.issues.some((i) => pathRe.test(i.path) && messageRe.test(i.message)),
    err.message,
  ).toBe(true);
  return err;
}

const jsonTemplate = HOSTILE_JSON_TEMPLATE;
const yamlTemplate = HOSTILE_YAML_TEMPLATE;

describe("renderJobTemplate: escaping", () => {
  it("renders the JSON fixture with the commit, typed values and untouched references", () => {
    const r = renderJobTemplate(fixture("train-job.json"), { ctx, vars: TRAIN_JSON_VARS });
    expect(r.format).toBe("json");
    expect(r.settings.name).toBe("train-0123456");
    expect(r.settings.timeout_seconds).toBe(3600);
    expect(r.settings.tags).toEqual({ git_sha: SHA, team: "ml" });
    expect(r.settings.tasks?.map((t) => t.task_key)).toEqual(["prep", "train"]);
    expect(r.settings.tasks?.[1]?.depends_on).toEqual([{ task_key: "prep" }]);
    expect(r.settings.tasks?.[0]?.spark_python_task?.parameters).toEqual([
      "--job-id={{job.id}}",
      "--job-run-id={{ job.run_id }}",
      "--task-run-id={{task.run_id}}",
      "--task-key={{task.name}}",
      `--git-sha=${SHA}`,
      "--note",
      'say "hi"\n',
    ]);
    expect(JSON.parse(r.text)).toEqual(r.settings);
    expect(r.warnings).toEqual([]);
  });

  it("renders the YAML fixture, keeping comments and quoting what needs quotes", () => {
    const r = renderJobTemplate(fixture("train-job.yaml"), { ctx, vars: TRAIN_YAML_VARS });
    expect(r.format).toBe("yaml");
    expect(r.text).toContain(`# job for ${SHA}`);
    expect(r.settings.tags).toEqual({ git_sha: SHA, team: "it's" });
    expect(r.settings.timeout_seconds).toBe(60);
    expect(r.settings.tasks?.[0]?.spark_python_task?.parameters).toEqual([
      "--job-run-id={{job.run_id}}",
      "{{ task.run_id }}",
      "x: y # z",
    ]);
    expect(parseYaml(r.text)).toEqual(r.settings);
  });

  for (const value of HOSTILE) {
    it(`keeps a hostile value intact in JSON and YAML: ${JSON.stringify(value).slice(0, 40)}`, () => {
      for (const [template, format] of [
        [jsonTemplate, "json"],
        [yamlTemplate, "yaml"],
      ] as const) {
        const r = renderJobTemplate(template, { vars: { v: value }, format });
        const s = r.settings as Record<string, unknown>;
        expect(s.name).toBe(`job-${value}`);
        expect(s.description).toBe(value);
        expect((s.tags as Record<string, string>)[`${value}x`]).toBe(value);
        expect((s.tags as Record<string, string>).whole).toBe(value);
        expect(r.settings.tasks?.[0]?.spark_python_task?.parameters?.slice(0, 2)).toEqual([
          value,
          `--v=${value}`,
        ]);
        const reparsed = format === "json" ? JSON.parse(r.text) : parseYaml(r.text);
        expect(reparsed).toEqual(r.settings);
        if (format === "yaml") {
          expect((s.tags as Record<string, string>).plain).toBe(`before ${value} after`);
          expect(r.settings.tasks?.[0]?.spark_python_task?.parameters?.[2]).toBe(`block ${value}\n`);
        }
      }
    });
  }

  it("keeps arbitrary strings intact (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
        for (const [template, format] of [
          [jsonTemplate, "json"],
          [yamlTemplate, "yaml"],
        ] as const) {
          const r = renderJobTemplate(template, { vars: { v: value }, format });
          expect(r.settings.description).toBe(value);
          expect(r.settings.name).toBe(`job-${value}`);
          expect(r.settings.tasks?.[0]?.spark_python_task?.parameters?.slice(0, 2)).toEqual([
            value,
            `--v=${value}`,
          ]);
          expect(format === "json" ? JSON.parse(r.text) : parseYaml(r.text)).toEqual(r.settings);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("keeps the type of a whole value and uses text forms inside strings", () => {
    const json = renderJobTemplate(TYPED_JSON_TEMPLATE, { vars: TYPED_VARS }).settings;
    expect(json).toMatchObject({
      timeout_seconds: 30,
      queue: { enabled: true },
      tags: { l: '["a","b"]', o: '{"k":"v"}', n: "30" },
      parameters: TYPED_VARS.params,
      git_source: TYPED_VARS.git,
    });
    const yaml = renderJobTemplate(TYPED_YAML_TEMPLATE, { vars: TYPED_VARS });
    expect(yaml.settings).toMatchObject({
      timeout_seconds: 30,
      queue: { enabled: true },
      tags: { n: "30" },
      parameters: TYPED_VARS.params,
      git_source: TYPED_VARS.git,
    });
    expect(parseYaml(yaml.text)).toEqual(yaml.settings);
  });

  it("rejects a bare JSON expression glued to other text, naming the expression's line", () => {
    expectValidation(
      () => renderJobTemplate(`{\n"timeout_seconds": {{ n }}0}`, { vars: { n: 1 } }),
      /^template:2$/,
      /whole value/,
    );
  });

  it("turns captured blocks into strings", () => {
    const r = renderJobTemplate(`{% set label %}train-{{ git_sha }}-"x"{% endset %}{"name": "{{ label }}"}`, {
      ctx,
    });
    expect(r.settings.name).toBe(`train-${SHA}-"x"`);
  });

  it("accepts a context object with toJSON", () => {
    const r = renderJobTemplate(`{"name": "{{ ctx.code.branch }}-{{ git_sha }}"}`, {
      ctx: { toJSON: () => ctx },
    });
    expect(r.settings.name).toBe(`main-${SHA}`);
  });

  it("accepts a core TraceContext", () => {
    const trace = createTraceContext({
      code: { gitSha: SHA.toUpperCase(), branch: "main" },
      ci: { runId: "42" },
    });
    const r = renderJobTemplate(
      `{"name": "{{ git_sha }}", "tags": {"ci": "{{ ctx.ci.runId }}", "v": "{{ ctx.schemaVersion }}"}}`,
      {
        ctx: trace,
      },
    );
    expect(r.settings.name).toBe(SHA);
    expect(r.settings.tags).toEqual({ ci: "42", v: "1" });
  });

  it("refuses values JSON cannot hold", () => {
    expectValidation(
      () => renderJobTemplate(`{"x": {{ n }}}`, { vars: { n: Number.NaN } }),
      /^template:1$/,
      /NaN/,
    );
    expectValidation(
      () => renderJobTemplate(`{"x": {{ n }}}`, { vars: { n: 10n } }),
      /^template:1$/,
      /bigint/,
    );
  });
});

describe("renderJobTemplate: errors", () => {
  it("names an undefined variable and its line", () => {
    expectValidation(
      () => renderJobTemplate(`{\n  "name": "{{ missing_var }}"\n}`, { vars: { a: 1 } }),
      /^template:2$/,
      /undefined variable "missing_var"; known variables: a/,
    );
  });

  it("names the missing key of a context path", () => {
    expectValidation(
      () => renderJobTemplate(`{"name": "x"}\n`.replace('"x"', '"{{ ctx.code.branchh }}"'), { ctx }),
      /^template:1$/,
      /undefined value "ctx.code.branchh" \(ctx.code has: branch, gitSha\)/,
    );
  });

  it("explains where git_sha comes from", () => {
    expectValidation(() => renderJobTemplate(`{"name": "{{ git_sha }}"}`), /template:1/, /pass `ctx`/);
  });

  it("refuses null, saying it is null", () => {
    expectValidation(
      () => renderJobTemplate(`{"name": {{ x }}}`, { vars: { x: null } }),
      /template:1/,
      /^"x" is null; .*\| default\(\.\.\., true\)/,
    );
    expectValidation(
      () => renderJobTemplate(`{"name": "{{ ctx.code.branch }}"}`, { ctx: { code: { branch: null } } }),
      /template:1/,
      /^"ctx\.code\.branch" is null/,
    );
    expectValidation(
      () => renderJobTemplate(`{"name": "{{ a.b.c }}"}`, { vars: { a: { b: null } } }),
      /template:1/,
      /"a\.b" is null, so "a\.b\.c" is undefined/,
    );
  });

  it("reports template syntax errors with their line", () => {
    expectValidation(() => renderJobTemplate(`{\n"a": 1,\n{% if %}\n}`), /^template:3$/, /.+/);
  });

  it("reports output that is not JSON or YAML with its line", () => {
    expectValidation(
      () => renderJobTemplate(`{\n"name": "a",\n"tags": {,}\n}`, { format: "json" }),
      /^line 3$/,
      /not valid JSON/,
    );
    expectValidation(() => renderJobTemplate("name: a\n  bad: [\n"), /^line \d$/, /not valid YAML/);
  });

  it("validates the rendered settings unless told not to", () => {
    const t = `{"tasks": [{"task_key": "a", "depends_on": [{"task_key": "{{ up }}"}], "spark_python_task": {"python_file": "x.py"}}]}`;
    expectValidation(
      () => renderJobTemplate(t, { vars: { up: "prep" } }),
      /^tasks\[0\]\.depends_on\[0\]\.task_key$/,
      /unknown task "prep"/,
    );
    expect(renderJobTemplate(t, { vars: { up: "prep" }, validate: false }).settings.tasks).toHaveLength(1);
  });

  it("rejects reserved variable names and shadowing loop variables", () => {
    for (const name of ["job", "task", "tasks", "workspace", "run_id", "ctx"]) {
      expectValidation(
        () => renderJobTemplate("{}", { vars: { [name]: 1 } }),
        new RegExp(`^vars\\.${name}$`),
        /reserved/,
      );
    }
    expectValidation(
      () => renderJobTemplate(`{"tasks": [{% for task in items %}{}{% endfor %}]}`, { vars: { items: [] } }),
      /template:1/,
      /"task" is reserved/,
    );
    expectValidation(() => renderJobTemplate(`{% set job = 1 %}{}`), /template:1/, /"job" is reserved/);
  });

  it("rejects a git_sha variable that contradicts the context", () => {
    expectValidation(
      () => renderJobTemplate("{}", { ctx, vars: { git_sha: "f".repeat(40) } }),
      /vars.git_sha/,
      /differs/,
    );
  });
});

describe("renderJobTemplate: Databricks dynamic value references", () => {
  const documented = DOCUMENTED_REFERENCES;

  it("passes every documented reference through untouched, with and without spaces, in JSON and YAML", () => {
    for (const ref of documented) {
      for (const written of referenceSpellings(ref)) {
        const j = renderJobTemplate(referenceJsonTemplate(written));
        expect(j.settings.tags).toEqual({ a: written, b: `p-${written}-s` });
        expect(j.settings.description).toBe(written);
        expect(j.warnings).toEqual([]);
        const y = renderJobTemplate(referenceYamlTemplate(written));
        expect(y.settings.tags).toEqual({ a: written, b: `p-${written}-s` });
        expect(y.settings.description).toBe(written);
        expect(parseYaml(y.text)).toEqual(y.settings);
        expect(y.warnings).toEqual([]);
      }
    }
  });

  it("passes deprecated references through and warns with the modern replacement", () => {
    const cases = DEPRECATED_REFERENCES;
    for (const [old, replacement] of Object.entries(cases)) {
      const r = renderJobTemplate(deprecatedTemplate(old));
      expect(r.settings.tags).toEqual({ a: `--x={{ ${old} }}`, b: `{{${old}}}` });
      expect(r.warnings).toContain(
        `{{ ${old} }} is a deprecated dynamic value reference; use {{${replacement}}} instead`,
      );
      expect(r.warnings).toContain(
        `{{${old}}} is a deprecated dynamic value reference; use {{${replacement}}} instead`,
      );
    }
  });

  it("warns about undocumented references in a Databricks namespace", () => {
    const r = renderJobTemplate(`{"tags": {"a": "{{job.naem}}"}}`);
    expect(r.settings.tags).toEqual({ a: "{{job.naem}}" });
    expect(r.warnings[0]).toMatch(
      /\{\{job.naem\}\} is in the Databricks "job" namespace but is not a documented/,
    );
  });

  it("mixes template expressions and references on one line, and references in string literals", () => {
    const r = renderJobTemplate(`{"name": "{{ git_sha }}-{{job.run_id}}-{{ 'lit-{{task.name}}' }}"}`, {
      ctx,
    });
    expect(r.settings.name).toBe(`${SHA}-{{job.run_id}}-lit-{{task.name}}`);
  });

  it("leaves {% raw %} blocks working", () => {
    const r = renderJobTemplate(`{"name": "{% raw %}{{ anything }}{% endraw %}"}`);
    expect(r.settings.name).toBe("{{ anything }}");
  });
});
