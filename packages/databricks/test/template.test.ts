import { readFileSync } from "node:fs";
import { createTraceContext, ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderJobTemplate } from "../src/template/render-job-template.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ctx = { schemaVersion: 1, code: { gitSha: SHA, branch: "main" }, ci: { runId: "42" } };
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/templates/${name}`, import.meta.url), "utf8");

const HOSTILE = [
  'double "quotes" and \\"escaped\\"',
  "single 'quotes' and ''doubled''",
  "new\nline\r\nand\ttab",
  "}} closing braces {{ and }}",
  "{% raw %}{% endraw %} {%- if x -%}",
  "{{ job.id }} {{git_sha}} {# comment #}",
  "back\\slash \\n \\u0041 \\\\",
  "unicode ü ß 日本 😀 \u2028 \u2029 \u0000 \u001f",
  "yaml: value # not a comment",
  "- looks: [like, yaml] & *alias !tag",
  "",
  " leading and trailing spaces ",
  "null",
  "true",
  "123",
  "MTPH0123456789abV0E",
];

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

const jsonTemplate = `{
  "name": "job-{{ v }}",
  "description": "{{ v }}",
  "tags": { "{{ v }}x": "{{ v }}", "whole": {{ v }} },
  "tasks": [{ "task_key": "t", "spark_python_task": { "python_file": "a.py", "parameters": [{{ v }}, "--v={{ v }}"] } }]
}`;

const yamlTemplate = `# note: {{ v }}
name: job-{{ v }}
description: "{{ v }}"
tags:
  {{ v }}x: '{{ v }}'
  whole: {{ v }}
  plain: before {{ v }} after
tasks:
  - task_key: t
    spark_python_task:
      python_file: a.py
      parameters:
        - {{ v }}
        - --v={{ v }}
        - |
          block {{ v }}
`;

describe("renderJobTemplate: escaping", () => {
  it("renders the JSON fixture with the commit, typed values and untouched references", () => {
    const r = renderJobTemplate(fixture("train-job.json"), {
      ctx,
      vars: { team: "ml", timeout: 3600, steps: ["prep", "train"], note: 'say "hi"\n' },
    });
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
    const r = renderJobTemplate(fixture("train-job.yaml"), {
      ctx,
      vars: { team: "it's", timeout: 60, steps: ["a"], note: "x: y # z" },
    });
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
    const vars = { n: 30, b: true, list: ["a", "b"], obj: { k: "v" } };
    const json = renderJobTemplate(
      `{"tasks":[],"timeout_seconds":{{ n }},"queue":{"enabled":{{ b }}},"tags":{"l":"{{ list }}","o":"{{ obj }}","n":"{{ n }}"},"x":{{ list }},"y":{{ obj }}}`,
      { vars },
    ).settings as Record<string, unknown>;
    expect(json).toMatchObject({
      timeout_seconds: 30,
      queue: { enabled: true },
      tags: { l: '["a","b"]', o: '{"k":"v"}', n: "30" },
      x: ["a", "b"],
      y: { k: "v" },
    });
    const yaml = renderJobTemplate(
      "timeout_seconds: {{ n }}\nqueue:\n  enabled: {{ b }}\ntags:\n  n: '{{ n }}'\nx: {{ list }}\ny: {{ obj }}\n",
      { vars },
    );
    expect(yaml.settings).toMatchObject({
      timeout_seconds: 30,
      queue: { enabled: true },
      tags: { n: "30" },
      x: ["a", "b"],
      y: { k: "v" },
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
  const documented = [
    "job.id",
    "job.name",
    "job.run_id",
    "job.repair_count",
    "job.start_time.iso_date",
    "job.start_time.iso_datetime",
    "job.start_time.[iso_weekday]",
    "job.start_time.is_weekday",
    "job.start_time.year",
    "job.start_time.month",
    "job.start_time.day",
    "job.start_time.hour",
    "job.start_time.minute",
    "job.start_time.second",
    "job.start_time.timestamp_ms",
    "job.trigger.type",
    "job.trigger.time.iso_date",
    "job.trigger.file_arrival.location",
    "job.trigger.table_update.`main.sales`.commit_version",
    "job.trigger.table_update.orders.commit_timestamp.iso_date",
    "job.trigger.table_update.updated_tables",
    "job.parameters.learning_rate",
    "job.parameters.`my param$`",
    "task.name",
    "task.run_id",
    "task.execution_count",
    "task.notebook_path",
    "tasks.prep.run_id",
    "tasks.prep.result_state",
    "tasks.prep.error_code",
    "tasks.prep.execution_count",
    "tasks.prep.values.row_count",
    "tasks.`my-task`.values.`a b`",
    "tasks.query.output.first_row.total",
    "workspace.id",
    "workspace.url",
    "backfill.iso_datetime",
    "backfill.iso_date",
    "input",
    "input.region",
  ];

  it("passes every documented reference through untouched, with and without spaces, in JSON and YAML", () => {
    for (const ref of documented) {
      for (const written of [`{{${ref}}}`, `{{ ${ref} }}`, `{{\t${ref}  }}`]) {
        const j = renderJobTemplate(
          `{"name": "x", "tags": {"a": "${written}", "b": "p-${written}-s"}, "c": ${written}}`,
        );
        expect(j.settings.tags).toEqual({ a: written, b: `p-${written}-s` });
        expect((j.settings as Record<string, unknown>).c).toBe(written);
        expect(j.warnings).toEqual([]);
        const y = renderJobTemplate(`tags:\n  a: "${written}"\n  b: p-${written}-s\nc: ${written}\n`);
        expect(y.settings.tags).toEqual({ a: written, b: `p-${written}-s` });
        expect((y.settings as Record<string, unknown>).c).toBe(written);
        expect(parseYaml(y.text)).toEqual(y.settings);
        expect(y.warnings).toEqual([]);
      }
    }
  });

  it("passes deprecated references through and warns with the modern replacement", () => {
    const cases: Record<string, string> = {
      job_id: "job.id",
      run_id: "task.run_id",
      parent_run_id: "job.run_id",
      task_key: "task.name",
      start_date: "job.start_time.iso_date",
      start_time: "job.start_time.timestamp_ms",
      task_retry_count: "task.execution_count",
    };
    for (const [old, replacement] of Object.entries(cases)) {
      const r = renderJobTemplate(`{"tags": {"a": "--x={{ ${old} }}", "b": "{{${old}}}"}}`);
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
