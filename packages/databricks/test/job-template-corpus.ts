import { readFileSync } from "node:fs";
import type { RenderJobTemplateOptions } from "../src/template/render-job-template.js";

/**
 * The job definition templates the tests render, with the variables they render them with. The unit tests
 * take their job definitions from here, and sdk-fake-workspace.int.test.ts round-trips every one of them
 * through databricks-sdk's `JobSettings.from_dict(...).as_dict()`, so a template test can never produce a
 * job definition that Databricks' own SDK would read differently. (Templates rendered with
 * `validate: false`, which are not job definitions, and the one-line ones made to provoke an error are not
 * here.)
 */

/** One job definition template and how a test renders it. */
export interface JobTemplateCase {
  name: string;
  template: string;
  options: RenderJobTemplateOptions;
}

/** The commit the cases render with. */
export const CORPUS_SHA = "0123456789abcdef0123456789abcdef01234567";

/** A trace context (its JSON form) with that commit. */
export const CORPUS_CTX = {
  schemaVersion: 1,
  code: { gitSha: CORPUS_SHA, branch: "main" },
  ci: { runId: "42" },
};

/** A template of the committed fixtures (test/fixtures/templates). */
export function templateFixture(name: string): string {
  return readFileSync(new URL(`./fixtures/templates/${name}`, import.meta.url), "utf8");
}

/** The `jobs/train.yaml` example of the package README. */
export function readmeTemplate(): string {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const yaml = /`jobs\/train\.yaml` in your repository:\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  if (yaml === undefined) throw new Error("README.md has no `jobs/train.yaml` example");
  return yaml;
}

/** Values that must reach the job definition intact, in every place a template can put them. */
export const HOSTILE_VALUES = [
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
  " \n",
  "null",
  "true",
  "123",
  "MTPH0123456789abV0E",
];

/** A JSON job template that puts `v` in every kind of place. */
export const HOSTILE_JSON_TEMPLATE = `{
  "name": "job-{{ v }}",
  "description": "{{ v }}",
  "tags": { "{{ v }}x": "{{ v }}", "whole": {{ v }} },
  "tasks": [{ "task_key": "t", "spark_python_task": { "python_file": "a.py", "parameters": [{{ v }}, "--v={{ v }}"] } }]
}`;

/** A YAML job template that puts `v` in every kind of place. */
export const HOSTILE_YAML_TEMPLATE = `# note: {{ v }}
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

/** Variables of the whole-value typing cases. */
export const TYPED_VARS = {
  n: 30,
  b: true,
  list: ["a", "b"],
  obj: { k: "v" },
  params: [{ name: "env", default: "dev" }],
  git: { git_url: "https://github.com/acme/churn", git_provider: "gitHub", git_branch: "main" },
};

/** Whole values keep their type; inside strings they are text (JSON). */
export const TYPED_JSON_TEMPLATE = `{"name": "typed", "tasks": [], "timeout_seconds": {{ n }}, "queue": {"enabled": {{ b }}}, "tags": {"l": "{{ list }}", "o": "{{ obj }}", "n": "{{ n }}"}, "parameters": {{ params }}, "git_source": {{ git }}}`;

/** Whole values keep their type; inside strings they are text (YAML). */
export const TYPED_YAML_TEMPLATE =
  "name: typed\ntimeout_seconds: {{ n }}\nqueue:\n  enabled: {{ b }}\ntags:\n  n: '{{ n }}'\nparameters: {{ params }}\ngit_source: {{ git }}\n";

/** Every documented Databricks dynamic value reference, in the spellings templates use. */
export const DOCUMENTED_REFERENCES = [
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

/** The ways a reference is written: tight, spaced, tabbed. */
export const referenceSpellings = (ref: string): string[] => [`{{${ref}}}`, `{{ ${ref} }}`, `{{\t${ref}  }}`];

/** A reference in a tag, inside a string, and as a whole value (JSON). */
export const referenceJsonTemplate = (written: string) =>
  `{"name": "x", "tags": {"a": "${written}", "b": "p-${written}-s"}, "description": ${written}}`;

/** A reference in a tag, inside a string, and as a whole value (YAML). */
export const referenceYamlTemplate = (written: string) =>
  `tags:\n  a: "${written}"\n  b: p-${written}-s\ndescription: ${written}\n`;

/** Deprecated references and the replacements the warnings name. */
export const DEPRECATED_REFERENCES: Readonly<Record<string, string>> = {
  job_id: "job.id",
  run_id: "task.run_id",
  parent_run_id: "job.run_id",
  task_key: "task.name",
  start_date: "job.start_time.iso_date",
  start_time: "job.start_time.timestamp_ms",
  task_retry_count: "task.execution_count",
};

/** A deprecated reference, spaced and tight, in tags. */
export const deprecatedTemplate = (old: string) => `{"tags": {"a": "--x={{ ${old} }}", "b": "{{${old}}}"}}`;

/** The template deploy-job.test.ts deploys. */
export const DEPLOY_TEMPLATE = [
  "name: train-{{ env }}",
  "tasks:",
  "  - task_key: train",
  "    spark_python_task:",
  "      python_file: train.py",
  '      parameters: ["--run-name={{ git_sha }}-{{job.run_id}}"]',
].join("\n");

/** The template job-context.test.ts runs locally (the reference pipeline). */
export const PIPELINE_TEMPLATE = `name: train-{{ git_sha }}
parameters:
  - name: git_sha
    default: "{{ git_sha }}"
tasks:
  - task_key: train
    spark_python_task:
      python_file: echo_args.py
      parameters: ["--epochs", "{{ epochs }}"]
`;

/** The variables the fixture templates are rendered with in the tests. */
export const TRAIN_JSON_VARS = { team: "ml", timeout: 3600, steps: ["prep", "train"], note: 'say "hi"\n' };
export const TRAIN_YAML_VARS = { team: "it's", timeout: 60, steps: ["a"], note: "x: y # z" };

/** Every job definition template the tests render with validation, with its options. */
export function jobTemplateCases(): JobTemplateCase[] {
  const ctx = CORPUS_CTX;
  const cases: JobTemplateCase[] = [
    {
      name: "train-job.json",
      template: templateFixture("train-job.json"),
      options: { ctx, vars: TRAIN_JSON_VARS },
    },
    {
      name: "train-job.yaml",
      template: templateFixture("train-job.yaml"),
      options: { ctx, vars: TRAIN_YAML_VARS },
    },
    { name: "typed values (JSON)", template: TYPED_JSON_TEMPLATE, options: { vars: TYPED_VARS } },
    { name: "typed values (YAML)", template: TYPED_YAML_TEMPLATE, options: { vars: TYPED_VARS } },
    { name: "README", template: readmeTemplate(), options: { ctx, vars: { env: "prod" } } },
    { name: "deploy", template: DEPLOY_TEMPLATE, options: { ctx, vars: { env: "dev" } } },
    {
      name: "pipeline",
      template: PIPELINE_TEMPLATE,
      options: { ctx: { code: { gitSha: CORPUS_SHA } }, vars: { epochs: 3 } },
    },
  ];
  for (const [i, v] of HOSTILE_VALUES.entries()) {
    cases.push({
      name: `hostile ${i} (JSON)`,
      template: HOSTILE_JSON_TEMPLATE,
      options: { vars: { v }, format: "json" },
    });
    cases.push({
      name: `hostile ${i} (YAML)`,
      template: HOSTILE_YAML_TEMPLATE,
      options: { vars: { v }, format: "yaml" },
    });
  }
  for (const ref of DOCUMENTED_REFERENCES) {
    for (const written of referenceSpellings(ref)) {
      cases.push({ name: `${written} (JSON)`, template: referenceJsonTemplate(written), options: {} });
      cases.push({ name: `${written} (YAML)`, template: referenceYamlTemplate(written), options: {} });
    }
  }
  for (const old of Object.keys(DEPRECATED_REFERENCES)) {
    cases.push({ name: `deprecated ${old}`, template: deprecatedTemplate(old), options: {} });
  }
  return cases;
}
