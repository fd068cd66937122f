/**
 * The serving app (Python) and @modeltrail/core agree on the trace: the same environment through
 * core's `fromEnv` + `toLogFields` and through `modeltrail_serving.trace_env` gives the same log
 * fields, or a refusal from both (invalid, or missing GIT_SHA / the run id). Hand-picked cases plus
 * fast-check environments built from every variable core reads, with valid, padded, mistyped,
 * oversized and hostile values.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  DEFAULT_CONVENTIONS,
  fromEnv,
  runIdOf,
  type TraceContext,
  toEnv,
  toLogFields,
  ValidationError,
} from "@modeltrail/core";
import { SCALAR_FIELDS } from "@modeltrail/core/internal";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertServingPython,
  type PythonTraceResult,
  pythonEnv,
  SERVING_PYTHON,
  startTraceEnvWorker,
  type TraceEnvWorker,
} from "./serving-python.ts";

type Outcome =
  | { kind: "fields"; fields: Record<string, unknown> }
  | { kind: "invalid" }
  | { kind: "missing" };

/** What core gives: the fields, or a refusal (`require` = GIT_SHA and the run id, as the app requires). */
function coreSide(env: Record<string, string>, require = true): Outcome {
  let ctx: TraceContext;
  try {
    ctx = fromEnv(env);
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid" };
    throw err;
  }
  if (require && (ctx.code?.gitSha === undefined || runIdOf(ctx) === undefined)) return { kind: "missing" };
  return { kind: "fields", fields: { ...toLogFields(ctx) } };
}

function pythonSide(result: PythonTraceResult): Outcome {
  if ("fields" in result) return { kind: "fields", fields: result.fields };
  return { kind: result.missing ? "missing" : "invalid" };
}

const SHA = "0123456789abcdef0123456789abcdef01234567";
const SHA2 = "fedcba9876543210fedcba9876543210fedcba98";
const JOB_RUN = "1795788642450001";
const MLFLOW_RUN = "0e65f4e6ffd84bbcaca05398f1d5dff3";
const DIGEST = `sha256:${"ab".repeat(32)}`;

let worker: TraceEnvWorker;
beforeAll(async () => {
  await assertServingPython();
  worker = startTraceEnvWorker();
}, 180_000);
afterAll(async () => worker?.close());

async function agree(env: Record<string, string>, require = true): Promise<Outcome> {
  const expected = coreSide(env, require);
  const actual = pythonSide(await worker.read(env, require));
  expect(actual, JSON.stringify(env)).toEqual(expected);
  return expected;
}

describe("modeltrail_serving.trace_env and core's fromEnv + toLogFields", () => {
  it("use the same variable and log field names for every field", async () => {
    const { stdout } = await promisify(execFile)(
      SERVING_PYTHON,
      [
        "-c",
        "import json; from modeltrail_serving import trace_env as t; print(json.dumps([t.FIELDS, t.RUN_ID_VAR, t.RUNTIME_VAR, t.DATA_VAR, t.EXTRA_VAR, t.SCHEMA_VERSION_VAR, t.RUN_ID_LOG_FIELD, t.RUNTIME_PREFIX, t.EXTRA_PREFIX]))",
      ],
      { env: pythonEnv() },
    );
    const [fields, runId, runtime, data, extra, schema, runIdLog, runtimePrefix, extraPrefix] =
      JSON.parse(stdout);
    const { env, logFields } = DEFAULT_CONVENTIONS;
    expect((fields as [string][]).map((f) => f[0])).toEqual([...SCALAR_FIELDS]);
    for (const [field, , envNames, logName] of fields as [string, string, string[], string | null][]) {
      const f = field as (typeof SCALAR_FIELDS)[number];
      expect(envNames, field).toEqual([...env.fields[f]]);
      expect(logName === null ? [] : [logName], field).toEqual([...logFields.fields[f]]);
    }
    expect([runId, runtime, data, extra, schema]).toEqual([
      env.runId,
      env.runtime,
      env.data,
      env.extra,
      env.schemaVersion,
    ]);
    expect([runIdLog, runtimePrefix, extraPrefix]).toEqual([
      logFields.runId,
      logFields.runtimePrefix,
      logFields.extraPrefix,
    ]);
  });

  it("agree on what toEnv writes for a full context", async () => {
    const ctx = fromEnv({
      GIT_SHA: SHA,
      RUN_ID: JOB_RUN,
      JOB_ID: "1795788642450000",
      MODELTRAIL_MODEL_MLFLOW_RUN_ID: MLFLOW_RUN,
      MODELTRAIL_MODEL_NAME: "churn",
      MODELTRAIL_MODEL_VERSION: "3",
      MODELTRAIL_IMAGE_DIGEST: DIGEST,
      MODELTRAIL_CODE_REPO_URL: "https://token:x-oauth@github.com/acme/churn.git",
      MODELTRAIL_CODE_DIRTY: "false",
      MODELTRAIL_JOB_PLATFORM: "databricks",
      MODELTRAIL_ENVIRONMENT_RUNTIME: JSON.stringify({
        python: "3.11.2",
        "scikit-learn": "1.9.1",
        "node.version": "24",
      }),
      MODELTRAIL_EXTRA: JSON.stringify({ team: "ml-platform", "cost-center": "42" }),
      MODELTRAIL_DATA: JSON.stringify([{ name: "churn", uri: "s3://b/churn.csv", digest: "abc" }]),
    });
    const out = await agree(toEnv(ctx));
    expect(out.kind).toBe("fields");
    if (out.kind === "fields") {
      expect(out.fields.run_id).toBe(JOB_RUN);
      expect(out.fields.repo_url).toBe("https://github.com/acme/churn.git");
      expect(out.fields.git_dirty).toBe(false);
      expect(out.fields.runtime_scikit_learn).toBe("1.9.1");
    }
  });

  it.each([
    ["a job run", { GIT_SHA: SHA, RUN_ID: JOB_RUN }],
    ["an MLflow run standing in", { GIT_SHA: SHA, RUN_ID: MLFLOW_RUN }],
    [
      "the MLflow run named",
      { GIT_SHA: SHA, RUN_ID: MLFLOW_RUN, MODELTRAIL_MODEL_MLFLOW_RUN_ID: MLFLOW_RUN },
    ],
    [
      "RUN_ID with the MLflow id while a job run exists",
      {
        GIT_SHA: SHA,
        RUN_ID: MLFLOW_RUN,
        MODELTRAIL_JOB_RUN_ID: JOB_RUN,
        MODELTRAIL_MODEL_MLFLOW_RUN_ID: MLFLOW_RUN,
      },
    ],
    ["an upper-case padded sha", { GIT_SHA: `  ${SHA.toUpperCase()}\n`, RUN_ID: JOB_RUN }],
    ["two shas that disagree", { GIT_SHA: SHA, MODELTRAIL_CODE_GIT_SHA: SHA2, RUN_ID: JOB_RUN }],
    [
      "two shas that agree modulo case",
      { GIT_SHA: SHA, MODELTRAIL_CODE_GIT_SHA: SHA.toUpperCase(), RUN_ID: JOB_RUN },
    ],
    ["no GIT_SHA", { RUN_ID: JOB_RUN }],
    ["no run id", { GIT_SHA: SHA }],
    ["empty values", { GIT_SHA: SHA, RUN_ID: JOB_RUN, JOB_ID: "  ", MODELTRAIL_MODEL_NAME: "" }],
    ["a newer schema", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_SCHEMA_VERSION: "2" }],
    ["a bad schema", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_SCHEMA_VERSION: "one" }],
    ["a control character", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_MODEL_NAME: "a\u0007b" }],
    ["NBSP and BOM padding", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_MODEL_NAME: "\u00a0churn\ufeff" }],
    ["1024 astral characters", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_MODEL_NAME: "😀".repeat(1024) }],
    ["1025 astral characters", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_MODEL_NAME: "😀".repeat(1025) }],
    [
      "ssh URL with a password",
      { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_CODE_REPO_URL: "ssh://git:hunter2@host/r" },
    ],
    ["a bad bool", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_CODE_DIRTY: "TRUE" }],
    ["a bad platform", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_JOB_PLATFORM: "k8s" }],
    [
      "runtime keys that collapse",
      { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_ENVIRONMENT_RUNTIME: '{"a.b":"1","a-b":"2","a_b":"3"}' },
    ],
    ["runtime not JSON", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_ENVIRONMENT_RUNTIME: "{python: 3}" }],
    ["runtime with NaN", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_ENVIRONMENT_RUNTIME: '{"a": NaN}' }],
    ["extra with a bad key", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_EXTRA: '{"Team":"x"}' }],
    ["extra with a number", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_EXTRA: '{"team":1}' }],
    [
      "data with duplicates",
      { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_DATA: '[{"name":"a"},{"name":"a"}]' },
    ],
    [
      "data with an unknown key",
      { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_DATA: '[{"name":"a","size":1}]' },
    ],
    ["a bad digest", { GIT_SHA: SHA, RUN_ID: JOB_RUN, MODELTRAIL_IMAGE_DIGEST: "sha256:ABC" }],
  ])("agree on %s", async (_name, env) => {
    await agree(env as Record<string, string>);
    await agree(env as Record<string, string>, false);
  });

  it("agree on generated environments", async () => {
    const text = fc.oneof(
      fc.constantFrom(
        "churn",
        " churn ",
        "",
        "  ",
        "a\tb",
        "é",
        "\u2028x",
        "x".repeat(1024),
        "x".repeat(1025),
      ),
      fc.string({ unit: "binary", maxLength: 24 }),
    );
    const sha = fc.constantFrom(
      SHA,
      SHA2,
      SHA.toUpperCase(),
      ` ${SHA} `,
      SHA.slice(0, 39),
      "",
      "g".repeat(40),
    );
    const runId = fc.constantFrom(
      JOB_RUN,
      MLFLOW_RUN,
      MLFLOW_RUN.toUpperCase(),
      "run-1",
      " 42 ",
      "",
      "1".repeat(20),
    );
    const url = fc.constantFrom(
      "https://u:p@example.com/x",
      "ssh://git:pw@host/r",
      "git@github.com:a/b.git",
      "s3://b/k",
      "https://example.com/x",
      "",
    );
    const bool = fc.constantFrom("true", "false", " true ", "TRUE", "yes", "");
    const map = fc.oneof(
      fc
        .dictionary(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,8}$/), text, { maxKeys: 4 })
        .map((m) => JSON.stringify(m)),
      fc.constantFrom('{"A":"1"}', "[]", '"x"', "{", '{"a":1}', "null", ""),
    );
    const data = fc.oneof(
      fc
        .array(
          fc.record({ name: text, uri: fc.option(url, { nil: undefined }) }, { requiredKeys: ["name"] }),
          {
            maxLength: 3,
          },
        )
        .map((d) => JSON.stringify(d)),
      fc.constantFrom("{}", '[{"uri":"x"}]', "[1]"),
    );
    const byKind = {
      text,
      url,
      bool,
      git_sha: sha,
      digest: fc.constantFrom(DIGEST, "sha256:x", ""),
      platform: fc.constantFrom("databricks", "local", "x"),
    };
    const [fields] = await (async () => {
      const { stdout } = await promisify(execFile)(
        SERVING_PYTHON,
        ["-c", "import json; from modeltrail_serving import trace_env as t; print(json.dumps([t.FIELDS]))"],
        { env: pythonEnv() },
      );
      return JSON.parse(stdout) as [[string, keyof typeof byKind, string[], string | null][]];
    })();
    const others: Record<string, fc.Arbitrary<string>> = {
      MODELTRAIL_ENVIRONMENT_RUNTIME: map,
      MODELTRAIL_EXTRA: map,
      MODELTRAIL_DATA: data,
      MODELTRAIL_SCHEMA_VERSION: fc.constantFrom("1", "2", "0", " 1 "),
      UNRELATED: text,
    };
    for (const [field, kind, names] of fields) {
      for (const name of names)
        others[name] = field === "job.runId" || field === "model.mlflowRunId" ? runId : byKind[kind];
    }
    // GIT_SHA and RUN_ID mostly valid, plus up to four other variables: every outcome is reached
    const entry = fc.oneof(...Object.entries(others).map(([k, v]) => v.map((value) => [k, value] as const)));
    const envArb = fc
      .record({
        GIT_SHA: fc.oneof({ weight: 4, arbitrary: fc.constant(SHA) }, { weight: 1, arbitrary: sha }),
        RUN_ID: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(JOB_RUN, MLFLOW_RUN) },
          { weight: 1, arbitrary: runId },
        ),
        more: fc.array(entry, { maxLength: 4 }),
      })
      .map(({ GIT_SHA, RUN_ID, more }) => {
        const env: Record<string, string> = { GIT_SHA, RUN_ID };
        for (const [k, v] of more) env[k] = v;
        return env;
      });
    const seen = { fields: 0, invalid: 0, missing: 0 };
    await fc.assert(
      fc.asyncProperty(envArb, fc.boolean(), async (env, require) => {
        seen[(await agree(env, require)).kind]++;
      }),
      { numRuns: 400, seed: 14 },
    );
    // the generator reaches every outcome
    expect(seen.fields).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
    expect(seen.missing).toBeGreaterThan(0);
  });
});
