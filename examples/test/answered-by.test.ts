import { fromEnv } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { answeredBy, type Prediction } from "../pipeline/deploy-local.ts";

// What step 7 (the script and the demo) checks after a rollback: the response's headers, its body's
// trace and the request's log line all carry the run rolled back to.
const SHA = "0123456789abcdef0123456789abcdef01234567";
const RUN = "1795788642450001";
const expected = {
  runId: RUN,
  digest: `sha256:${"a".repeat(64)}`,
  deployRef: `demo/churn:${RUN}@sha256:${"a".repeat(64)}`,
  ctx: fromEnv({ GIT_SHA: SHA, RUN_ID: RUN }),
};

function prediction(gitSha: string, runId: string, logged: Record<string, unknown> | undefined): Prediction {
  return {
    url: "http://127.0.0.1:9",
    status: 200,
    headers: { "x-modeltrail-git-sha": gitSha, "x-modeltrail-run-id": runId, "x-request-id": "r1" },
    body: { predictions: [1, 0], trace: { git_sha: gitSha, run_id: runId } },
    logLine: logged,
  };
}

describe("answeredBy", () => {
  it("is ok when the headers, the body's trace and the log line carry the run's commit and run id", () => {
    const a = answeredBy(prediction(SHA, RUN, { request_id: "r1", git_sha: SHA, run_id: RUN }), expected);
    expect(a).toEqual({ gitSha: SHA, runId: RUN, ok: true, problems: [] });
  });

  it("names every place that disagrees, and a log line that is missing", () => {
    const other = "1795788642450002";
    const wrong = answeredBy(prediction(SHA, other, { git_sha: SHA, run_id: other }), expected);
    expect(wrong.ok).toBe(false);
    expect(wrong.problems).toEqual([
      `header x-modeltrail-run-id is ${other}`,
      `body trace.run_id is ${other}`,
      `log line run_id is ${other}`,
    ]);
    const unlogged = answeredBy(prediction(SHA, RUN, undefined), expected);
    expect(unlogged.problems).toEqual(["log line git_sha is missing", "log line run_id is missing"]);
    const mixed = answeredBy(prediction(SHA, RUN, { git_sha: "f".repeat(40), run_id: RUN }), expected);
    expect(mixed.problems).toEqual([`log line git_sha is ${"f".repeat(40)}`]);
  });
});
