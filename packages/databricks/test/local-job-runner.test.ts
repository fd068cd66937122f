import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError, ValidationError } from "@modeltrail/core";
import { afterAll, describe, expect, it } from "vitest";
import { LocalJobRunner } from "../src/local/local-job-runner.js";
import type { LocalRunEvent } from "../src/local/local-run-types.js";
import { decideRunIf, dependencyOutcome, evaluateCondition } from "../src/local/run-if.js";
import { classifyRun } from "../src/run-outcome.js";
import type { Run, RunTask } from "../src/schemas/api/run.js";
import { waitForRun } from "../src/wait-for-run.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/local/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "mt-local-runner-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const runner = new LocalJobRunner({
  cwd: FIXTURES,
  maxConcurrency: 2,
  killGraceMs: 500,
  env: { PYTHONPATH: join(FIXTURES, "pypkg"), PYTHONDONTWRITEBYTECODE: "1" },
});

const task = (run: Run, key: string): RunTask => {
  const t = run.tasks?.find((x) => x.task_key === key);
  if (!t) throw new Error(`no task ${key}`);
  return t;
};
const stdoutJson = async (r: LocalJobRunner, t: RunTask) =>
  JSON.parse((await r.runs.getOutput(t.run_id!)).logs!.trim().split("\n")[0]!) as { argv: string[] };

describe("LocalJobRunner: success", () => {
  it("runs Python and Node tasks in dependency order with dynamic values, job parameters and task values", async () => {
    const events: LocalRunEvent[] = [];
    const settings = {
      name: "train-local",
      parameters: [
        { name: "git_sha", default: "0".repeat(40) },
        { name: "lr", default: "0.1" },
      ],
      tasks: [
        {
          task_key: "prep",
          spark_python_task: {
            python_file: "echo_args.py",
            parameters: [
              "--job-id={{job.id}}",
              "--job-run-id={{job.run_id}}",
              "--task-run-id={{task.run_id}}",
              "--task-key={{ task.name }}",
              "--git-sha={{job.parameters.git_sha}}",
              "--lr={{job.parameters.lr}}",
              "--date={{job.start_time.iso_date}}",
              "--legacy={{run_id}}",
              "--set-values",
            ],
          },
        },
        {
          task_key: "train",
          depends_on: [{ task_key: "prep" }],
          spark_python_task: {
            python_file: "task.mjs",
            parameters: [
              "--rows={{tasks.prep.values.rows}}",
              "--prep-state={{tasks.prep.result_state}}",
              "{{workspace.id}}",
            ],
          },
        },
      ],
    };
    const handle = runner.start(settings, {
      jobId: 123,
      jobParameters: { lr: "0.5" },
      onEvent: (e) => events.push(e),
    });
    const run = await handle.wait();

    expect(run).toMatchObject({
      job_id: 123,
      run_id: handle.runId,
      run_name: "train-local",
      state: { life_cycle_state: "TERMINATED", result_state: "SUCCESS" },
      status: { state: "TERMINATED", termination_details: { code: "SUCCESS", type: "SUCCESS" } },
      job_parameters: [
        { name: "git_sha", default: "0".repeat(40), value: "0".repeat(40) },
        { name: "lr", default: "0.1", value: "0.5" },
      ],
    });
    expect(classifyRun(run)?.kind).toBe("success");
    const prep = task(run, "prep");
    const train = task(run, "train");
    for (const t of [prep, train]) {
      expect(t.state).toMatchObject({ life_cycle_state: "TERMINATED", result_state: "SUCCESS" });
      expect(t.status).toMatchObject({ state: "TERMINATED", termination_details: { code: "SUCCESS" } });
      expect(Number.isSafeInteger(t.run_id)).toBe(true);
      for (const f of [
        "start_time",
        "end_time",
        "setup_duration",
        "execution_duration",
        "cleanup_duration",
      ]) {
        expect(typeof (t as Record<string, unknown>)[f]).toBe("number");
      }
      expect(t.end_time).toBeGreaterThanOrEqual(t.start_time!);
    }
    expect(train.start_time).toBeGreaterThanOrEqual(prep.end_time!);

    const prepArgs = (await stdoutJson(runner, prep)).argv;
    expect(prepArgs).toEqual([
      "--job-id=123",
      `--job-run-id=${handle.runId}`,
      `--task-run-id=${prep.run_id}`,
      "--task-key=prep",
      `--git-sha=${"0".repeat(40)}`,
      "--lr=0.5",
      `--date=${new Date(run.start_time!).toISOString().slice(0, 10)}`,
      `--legacy=${prep.run_id}`,
      "--set-values",
    ]);
    const trainOut = await runner.runs.getOutput(train.run_id!);
    expect(JSON.parse(trainOut.logs!.trim())).toEqual({
      argv: ["--rows=42", "--prep-state=SUCCESS", "{{workspace.id}}"],
      runtime: "node",
    });
    expect(trainOut.unresolved_references).toEqual(["{{workspace.id}}"]);
    expect((await runner.runs.getOutput(prep.run_id!)).stderr).toBe("done\n");

    const taskStates = events
      .filter(
        (e): e is Extract<LocalRunEvent, { type: "task-state" }> =>
          e.type === "task-state" && e.taskKey === "prep",
      )
      .map((e) => e.state);
    expect(taskStates).toEqual(["RUNNING", "TERMINATED"]);
    const runStates = events.filter((e) => e.type === "run-state").map((e) => e.state);
    expect(runStates).toEqual(["RUNNING", "TERMINATED"]);
    const iterated: string[] = [];
    for await (const e of handle.events()) iterated.push(e.type);
    expect(iterated.length).toBe(events.length);
  });

  it("runs a python_wheel_task entry point with named parameters", async () => {
    const run = await runner.run({
      tasks: [
        {
          task_key: "wheel",
          python_wheel_task: {
            package_name: "mt_fixture_pkg",
            entry_point: "main",
            named_parameters: { "task-key": "{{task.name}}", run: "{{job.run_id}}" },
          },
        },
      ],
    });
    const t = task(run, "wheel");
    expect(t.state?.result_state).toBe("SUCCESS");
    expect((await stdoutJson(runner, t)).argv).toEqual([
      "mt_fixture_pkg",
      "--task-key=wheel",
      `--run=${run.run_id}`,
    ]);
  });

  it("works with waitForRun through runner.runs", async () => {
    const handle = runner.start({
      tasks: [{ task_key: "a", spark_python_task: { python_file: "echo_args.py" } }],
    });
    const outcome = await waitForRun({ runs: runner.runs } as never, handle.runId, {
      pollIntervalMs: 20,
      maxPollIntervalMs: 50,
    });
    expect(outcome.kind).toBe("success");
    expect(outcome.run.tasks?.[0]?.state?.result_state).toBe("SUCCESS");
  });

  it("retries a failing task and evaluates condition tasks", async () => {
    const counter = join(scratch, "flaky-counter");
    const run = await runner.run({
      parameters: [{ name: "mode", default: "full" }],
      tasks: [
        {
          task_key: "flaky",
          max_retries: 1,
          min_retry_interval_millis: 10,
          spark_python_task: { python_file: "flaky.py", parameters: [counter] },
        },
        {
          task_key: "is_full",
          depends_on: [{ task_key: "flaky" }],
          condition_task: { op: "EQUAL_TO", left: "{{job.parameters.mode}}", right: "full" },
        },
        {
          task_key: "when_full",
          depends_on: [{ task_key: "is_full", outcome: "true" }],
          condition_task: { op: "GREATER_THAN", left: "10", right: "9" },
        },
        {
          task_key: "when_partial",
          depends_on: [{ task_key: "is_full", outcome: "false" }],
          condition_task: { op: "EQUAL_TO", left: "a", right: "a" },
        },
      ],
    });
    expect(readFileSync(counter, "utf8")).toBe("2");
    expect(task(run, "flaky")).toMatchObject({ attempt_number: 1, state: { result_state: "SUCCESS" } });
    expect(task(run, "is_full")).toMatchObject({
      condition_task: { left: "full", right: "full", outcome: "true" },
    });
    expect(task(run, "when_full").state?.result_state).toBe("SUCCESS");
    expect(task(run, "when_partial").state).toMatchObject({
      life_cycle_state: "SKIPPED",
      result_state: "EXCLUDED",
    });
    expect(run.state?.result_state).toBe("SUCCESS");
  });
});

describe("LocalJobRunner: failures", () => {
  it("fails a task, marks its dependents UPSTREAM_FAILED without running them, and honours run_if", async () => {
    let running = 0;
    let peak = 0;
    const onEvent = (e: LocalRunEvent) => {
      if (e.type !== "task-state") return;
      if (e.state === "RUNNING") peak = Math.max(peak, ++running);
      if (e.previousState === "RUNNING") running--;
    };
    const run = await runner.run(
      {
        tasks: [
          { task_key: "ok", spark_python_task: { python_file: "echo_args.py" } },
          { task_key: "bad", spark_python_task: { python_file: "fail.py" } },
          {
            task_key: "after_bad",
            depends_on: [{ task_key: "bad" }],
            spark_python_task: { python_file: "echo_args.py" },
          },
          {
            task_key: "after_after",
            depends_on: [{ task_key: "after_bad" }],
            spark_python_task: { python_file: "echo_args.py" },
          },
          {
            task_key: "cleanup",
            depends_on: [{ task_key: "bad" }, { task_key: "ok" }],
            run_if: "ALL_DONE",
            spark_python_task: { python_file: "echo_args.py" },
          },
          {
            task_key: "alert",
            depends_on: [{ task_key: "bad" }, { task_key: "ok" }],
            run_if: "AT_LEAST_ONE_FAILED",
            spark_python_task: { python_file: "task.mjs" },
          },
          {
            task_key: "all_failed",
            depends_on: [{ task_key: "bad" }, { task_key: "ok" }],
            run_if: "ALL_FAILED",
            spark_python_task: { python_file: "echo_args.py" },
          },
          {
            task_key: "any_ok",
            depends_on: [{ task_key: "bad" }, { task_key: "ok" }],
            run_if: "AT_LEAST_ONE_SUCCESS",
            spark_python_task: { python_file: "echo_args.py" },
          },
          {
            task_key: "none_failed",
            depends_on: [{ task_key: "bad" }, { task_key: "ok" }],
            run_if: "NONE_FAILED",
            spark_python_task: { python_file: "echo_args.py" },
          },
        ],
      },
      { onEvent },
    );
    const bad = task(run, "bad");
    expect(bad.state).toMatchObject({ life_cycle_state: "TERMINATED", result_state: "FAILED" });
    expect(bad.status?.termination_details).toMatchObject({
      code: "RUN_EXECUTION_ERROR",
      type: "CLIENT_ERROR",
    });
    expect(bad.state?.state_message).toMatch(
      /exited with code 1: ValueError: boom: the model did not converge/,
    );
    const out = await runner.runs.getOutput(bad.run_id!);
    expect(out.error).toBe("ValueError: boom: the model did not converge");
    expect(out.error_trace).toMatch(/Traceback/);
    expect(out.logs).toBe("starting\n");

    for (const key of ["after_bad", "after_after"]) {
      const t = task(run, key);
      expect(t.state).toMatchObject({ life_cycle_state: "SKIPPED", result_state: "UPSTREAM_FAILED" });
      expect(t.status?.termination_details?.code).toBe("SKIPPED");
      expect(t.execution_duration).toBe(0);
      expect((await runner.runs.getOutput(t.run_id!)).logs).toBeUndefined();
    }
    expect(task(run, "cleanup").state?.result_state).toBe("SUCCESS");
    expect(task(run, "alert").state?.result_state).toBe("SUCCESS");
    expect(task(run, "all_failed").state?.result_state).toBe("EXCLUDED");
    expect(task(run, "any_ok").state?.result_state).toBe("SUCCESS");
    expect(task(run, "none_failed").state?.result_state).toBe("UPSTREAM_FAILED");

    expect(peak).toBe(2); // the runner's maxConcurrency
    expect(run.state?.result_state).toBe("FAILED");
    expect(run.status?.termination_details).toMatchObject({
      code: "RUN_EXECUTION_ERROR",
      type: "CLIENT_ERROR",
    });
    const outcome = classifyRun(run);
    expect(outcome?.kind).toBe("failed");
    expect(outcome?.failedTasks.map((t) => t.taskKey).sort()).toEqual([
      "after_after",
      "after_bad",
      "bad",
      "none_failed",
    ]);
  });

  it("reports SUCCESS_WITH_FAILURES when every leaf task succeeded", async () => {
    const run = await runner.run({
      tasks: [
        { task_key: "bad", spark_python_task: { python_file: "task.mjs", parameters: ["--fail"] } },
        {
          task_key: "leaf",
          depends_on: [{ task_key: "bad" }],
          run_if: "ALL_DONE",
          spark_python_task: { python_file: "task.mjs" },
        },
      ],
    });
    expect(task(run, "bad").state?.state_message).toMatch(
      /node .*task\.mjs exited with code 2: Error: node task failed on purpose/,
    );
    expect(run.state?.result_state).toBe("SUCCESS_WITH_FAILURES");
    expect(classifyRun(run)?.kind).toBe("success");
  });

  it("kills a task's process tree at its timeout_seconds", async () => {
    const pidFile = join(scratch, "grandchild.pid");
    const runWithTimeout = (seconds: number) =>
      runner.run({
        tasks: [
          {
            task_key: "slow",
            timeout_seconds: seconds,
            spark_python_task: { python_file: "sleep_tree.py", parameters: [pidFile] },
          },
          {
            task_key: "next",
            depends_on: [{ task_key: "slow" }],
            spark_python_task: { python_file: "echo_args.py" },
          },
        ],
      });
    // On a loaded machine Python may not reach its print within one second; the timeout is then
    // raised (bounded) until the task is killed while its whole tree is up.
    let timeout = 0;
    let run: Awaited<ReturnType<typeof runWithTimeout>> | undefined;
    let logs: string | undefined;
    for (timeout of [1, 5, 20]) {
      rmSync(pidFile, { force: true });
      run = await runWithTimeout(timeout);
      logs = (await runner.runs.getOutput(task(run, "slow").run_id!)).logs;
      if (logs === "sleeping\n") break;
    }
    if (!run) throw new Error("unreachable");
    const slow = task(run, "slow");
    expect(slow.state).toMatchObject({ result_state: "TIMEDOUT", user_cancelled_or_timedout: true });
    expect(slow.state?.state_message).toContain(`exceeded its timeout of ${timeout} seconds`);
    expect(logs).toBe("sleeping\n");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await expect.poll(() => isAlive(grandchild), { timeout: 5000 }).toBe(false);
    expect(task(run, "next").state?.result_state).toBe("UPSTREAM_FAILED");
    expect(run.state?.result_state).toBe("FAILED");
  }, 90_000);

  it("stops the run at the job's timeout_seconds", async () => {
    const pidFile = join(scratch, "job-timeout.pid");
    const run = await runner.run({
      timeout_seconds: 1,
      tasks: [
        { task_key: "slow", spark_python_task: { python_file: "sleep_tree.py", parameters: [pidFile] } },
        {
          task_key: "never",
          depends_on: [{ task_key: "slow" }],
          spark_python_task: { python_file: "echo_args.py" },
        },
      ],
    });
    expect(run.state).toMatchObject({ result_state: "TIMEDOUT", user_cancelled_or_timedout: true });
    expect(run.status?.termination_details).toMatchObject({ code: "CANCELED" });
    expect(task(run, "slow").state?.result_state).toBe("TIMEDOUT");
    expect(task(run, "never").state?.result_state).toBe("CANCELED");
    expect(classifyRun(run)?.kind).toBe("timedout");
  });

  it("cancels a run through an AbortSignal and through runs.cancel", async () => {
    const controller = new AbortController();
    const handle = runner.start(
      {
        tasks: [
          {
            task_key: "slow",
            spark_python_task: { python_file: "sleep_tree.py", parameters: [join(scratch, "c1.pid")] },
          },
        ],
      },
      {
        signal: controller.signal,
        onEvent: (e) => e.type === "task-state" && e.state === "RUNNING" && controller.abort(),
      },
    );
    const run = await handle.wait();
    expect(run.state?.result_state).toBe("CANCELED");
    expect(run.status?.termination_details?.code).toBe("USER_CANCELED");
    expect(task(run, "slow").state?.result_state).toBe("CANCELED");
    expect(classifyRun(run)?.kind).toBe("canceled");

    const second = runner.start({
      tasks: [
        {
          task_key: "slow",
          spark_python_task: { python_file: "sleep_tree.py", parameters: [join(scratch, "c2.pid")] },
        },
      ],
    });
    await runner.runs.cancel(second.runId);
    expect((await second.wait()).state?.result_state).toBe("CANCELED");
  });

  it("fails tasks it cannot run, and missing interpreters, with clear messages", async () => {
    const run = await runner.run({
      tasks: [
        { task_key: "nb", notebook_task: { notebook_path: "/Workspace/x" } },
        { task_key: "remote", spark_python_task: { python_file: "dbfs:/jobs/x.py" } },
      ],
    });
    expect(task(run, "nb").state?.state_message).toMatch(/cannot run notebook_task/);
    expect(task(run, "nb").status?.termination_details?.code).toBe("INVALID_RUN_CONFIGURATION");
    expect(task(run, "remote").state?.state_message).toMatch(/remote path; pass resolvePath/);

    const broken = new LocalJobRunner({ cwd: FIXTURES, pythonPath: join(scratch, "no-such-python") });
    const r2 = await broken.run({
      tasks: [{ task_key: "a", spark_python_task: { python_file: "echo_args.py" } }],
    });
    expect(task(r2, "a").state?.state_message).toMatch(/Could not start .*no-such-python: spawn .* ENOENT/);
  });

  it("keeps only the tail of long output", async () => {
    const small = new LocalJobRunner({ cwd: FIXTURES, maxOutputBytes: 1000 });
    const run = await small.run({
      tasks: [{ task_key: "noisy", spark_python_task: { python_file: "noisy.py" } }],
    });
    const out = await small.runs.getOutput(task(run, "noisy").run_id!);
    expect(out.logs_truncated).toBe(true);
    expect(out.logs!.length).toBeLessThanOrEqual(1000);
    expect(out.logs!.endsWith("the end\n")).toBe(true);
  });

  it("rejects invalid settings, unknown job parameters and unknown run ids", async () => {
    expect(() =>
      runner.start({
        tasks: [
          { task_key: "a", depends_on: [{ task_key: "zz" }], spark_python_task: { python_file: "x.py" } },
        ],
      }),
    ).toThrow(ValidationError);
    expect(() =>
      runner.start({ parameters: [{ name: "a", default: "1" }], tasks: [] }, { jobParameters: { b: "2" } }),
    ).toThrow(/the job defines no parameter "b" \(defined: a\)/);
    await expect(runner.runs.get(1)).rejects.toBeInstanceOf(NotFoundError);
    await expect(runner.runs.getOutput(1)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("run_if and condition rules", () => {
  it("decides like Databricks", () => {
    const s = "success" as const;
    const f = "failed" as const;
    const x = "excluded" as const;
    const c = "canceled" as const;
    expect(decideRunIf(undefined, [])).toEqual({ run: true });
    expect(decideRunIf(undefined, [s, s])).toEqual({ run: true });
    expect(decideRunIf("ALL_SUCCESS", [s, f])).toEqual({ run: false, resultState: "UPSTREAM_FAILED" });
    expect(decideRunIf("ALL_SUCCESS", [s, c])).toEqual({ run: false, resultState: "UPSTREAM_CANCELED" });
    expect(decideRunIf("ALL_SUCCESS", [s, x])).toEqual({ run: false, resultState: "EXCLUDED" });
    expect(decideRunIf("AT_LEAST_ONE_SUCCESS", [x, s])).toEqual({ run: true });
    expect(decideRunIf("AT_LEAST_ONE_SUCCESS", [f, f])).toEqual({
      run: false,
      resultState: "UPSTREAM_FAILED",
    });
    expect(decideRunIf("NONE_FAILED", [s, x])).toEqual({ run: true });
    expect(decideRunIf("NONE_FAILED", [x, x])).toEqual({ run: false, resultState: "EXCLUDED" });
    expect(decideRunIf("ALL_DONE", [f, c, x])).toEqual({ run: true });
    expect(decideRunIf("AT_LEAST_ONE_FAILED", [s, s])).toEqual({ run: false, resultState: "EXCLUDED" });
    expect(decideRunIf("ALL_FAILED", [f, f])).toEqual({ run: true });
    expect(decideRunIf("SOMETHING_NEW", [s])).toBeUndefined();
    expect(dependencyOutcome("SUCCESS", "true", "false")).toBe("excluded");
    expect(dependencyOutcome("UPSTREAM_FAILED", undefined, undefined)).toBe("failed");
    expect(evaluateCondition("GREATER_THAN", "10", "9")).toBe(true);
    expect(evaluateCondition("GREATER_THAN", "10", "9a")).toBe(false);
    expect(evaluateCondition("NOT_EQUAL", "1.0", "1")).toBe(false);
    expect(evaluateCondition("NOPE", "1", "1")).toBeUndefined();
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
