/**
 * Whether a task runs once its dependencies have finished, following Databricks' `run_if` rules.
 *
 * Each dependency counts as one of: `success` (SUCCESS; for a dependency with `outcome`, the condition
 * task's outcome must match), `excluded` (EXCLUDED, DISABLED, or a condition outcome that does not
 * match), `failed` (FAILED, TIMEDOUT, UPSTREAM_FAILED) or `canceled` (CANCELED, UPSTREAM_CANCELED).
 *
 * | run_if | runs when | otherwise |
 * |---|---|---|
 * | ALL_SUCCESS (default) | every dependency succeeded | UPSTREAM_FAILED if one failed, UPSTREAM_CANCELED if one was canceled, else EXCLUDED |
 * | AT_LEAST_ONE_SUCCESS | one succeeded | same as above |
 * | NONE_FAILED | none failed or was canceled, and one succeeded | same as above |
 * | ALL_DONE | always (all have finished) | - |
 * | AT_LEAST_ONE_FAILED | one failed | EXCLUDED |
 * | ALL_FAILED | every one failed | EXCLUDED |
 */

/** How one finished dependency counts for `run_if`. */
export type DependencyOutcome = "success" | "excluded" | "failed" | "canceled";

/** The decision for a task whose dependencies have all finished. */
export type RunIfDecision =
  | { run: true }
  | { run: false; resultState: "UPSTREAM_FAILED" | "UPSTREAM_CANCELED" | "EXCLUDED" };

/** Classifies a finished dependency from its result state and, for condition tasks, its outcome. Never throws. */
export function dependencyOutcome(
  resultState: string | undefined,
  expectedOutcome: string | undefined,
  actualOutcome: string | undefined,
): DependencyOutcome {
  switch (resultState) {
    case "SUCCESS":
    case "SUCCESS_WITH_FAILURES":
      if (expectedOutcome !== undefined && expectedOutcome !== actualOutcome) return "excluded";
      return "success";
    case "EXCLUDED":
    case "DISABLED":
      return "excluded";
    case "CANCELED":
    case "UPSTREAM_CANCELED":
      return "canceled";
    default:
      return "failed";
  }
}

/**
 * Decides whether a task runs. Returns undefined for a `run_if` value this release does not know
 * (the caller fails the task with a clear message). Never throws.
 */
export function decideRunIf(runIf: string | undefined, deps: DependencyOutcome[]): RunIfDecision | undefined {
  if (deps.length === 0) return { run: true };
  const count = (o: DependencyOutcome) => deps.filter((d) => d === o).length;
  const failed = count("failed");
  const canceled = count("canceled");
  const success = count("success");
  const blocked = (): RunIfDecision => ({
    run: false,
    resultState: failed > 0 ? "UPSTREAM_FAILED" : canceled > 0 ? "UPSTREAM_CANCELED" : "EXCLUDED",
  });
  switch (runIf ?? "ALL_SUCCESS") {
    case "ALL_SUCCESS":
      return success === deps.length ? { run: true } : blocked();
    case "AT_LEAST_ONE_SUCCESS":
      return success > 0 ? { run: true } : blocked();
    case "NONE_FAILED":
      return failed === 0 && canceled === 0 && success > 0 ? { run: true } : blocked();
    case "ALL_DONE":
      return { run: true };
    case "AT_LEAST_ONE_FAILED":
      return failed > 0 ? { run: true } : { run: false, resultState: "EXCLUDED" };
    case "ALL_FAILED":
      return failed === deps.length ? { run: true } : { run: false, resultState: "EXCLUDED" };
    default:
      return undefined;
  }
}

/**
 * Evaluates a `condition_task` the way Databricks does: numeric comparison when both sides are numbers,
 * string comparison otherwise (only EQUAL_TO / NOT_EQUAL are meaningful for strings; ordering
 * operators on strings compare lexicographically). Returns undefined for an unknown operator.
 */
export function evaluateCondition(op: string, left: string, right: string): boolean | undefined {
  const numeric = /^\s*-?\d+(\.\d+)?\s*$/;
  const bothNumbers = numeric.test(left) && numeric.test(right);
  const a: number | string = bothNumbers ? Number(left) : left;
  const b: number | string = bothNumbers ? Number(right) : right;
  switch (op) {
    case "EQUAL_TO":
      return a === b;
    case "NOT_EQUAL":
      return a !== b;
    case "GREATER_THAN":
      return a > b;
    case "GREATER_THAN_OR_EQUAL":
      return a >= b;
    case "LESS_THAN":
      return a < b;
    case "LESS_THAN_OR_EQUAL":
      return a <= b;
    default:
      return undefined;
  }
}
