import { describe, expect, it } from "vitest";
import {
  createTraceContext,
  DEFAULT_CONVENTIONS,
  defineConventions,
  fromEnv,
  toEnv,
  toMlflowTags,
  ValidationError,
} from "../src/index.js";
import { SCALAR_FIELDS } from "../src/internal.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("DEFAULT_CONVENTIONS", () => {
  it("uses the seed names of the reference pipeline", () => {
    const d = DEFAULT_CONVENTIONS;
    expect(d.env.fields["code.gitSha"]).toEqual(["GIT_SHA", "MODELTRAIL_CODE_GIT_SHA"]);
    expect(d.env.runId).toBe("RUN_ID");
    expect(d.env.fields["model.mlflowRunId"]).toEqual(["MODELTRAIL_MODEL_MLFLOW_RUN_ID"]);
    expect(d.env.fields["job.jobId"]).toEqual(["JOB_ID", "MODELTRAIL_JOB_ID"]);
    expect(d.env.fields["job.runId"]).toEqual(["MODELTRAIL_JOB_RUN_ID"]);
    expect(d.env.fields["job.taskRunId"]).toEqual(["MODELTRAIL_JOB_TASK_RUN_ID"]);
    expect(d.env.fields["model.version"]).toEqual(["MODELTRAIL_MODEL_VERSION"]);
    expect(d.mlflowTags.fields["code.gitSha"]).toEqual(["GIT_SHA", "mlflow.source.git.commit"]);
    expect(d.mlflowTags.fields["code.repoUrl"]).toEqual(["mlflow.source.git.repoURL"]);
    expect(d.mlflowTags.fields["code.branch"]).toEqual(["mlflow.source.git.branch"]);
    expect(d.mlflowTags.fields["job.runId"]).toEqual(["DBR_RUN_ID"]);
    expect(d.mlflowTags.fields["job.jobId"]).toEqual(["DBR_JOB_ID"]);
    expect(d.mlflowTags.fields["model.mlflowRunId"]).toEqual(["modeltrail.model.mlflow_run_id"]);
    expect(d.annotations.fields["code.gitSha"]).toEqual(["org.opencontainers.image.revision"]);
    expect(d.annotations.fields["code.repoUrl"]).toEqual(["org.opencontainers.image.source"]);
    expect(d.annotations.fields["model.mlflowRunId"]).toEqual(["modeltrail.dev/model.mlflow-run-id"]);
    expect(d.labels.fields["code.gitSha"]).toEqual(["modeltrail.dev/code.git-sha"]);
    expect(d.labels.fields["code.repoUrl"]).toEqual([]);
    expect(d.otel.fields["ci.runUrl"]).toEqual(["cicd.pipeline.run.url.full"]);
    expect(d.logFields.runId).toBe("run_id");
    expect(d.logFields.fields["model.mlflowRunId"]).toEqual(["mlflow_run_id"]);
    expect(d.logFields.fields["job.runId"]).toEqual([]);
    expect(d.logFields.fields["job.jobId"]).toEqual(["job_id"]);
    expect(d.logFields.fields["job.taskRunId"]).toEqual(["task_run_id"]);
    expect(d.logFields.fields["model.version"]).toEqual(["model_version"]);
    expect(d.baggage.maxMembers).toBe(64);
    expect(d.baggage.maxBytes).toBe(8192);
    for (const field of SCALAR_FIELDS) expect(d.env.fields[field].length).toBeGreaterThan(0);
  });

  it("is deeply frozen and itself valid", () => {
    expect(Object.isFrozen(DEFAULT_CONVENTIONS.env.fields)).toBe(true);
    expect(defineConventions()).toEqual(DEFAULT_CONVENTIONS);
  });
});

describe("defineConventions", () => {
  it("renames a seed and switches names off, and the codecs follow", () => {
    const conventions = defineConventions({
      env: { fields: { "code.gitSha": ["COMMIT_SHA"], "model.name": [] }, schemaVersion: null },
      mlflowTags: { fields: { "job.runId": ["DATABRICKS_RUN_ID"] } },
    });
    const ctx = createTraceContext({ code: { gitSha: SHA }, model: { name: "m" }, job: { runId: "4" } });
    const env = toEnv(ctx, { conventions });
    expect(env.COMMIT_SHA).toBe(SHA);
    expect(env).not.toHaveProperty("GIT_SHA");
    expect(env).not.toHaveProperty("MODELTRAIL_MODEL_NAME");
    expect(env).not.toHaveProperty("MODELTRAIL_SCHEMA_VERSION");
    expect(fromEnv({ COMMIT_SHA: SHA, GIT_SHA: "ignored now" }, { conventions }).code?.gitSha).toBe(SHA);
    expect(toMlflowTags(ctx, { conventions }).DATABRICKS_RUN_ID).toBe("4");
  });

  it("rejects invalid names, shared names, overlapping prefixes and unknown keys, listing each", () => {
    let err: ValidationError | undefined;
    try {
      defineConventions({
        env: { fields: { "code.branch": ["BAD-NAME"], "code.dirty": ["GIT_SHA"] } },
        labels: { fields: { "model.name": ["bad key!"] } },
        mlflowTags: { extraPrefix: "modeltrail.model." },
        baggage: { maxMembers: 0 },
        otel: { fields: { "code.nope": ["x"] } as never, bogus: "x" } as never,
      });
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const paths = err?.issues.map((i) => i.path) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining([
        "env.fields.code.branch",
        "env.fields.code.dirty",
        "labels.fields.model.name",
        "mlflowTags.extraPrefix",
        "baggage.maxMembers",
        "otel.fields.code.nope",
        "otel.bogus",
      ]),
    );
  });
});
