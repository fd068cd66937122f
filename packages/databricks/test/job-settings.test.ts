import { ValidationError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { findCycles, validateJobSettings } from "../src/job-settings/validate-job-settings.js";

const py = (file = "main.py") => ({ spark_python_task: { python_file: file } });

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    validateJobSettings(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

describe("validateJobSettings", () => {
  it("accepts a realistic job and keeps unknown future fields", () => {
    const input = {
      name: "train",
      tags: { git_sha: "abc" },
      parameters: [{ name: "git_sha", default: "abc" }],
      git_source: { git_url: "https://github.com/o/r", git_provider: "gitHub", git_commit: "abc" },
      job_clusters: [
        { job_cluster_key: "main", new_cluster: { spark_version: "15.4.x-scala2.12", num_workers: 1 } },
      ],
      environments: [{ environment_key: "default", spec: { client: "1", dependencies: ["x==1"] } }],
      schedule: { quartz_cron_expression: "0 0 3 * * ?", timezone_id: "UTC" },
      max_concurrent_runs: 1,
      timeout_seconds: 3600,
      some_future_field: { nested: true },
      tasks: [
        { task_key: "prep", job_cluster_key: "main", ...py("prep.py") },
        {
          task_key: "check",
          depends_on: [{ task_key: "prep" }],
          condition_task: { op: "EQUAL_TO", left: "{{tasks.prep.values.ok}}", right: "true" },
        },
        {
          task_key: "train",
          depends_on: [{ task_key: "check", outcome: "true" }],
          run_if: "ALL_SUCCESS",
          environment_key: "default",
          python_wheel_task: { package_name: "pkg", entry_point: "main", named_parameters: { a: "b" } },
          future_task_option: 1,
        },
        { task_key: "report", depends_on: [{ task_key: "train" }], run_if: "SOME_NEW_CONDITION", ...py() },
        { task_key: "later", brand_new_task: { anything: 1 } },
      ],
    };
    const s = validateJobSettings(input);
    expect((s as Record<string, unknown>).some_future_field).toEqual({ nested: true });
    expect((s.tasks![2] as Record<string, unknown>).future_task_option).toBe(1);
    expect(s.tasks?.[3]?.run_if).toBe("SOME_NEW_CONDITION");
  });

  it("reports schema errors with their path", () => {
    const issues = issuesOf({
      name: 1,
      tasks: [{ task_key: "a b", spark_python_task: {} }],
      timeout_seconds: -1,
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "name",
        "tasks[0].task_key",
        "tasks[0].spark_python_task.python_file",
        "timeout_seconds",
      ]),
    );
    expect(issues.find((i) => i.path === "tasks[0].task_key")?.message).toMatch(/letters, digits/);
  });

  it("finds duplicate task keys", () => {
    expect(
      issuesOf({
        tasks: [
          { task_key: "a", ...py() },
          { task_key: "a", ...py() },
        ],
      }),
    ).toEqual([{ path: "tasks[1].task_key", message: 'duplicate task key "a" (also tasks[0])' }]);
  });

  it("finds dependencies on unknown tasks", () => {
    expect(
      issuesOf({
        tasks: [
          { task_key: "a", ...py() },
          { task_key: "b", ...py() },
          { task_key: "c", depends_on: [{ task_key: "prep" }], ...py() },
        ],
      }),
    ).toEqual([{ path: "tasks[2].depends_on[0].task_key", message: 'unknown task "prep"' }]);
  });

  it("reports dependency cycles with their path", () => {
    const issues = issuesOf({
      tasks: [
        { task_key: "a", depends_on: [{ task_key: "c" }], ...py() },
        { task_key: "b", depends_on: [{ task_key: "a" }], ...py() },
        { task_key: "c", depends_on: [{ task_key: "b" }], ...py() },
        { task_key: "self", depends_on: [{ task_key: "self" }], ...py() },
      ],
    });
    expect(issues).toEqual([
      { path: "tasks[0].depends_on", message: "dependency cycle: a -> c -> b -> a" },
      { path: "tasks[3].depends_on", message: "dependency cycle: self -> self" },
    ]);
  });

  it("finds every cycle once", () => {
    expect(
      findCycles([
        { key: "x", deps: ["y"] },
        { key: "y", deps: ["x", "z"] },
        { key: "z", deps: [] },
      ]),
    ).toEqual([["x", "y"]]);
    expect(findCycles([{ key: "x", deps: ["missing"] }])).toEqual([]);
  });

  it("checks job cluster and environment references", () => {
    const issues = issuesOf({
      job_clusters: [{ job_cluster_key: "small", new_cluster: {} }],
      tasks: [{ task_key: "a", job_cluster_key: "big", environment_key: "env", ...py() }],
    });
    expect(issues).toEqual([
      { path: "tasks[0].job_cluster_key", message: 'unknown job cluster "big" (defined: "small")' },
      { path: "tasks[0].environment_key", message: 'unknown environment "env" (defined: none)' },
    ]);
  });

  it("checks duplicate cluster, environment and parameter names", () => {
    const issues = issuesOf({
      job_clusters: [
        { job_cluster_key: "c", new_cluster: {} },
        { job_cluster_key: "c", new_cluster: {} },
      ],
      environments: [{ environment_key: "e" }, { environment_key: "e" }],
      parameters: [
        { name: "p", default: "" },
        { name: "p", default: "x" },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      "job_clusters[1].job_cluster_key",
      "environments[1].environment_key",
      "parameters[1].name",
    ]);
  });

  it("allows at most 25 tags", () => {
    const tags = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`t${i}`, "v"]));
    expect(issuesOf({ tags })).toEqual([{ path: "tags", message: "26 tags; a job may have at most 25" }]);
    expect(() =>
      validateJobSettings({ tags: Object.fromEntries(Object.entries(tags).slice(1)) }),
    ).not.toThrow();
  });

  it("requires exactly one git reference", () => {
    const g = { git_url: "https://x/y", git_provider: "gitHub" };
    expect(issuesOf({ git_source: g })[0]).toEqual({
      path: "git_source",
      message: "needs exactly one of git_branch, git_tag, git_commit (none given)",
    });
    expect(issuesOf({ git_source: { ...g, git_branch: "main", git_commit: "abc" } })[0]?.message).toMatch(
      /got git_branch, git_commit/,
    );
  });

  it("requires exactly one task type", () => {
    expect(issuesOf({ tasks: [{ task_key: "a" }] })[0]?.message).toMatch(/task "a" has no task type/);
    expect(
      issuesOf({ tasks: [{ task_key: "a", ...py(), notebook_task: { notebook_path: "/n" } }] })[0]?.message,
    ).toMatch(/several task types \(notebook_task, spark_python_task\)/);
  });

  it("allows an outcome only on a condition task dependency", () => {
    expect(
      issuesOf({
        tasks: [
          { task_key: "a", ...py() },
          { task_key: "b", depends_on: [{ task_key: "a", outcome: "true" }], ...py() },
        ],
      }),
    ).toEqual([
      {
        path: "tasks[1].depends_on[0].outcome",
        message: 'outcome is only allowed on a dependency on a condition_task; "a" is not one',
      },
    ]);
  });

  it("lists several problems at once in one readable message", () => {
    try {
      validateJobSettings({
        tags: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}`, "v"])),
        tasks: [{ task_key: "a", depends_on: [{ task_key: "zzz" }], ...py() }],
      });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        'Invalid job settings\n  - tasks[0].depends_on[0].task_key: unknown task "zzz"\n  - tags: 30 tags; a job may have at most 25',
      );
    }
  });
});
