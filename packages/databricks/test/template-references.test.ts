import { ValidationError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderJobTemplate } from "../src/template/render-job-template.js";

function data(template: string, vars: Record<string, unknown> = {}) {
  const r = renderJobTemplate(template, { vars, validate: false });
  expect(r.format === "json" ? JSON.parse(r.text) : parseYaml(r.text)).toEqual(r.settings);
  return r.settings as Record<string, unknown>;
}

function refusal(template: string, vars: Record<string, unknown> = {}): { path: string; message: string } {
  let caught: unknown;
  try {
    renderJobTemplate(template, { vars, validate: false });
  } catch (err) {
    caught = err;
  }
  expect(caught, template).toBeInstanceOf(ValidationError);
  const issues = (caught as ValidationError).issues;
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe("Databricks references: names Databricks only reads in backticks", () => {
  const cases: [string, string][] = [
    ["{{tasks.prep-data.values.rows}}", "{{tasks.`prep-data`.values.rows}}"],
    ["{{ job.parameters.run-date }}", "{{job.parameters.`run-date`}}"],
    ["{{tasks.prep.values.row-count}}", "{{tasks.prep.values.`row-count`}}"],
    ["{{tasks.a-b.run_id}}", "{{tasks.`a-b`.run_id}}"],
    ["{{job.parameters.p$@}}", "{{job.parameters.`p$@`}}"],
  ];
  for (const [written, fixed] of cases) {
    it(`${written} is refused, suggesting ${fixed}, in JSON and YAML, and the backticked form passes`, () => {
      for (const t of [
        `{"a": "${written}"}`,
        `{"a": ${written}}`,
        `a: ${written}\n`,
        `a: "x ${written}"\n`,
      ]) {
        const issue = refusal(`\n${t}`);
        expect(issue.path).toBe("template:2");
        expect(issue.message).toContain(`${written} is not a Databricks dynamic value reference`);
        expect(issue.message).toContain(`must be in backticks, as in ${fixed}`);
      }
      expect(data(`{"a": "${fixed}", "b": ${fixed}}`)).toEqual({ a: fixed, b: fixed });
      expect(data(`a: ${fixed}\nb: x-${fixed}\n`)).toEqual({ a: fixed, b: `x-${fixed}` });
    });
  }

  it("a backticked name may hold quotes, backslashes and braces, and is escaped for its place", () => {
    const ref = '{{job.parameters.`a"b\\\\c}`}}';
    expect(data(`{"a": ${ref}, "b": "x${ref}"}`)).toEqual({ a: ref, b: `x${ref}` });
    expect(data(`a: ${ref}\n`)).toEqual({ a: ref });
  });
});

describe("Databricks references: no template expression can use them", () => {
  const expressions = [
    "{{ job.parameters.env | default('dev') }}",
    "{{ job.id | upper }}",
    "{{ task.name ~ '-x' }}",
    "{{ job.repair_count + 1 }}",
    "{{ tasks.prep.values.rows if x else 0 }}",
    "{{- job.id }}",
    "{{ job.id -}}",
    "{{ run_id | string }}",
    "{{ input.region | lower }}",
  ];
  for (const e of expressions) {
    it(`${e} is refused`, () => {
      const issue = refusal(`{\n"a": "${e.replaceAll('"', "'")}"}`, { x: true });
      expect(issue.path).toBe("template:2");
      expect(issue.message).toMatch(/uses the Databricks name "\w+" in a template expression/);
      expect(issue.message).toContain("write it alone");
    });
  }

  const elsewhere = [
    "{% if job.id %}{% endif %}",
    "{% for t in tasks %}{% endfor %}",
    "{% set y = workspace.url %}",
    "{{ x | default(task.name) }}",
    "{{ 'a' ~ job.id }}",
    "{{ [job] | length }}",
    "{{ x if backfill else 1 }}",
    "{% set m = job_id %}",
  ];
  for (const e of elsewhere) {
    it(`${e} is refused`, () => {
      const issue = refusal(`{}\n${e}`, { x: 1 });
      expect(issue.path).toBe("template:2");
      expect(issue.message).toMatch(/"\w+" is a Databricks dynamic value namespace, not a template variable/);
    });
  }

  const binders = [
    "{% set job = 1 %}",
    "{% set task %}x{% endset %}",
    "{% for a, tasks in x %}{% endfor %}",
    "{% macro input() %}{% endmacro %}",
    "{% macro m(workspace) %}{% endmacro %}",
    "{% macro m(a, backfill=1) %}{% endmacro %}",
    "{% call(job) m() %}{% endcall %}",
    "{% set ctx = 1 %}",
  ];
  for (const b of binders) {
    it(`${b} is refused`, () => {
      expect(refusal(`{}\n${b}`, { x: {} })).toMatchObject({
        path: "template:2",
        message: expect.stringMatching(/^"\w+" is reserved for .*; choose another variable name$/),
      });
    });
  }

  it("names that only start like a Databricks name are ordinary variables", () => {
    expect(
      data(
        `{"a": "{{ jobs }}", "b": {{ task_count }}, "c": "{{ inputs | join(',') }}", "d": "{{ job_name }}"}`,
        {
          jobs: "j",
          task_count: 2,
          inputs: ["x", "y"],
          job_name: "n",
        },
      ),
    ).toEqual({ a: "j", b: 2, c: "x,y", d: "n" });
  });

  it("filter and test names are not variables", () => {
    expect(data(`{"a": {{ 4 is divisibleby(2) }}, "b": {{ x is string }}}`, { x: "s" })).toEqual({
      a: true,
      b: true,
    });
  });
});

describe("Databricks references: where they pass through", () => {
  it("in template text, keys, block scalars, macros and {% set %} blocks", () => {
    expect(data(`{"{{job.id}}": "{{task.run_id}}"}`)).toEqual({ "{{job.id}}": "{{task.run_id}}" });
    expect(data("run: |\n  echo {{job.run_id}}\n  {{ task.name }}\n")).toEqual({
      run: "echo {{job.run_id}}\n{{ task.name }}\n",
    });
    expect(
      data(
        `{% macro p(k) %}"--{{ k }}={{job.run_id}}"{% endmacro %}{% set s %}id={{job.id}}{% endset %}{"a": [{{ p("run") }}], "s": "{{ s }}", "n": {{ s | length }}}`,
      ),
    ).toEqual({ a: ["--run={{job.run_id}}"], s: "id={{job.id}}", n: 13 });
  });

  it("Databricks secret references pass through; misspelt ones are refused", () => {
    expect(
      data(`{"spark_env_vars": {"TOKEN": "{{secrets/ml-scope/hf.token}}", "X": "a{{secrets/s@x/k_1}}"}}`),
    ).toEqual({ spark_env_vars: { TOKEN: "{{secrets/ml-scope/hf.token}}", X: "a{{secrets/s@x/k_1}}" } });
    for (const bad of ["{{ secrets/a/b }}", "{{secrets / a / b}}", "{{secrets/a b/c}}"]) {
      expect(refusal(`{"a": "${bad}"}`).message).toMatch(
        /is not a Databricks secret reference as Databricks reads it/,
      );
    }
  });

  it("references in {% raw %}, comments and string literals are left to nunjucks", () => {
    expect(
      data(
        `{"raw": "{% raw %}{{tasks.prep-data}} {{ job.id | x }}{% endraw %}", "lit": "{{ 'a-{{job.id}}' | upper }}"{# {{job.x-y}} #}}`,
      ),
    ).toEqual({ raw: "{{tasks.prep-data}} {{ job.id | x }}", lit: "A-{{JOB.ID}}" });
  });

  it("a reference given as a value stays a value (Databricks will still resolve it)", () => {
    const r = renderJobTemplate(`{"a": "{{ v }}"}`, { vars: { v: "{{job.naem}}" }, validate: false });
    expect(r.settings).toEqual({ a: "{{job.naem}}" });
    expect(r.warnings[0]).toMatch(
      /\{\{job.naem\}\} is in the Databricks "job" namespace but is not a documented/,
    );
  });
});
