import { describe, expect, it } from "vitest";
import {
  createTraceContext,
  defineConventions,
  parseTraceHandle,
  toLogFields,
  ValidationError,
} from "../../src/index.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("parseTraceHandle", () => {
  it("reads each kind from its written form", () => {
    expect(parseTraceHandle(SHA)).toEqual({ kind: "commit", gitSha: SHA });
    expect(parseTraceHandle(SHA.toUpperCase())).toEqual({ kind: "commit", gitSha: SHA });
    expect(parseTraceHandle("1795788642450001")).toEqual({ kind: "run", runId: "1795788642450001" });
    expect(parseTraceHandle("0e65f4e6ffd84bbcaca05398f1d5dff3")).toEqual({
      kind: "run",
      runId: "0e65f4e6ffd84bbcaca05398f1d5dff3",
    });
    expect(parseTraceHandle("models:/churn/3")).toEqual({
      kind: "model-version",
      name: "churn",
      version: "3",
    });
    expect(parseTraceHandle("models:/main.ml.churn/12")).toEqual({
      kind: "model-version",
      name: "main.ml.churn",
      version: "12",
    });
    expect(parseTraceHandle("deployment/prod/churn-api")).toEqual({
      kind: "deployment",
      namespace: "prod",
      name: "churn-api",
    });
    expect(parseTraceHandle("pod/prod/churn-api-5d9c7-abcde")).toEqual({
      kind: "pod",
      namespace: "prod",
      name: "churn-api-5d9c7-abcde",
    });
    expect(parseTraceHandle(DIGEST)).toEqual({ kind: "image", ref: DIGEST });
    expect(parseTraceHandle("127.0.0.1:5000/models/churn:1795788642450001")).toEqual({
      kind: "image",
      ref: "127.0.0.1:5000/models/churn:1795788642450001",
    });
    expect(parseTraceHandle(`acr.azurecr.io/churn@${DIGEST}`)).toEqual({
      kind: "image",
      ref: `acr.azurecr.io/churn@${DIGEST}`,
    });
  });

  it("lets a prefix force the kind", () => {
    expect(parseTraceHandle(`commit:${SHA}`)).toEqual({ kind: "commit", gitSha: SHA });
    expect(parseTraceHandle("run:42")).toEqual({ kind: "run", runId: "42" });
    expect(parseTraceHandle("image:churn:42")).toEqual({ kind: "image", ref: "churn:42" });
    expect(parseTraceHandle("model:churn/7")).toEqual({ kind: "model-version", name: "churn", version: "7" });
  });

  it("keeps only the trace fields of a log line, by the conventions' names", () => {
    const ctx = createTraceContext({
      code: { gitSha: SHA },
      job: { runId: "1795788642450001", jobId: "1795788642450000" },
      model: { name: "churn", version: "3", mlflowRunId: "0e65f4e6ffd84bbcaca05398f1d5dff3" },
    });
    const line = JSON.stringify({
      msg: "prediction",
      ...toLogFields(ctx),
      input: { email: "someone@example.com" },
      score: 0.93,
    });
    const handle = parseTraceHandle(line);
    expect(handle.kind).toBe("log-line");
    if (handle.kind !== "log-line") return;
    expect(handle.fields).toMatchObject({
      git_sha: SHA,
      run_id: "1795788642450001",
      model_name: "churn",
      model_version: "3",
      mlflow_run_id: "0e65f4e6ffd84bbcaca05398f1d5dff3",
    });
    expect(JSON.stringify(handle)).not.toContain("someone@example.com");
    expect(handle.fields).not.toHaveProperty("msg");
    expect(handle.fields).not.toHaveProperty("score");
  });

  it("reads log fields written under custom names", () => {
    const conventions = defineConventions({ logFields: { fields: { "code.gitSha": ["commit"] } } });
    const handle = parseTraceHandle({ commit: SHA, other: 1 }, { conventions });
    expect(handle).toEqual({ kind: "log-line", fields: { commit: SHA } });
  });

  it("validates a handle object", () => {
    expect(parseTraceHandle({ kind: "deployment", namespace: "prod", name: "api" })).toEqual({
      kind: "deployment",
      namespace: "prod",
      name: "api",
    });
    expect(() => parseTraceHandle({ kind: "deployment", namespace: "Prod", name: "api" })).toThrow(
      ValidationError,
    );
    expect(() => parseTraceHandle({ kind: "commit", gitSha: "abc" })).toThrow(/40-character/);
    expect(() => parseTraceHandle({ kind: "deployment", namespace: "p", name: "a", extra: 1 })).toThrow(
      ValidationError,
    );
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["{not json", /not valid JSON/],
    ["[1,2]", /none of the accepted forms|Not a trace handle/],
    ['{"msg":"hello"}', /no trace fields/],
    ["abc1234", /abbreviated/],
    ["models:/churn", /models:\/<name>\/<version>/],
    ["models:/churn@champion", /aliases/],
    ["deployment/churn", /deployment\/<namespace>\/<name>/],
    ["churn", /none of the accepted forms/],
    ["two words", /none of the accepted forms/],
  ])("refuses %j with a ValidationError that says what is accepted", (input, why) => {
    let error: unknown;
    try {
      parseTraceHandle(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    expect(`${e.message} ${JSON.stringify(e.issues)}`).toMatch(why);
    expect(e.message).toMatch(/Accepted:|log line|Invalid/);
  });

  it("refuses values that are not strings or objects", () => {
    expect(() => parseTraceHandle(42)).toThrow(ValidationError);
    expect(() => parseTraceHandle(null)).toThrow(ValidationError);
  });
});
