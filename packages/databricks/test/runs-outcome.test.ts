import { describe, expect, it } from "vitest";
import { classifyRun, isRunTerminal, type Run, runLifecycleState } from "../src/index.js";
import { fixture } from "./client-test-helpers.js";

const terminated = (code: string | undefined, type: string | undefined, legacy?: Run["state"]): Run => ({
  run_id: 1,
  status: { state: "TERMINATED", termination_details: { code, type, message: "" } },
  ...(legacy ? { state: legacy } : {}),
});

describe("classifyRun", () => {
  it("is undefined while the run is not finished (any non-TERMINATED status state)", () => {
    for (const state of [
      "BLOCKED",
      "PENDING",
      "QUEUED",
      "RUNNING",
      "TERMINATING",
      "WAITING",
      "SOMETHING_NEW",
    ])
      expect(classifyRun({ run_id: 1, status: { state } }), state).toBeUndefined();
    expect(classifyRun(fixture("runs-get-running.json"))).toBeUndefined();
  });

  it("maps termination codes", () => {
    const cases: Array<[string, string, string]> = [
      ["SUCCESS", "SUCCESS", "success"],
      ["SUCCESS_WITH_FAILURES", "SUCCESS", "success"],
      ["USER_CANCELED", "SUCCESS", "canceled"],
      ["CANCELED", "SUCCESS", "canceled"],
      ["SKIPPED", "SUCCESS", "skipped"],
      ["DISABLED", "CLIENT_ERROR", "skipped"],
      ["MAX_CONCURRENT_RUNS_EXCEEDED", "CLIENT_ERROR", "skipped"],
      ["RUN_EXECUTION_ERROR", "CLIENT_ERROR", "failed"],
      ["DRIVER_ERROR", "INTERNAL_ERROR", "failed"],
      ["CLOUD_FAILURE", "CLOUD_FAILURE", "failed"],
      ["A_CODE_FROM_THE_FUTURE", "SUCCESS", "success"],
      ["ANOTHER_FUTURE_CODE", "CLIENT_ERROR", "failed"],
    ];
    for (const [code, type, kind] of cases) {
      const outcome = classifyRun(terminated(code, type));
      expect(outcome?.kind, code).toBe(kind);
      expect(outcome?.code).toBe(code);
    }
  });

  it("falls back to the legacy state fields", () => {
    const legacy = (life_cycle_state: string, result_state?: string): Run => ({
      run_id: 1,
      state: { life_cycle_state, ...(result_state ? { result_state } : {}) },
    });
    expect(classifyRun(legacy("TERMINATED", "SUCCESS"))?.kind).toBe("success");
    expect(classifyRun(legacy("TERMINATED", "FAILED"))?.kind).toBe("failed");
    expect(classifyRun(legacy("TERMINATED", "CANCELED"))?.kind).toBe("canceled");
    expect(classifyRun(legacy("TERMINATED", "TIMEDOUT"))?.kind).toBe("timedout");
    expect(classifyRun(legacy("TERMINATED", "EXCLUDED"))?.kind).toBe("skipped");
    expect(classifyRun(legacy("SKIPPED"))?.kind).toBe("skipped");
    expect(classifyRun(legacy("INTERNAL_ERROR"))?.kind).toBe("failed");
    expect(classifyRun(legacy("RUNNING"))).toBeUndefined();
    expect(classifyRun(legacy("WAITING_FOR_RETRY"))).toBeUndefined();
    expect(isRunTerminal({ state: { life_cycle_state: "TERMINATING" } })).toBe(false);
  });

  it("prefers status over the legacy fields, except a legacy TIMEDOUT result", () => {
    expect(
      classifyRun(
        terminated("SUCCESS", "SUCCESS", { life_cycle_state: "TERMINATED", result_state: "FAILED" }),
      )?.kind,
    ).toBe("success");
    expect(
      classifyRun(
        terminated("CANCELED", "CLIENT_ERROR", { life_cycle_state: "TERMINATED", result_state: "TIMEDOUT" }),
      )?.kind,
    ).toBe("timedout");
  });

  it("uses a default message when Databricks gave none", () => {
    expect(classifyRun(terminated("CANCELED", "SUCCESS"))?.message).toBe("The run was canceled (CANCELED)");
  });

  it("reads the lifecycle state from status first", () => {
    expect(runLifecycleState({ status: { state: "QUEUED" }, state: { life_cycle_state: "PENDING" } })).toBe(
      "QUEUED",
    );
    expect(runLifecycleState({ state: { life_cycle_state: "PENDING" } })).toBe("PENDING");
    expect(runLifecycleState({})).toBe("UNKNOWN");
  });
});
