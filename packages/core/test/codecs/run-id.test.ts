/**
 * "The run id" (DESIGN.md, "Which id is which"): the Databricks job run id, with the MLflow run id
 * standing in only when there is no job run. `RUN_ID` and `run_id` carry it; `fromEnv` reads it back
 * into the field it belongs to; round trips hold for every kind and shape of id.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyRunId,
  createTraceContext,
  DEFAULT_CONVENTIONS,
  defineConventions,
  fromEnv,
  runIdOf,
  toEnv,
  toLogFields,
  ValidationError,
} from "../../src/index.js";
import { anyRunIdArb, decimalIdArb, mlflowRunIdArb, NUM_RUNS, traceContextArb } from "./arbitraries.js";
import { issuesOf, SHA } from "./sample.js";

const JOB_RUN = "1795788642450001";
const MLFLOW_RUN = "0e65f4e6ffd84bbcaca05398f1d5dff3";

describe("classifyRunId", () => {
  it("tells the kinds apart by shape", () => {
    expect(classifyRunId(JOB_RUN)).toBe("job-run");
    expect(classifyRunId(" 42 ")).toBe("job-run");
    expect(classifyRunId(MLFLOW_RUN)).toBe("mlflow-run");
    expect(classifyRunId(MLFLOW_RUN.toUpperCase())).toBeUndefined();
    expect(classifyRunId(`${MLFLOW_RUN}0`)).toBeUndefined();
    expect(classifyRunId("local-3f2a")).toBeUndefined();
    expect(classifyRunId("")).toBeUndefined();
    expect(classifyRunId("1".repeat(20))).toBeUndefined();
  });

  it("is total over decimal ids and MLflow-shaped ids", () => {
    fc.assert(
      fc.property(decimalIdArb, (id) => classifyRunId(id) === "job-run"),
      { numRuns: NUM_RUNS },
    );
    fc.assert(
      fc.property(mlflowRunIdArb, (id) => classifyRunId(id) === "mlflow-run"),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("runIdOf", () => {
  it("is the job run id when there is one, with the MLflow run id beside it", () => {
    const ctx = createTraceContext({ job: { runId: JOB_RUN }, model: { mlflowRunId: MLFLOW_RUN } });
    expect(runIdOf(ctx)).toEqual({ runId: JOB_RUN, kind: "job-run", fallback: false });
  });

  it("falls back to the MLflow run id without a job run, and says so", () => {
    const ctx = createTraceContext({ model: { mlflowRunId: MLFLOW_RUN } });
    expect(runIdOf(ctx)).toEqual({ runId: MLFLOW_RUN, kind: "mlflow-run", fallback: true });
  });

  it("is undefined without either", () => {
    expect(runIdOf(createTraceContext({ code: { gitSha: SHA } }))).toBeUndefined();
  });
});

describe("RUN_ID in the environment", () => {
  it("carries the job run id; the MLflow run id has its own name, never MLFLOW_RUN_ID", () => {
    const env = toEnv(createTraceContext({ job: { runId: JOB_RUN }, model: { mlflowRunId: MLFLOW_RUN } }));
    expect(env.RUN_ID).toBe(JOB_RUN);
    expect(env.MODELTRAIL_JOB_RUN_ID).toBe(JOB_RUN);
    expect(env.MODELTRAIL_MODEL_MLFLOW_RUN_ID).toBe(MLFLOW_RUN);
    expect(env).not.toHaveProperty("MLFLOW_RUN_ID");
  });

  it("carries the MLflow run id when there is no job run", () => {
    const env = toEnv(createTraceContext({ model: { mlflowRunId: MLFLOW_RUN } }));
    expect(env.RUN_ID).toBe(MLFLOW_RUN);
    expect(env).not.toHaveProperty("MODELTRAIL_JOB_RUN_ID");
    expect(fromEnv(env).toJSON()).toEqual({ schemaVersion: 1, model: { mlflowRunId: MLFLOW_RUN } });
  });

  it("alone, is read by its shape: decimal = job run id, 32 hex = MLflow run id, other = job run id", () => {
    expect(fromEnv({ RUN_ID: JOB_RUN }).job?.runId).toBe(JOB_RUN);
    expect(fromEnv({ RUN_ID: MLFLOW_RUN }).model?.mlflowRunId).toBe(MLFLOW_RUN);
    expect(fromEnv({ RUN_ID: MLFLOW_RUN }).job).toBeUndefined();
    expect(fromEnv({ RUN_ID: "local-3f2a9c" }).job?.runId).toBe("local-3f2a9c");
  });

  it("the namespaced variables decide over the shape", () => {
    // a job run id that looks like an MLflow run id
    const ctx = fromEnv({ RUN_ID: MLFLOW_RUN, MODELTRAIL_JOB_RUN_ID: MLFLOW_RUN });
    expect(ctx.toJSON()).toEqual({ schemaVersion: 1, job: { runId: MLFLOW_RUN } });
    // an MLflow run id that is not 32 hex (another tracking backend), standing in
    const odd = fromEnv({ RUN_ID: "run-7", MODELTRAIL_MODEL_MLFLOW_RUN_ID: "run-7" });
    expect(odd.toJSON()).toEqual({ schemaVersion: 1, model: { mlflowRunId: "run-7" } });
  });

  it("refuses a RUN_ID that holds the MLflow run id while there is a job run id", () => {
    const issues = issuesOf(() =>
      fromEnv({
        RUN_ID: MLFLOW_RUN,
        MODELTRAIL_JOB_RUN_ID: JOB_RUN,
        MODELTRAIL_MODEL_MLFLOW_RUN_ID: MLFLOW_RUN,
      }),
    );
    expect(issues).toEqual([
      {
        path: "RUN_ID",
        message: expect.stringMatching(/holds the MLflow run id, but there is a job run id/),
      },
    ]);
  });

  it("refuses a RUN_ID that disagrees with the namespaced variable of its kind", () => {
    expect(issuesOf(() => fromEnv({ RUN_ID: "42", MODELTRAIL_JOB_RUN_ID: JOB_RUN }))).toEqual([
      { path: "MODELTRAIL_JOB_RUN_ID, RUN_ID", message: expect.stringContaining("disagree") },
    ]);
    expect(
      issuesOf(() => fromEnv({ RUN_ID: "f".repeat(32), MODELTRAIL_MODEL_MLFLOW_RUN_ID: MLFLOW_RUN })),
    ).toEqual([
      { path: "MODELTRAIL_MODEL_MLFLOW_RUN_ID, RUN_ID", message: expect.stringContaining("disagree") },
    ]);
  });

  it("round trips for every kind and shape of id, alone and together", () => {
    fc.assert(
      fc.property(
        fc.option(anyRunIdArb, { nil: undefined }),
        fc.option(anyRunIdArb, { nil: undefined }),
        (job, mlflow) => {
          const ctx = createTraceContext({
            ...(job === undefined ? {} : { job: { runId: job } }),
            ...(mlflow === undefined ? {} : { model: { mlflowRunId: mlflow } }),
          });
          const env = toEnv(ctx);
          expect(env.RUN_ID).toBe(job ?? mlflow);
          expect(fromEnv(env).equals(ctx)).toBe(true);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("round trips for whole contexts amid unrelated variables, also with seeds only", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        expect(fromEnv({ ...toEnv(ctx), PATH: "/usr/bin", MLFLOW_RUN_ID: "ignored" }).equals(ctx)).toBe(true);
        // what a hand-written manifest carries: the seeds alone keep the run id's kind when it has a telling shape
        const run = runIdOf(ctx);
        if (run && classifyRunId(run.runId) === run.kind) {
          expect(runIdOf(fromEnv({ RUN_ID: run.runId }))).toEqual({ ...run });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("run_id in the log fields", () => {
  it("is the job run id, with mlflow_run_id beside it; the MLflow run id stands in without a job run", () => {
    const both = toLogFields(
      createTraceContext({ job: { runId: JOB_RUN }, model: { mlflowRunId: MLFLOW_RUN } }),
    );
    expect(both.run_id).toBe(JOB_RUN);
    expect(both.mlflow_run_id).toBe(MLFLOW_RUN);
    expect(both).not.toHaveProperty("job_run_id");
    const fallback = toLogFields(createTraceContext({ model: { mlflowRunId: MLFLOW_RUN } }));
    expect(fallback.run_id).toBe(MLFLOW_RUN);
    expect(fallback.mlflow_run_id).toBe(MLFLOW_RUN);
  });

  it("follows RUN_ID for every context", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        expect(toLogFields(ctx).run_id).toBe(toEnv(ctx).RUN_ID);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("run id conventions", () => {
  it("can be renamed or switched off", () => {
    const renamed = defineConventions({ env: { runId: "SERVED_RUN" }, logFields: { runId: "served_run" } });
    const ctx = createTraceContext({ job: { runId: JOB_RUN } });
    expect(toEnv(ctx, { conventions: renamed })).toMatchObject({ SERVED_RUN: JOB_RUN });
    expect(toEnv(ctx, { conventions: renamed })).not.toHaveProperty("RUN_ID");
    expect(toLogFields(ctx, { conventions: renamed }).served_run).toBe(JOB_RUN);
    const off = defineConventions({ env: { runId: null }, logFields: { runId: null } });
    expect(toEnv(ctx, { conventions: off })).not.toHaveProperty("RUN_ID");
    expect(toLogFields(ctx, { conventions: off })).not.toHaveProperty("run_id");
  });

  it("refuses MLFLOW_RUN_ID, which MLflow itself reads to resume a run", () => {
    for (const override of [
      { env: { runId: "MLFLOW_RUN_ID" } },
      { env: { fields: { "model.mlflowRunId": ["MLFLOW_RUN_ID"] } } },
    ]) {
      let err: unknown;
      try {
        defineConventions(override);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toMatch(/MLFLOW_RUN_ID.*resumes that run/);
    }
  });

  it("a name cannot be both the run id and a field", () => {
    expect(() => defineConventions({ env: { fields: { "job.jobId": ["RUN_ID"] } } })).toThrow(/RUN_ID/);
    expect(DEFAULT_CONVENTIONS.env.runId).toBe("RUN_ID");
  });
});
