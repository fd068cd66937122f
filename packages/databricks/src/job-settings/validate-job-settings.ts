import { ValidationError, type ValidationIssue } from "@modeltrail/core";
import { type JobSettings, JobSettingsSchema, KNOWN_TASK_TYPES } from "./job-settings-schema.js";

/** The maximum number of tags on a job (a Jobs API limit). */
export const MAX_JOB_TAGS = 25;

const quote = (s: string) => JSON.stringify(s);

/**
 * Checks the rules the schema alone cannot express and returns every problem found (empty when the
 * settings are fine): unique task keys; `depends_on` naming existing tasks; no dependency cycles (the
 * cycle path is reported); `outcome` only on dependencies on a `condition_task`; exactly one task type
 * per task; `job_cluster_key` and `environment_key` naming defined ones; unique job cluster, environment
 * and parameter names; at most 25 tags; `git_source` with exactly one of `git_branch` / `git_tag` /
 * `git_commit`. Paths look like `tasks[2].depends_on[0].task_key`. Never throws.
 */
export function findJobSettingsIssues(settings: JobSettings): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const tasks = settings.tasks ?? [];

  const keyIndex = new Map<string, number>();
  tasks.forEach((t, i) => {
    const first = keyIndex.get(t.task_key);
    if (first !== undefined)
      add(`tasks[${i}].task_key`, `duplicate task key ${quote(t.task_key)} (also tasks[${first}])`);
    else keyIndex.set(t.task_key, i);
  });

  const unique = (list: { key: string; path: string }[], what: string) => {
    const seen = new Map<string, string>();
    for (const { key, path } of list) {
      const prev = seen.get(key);
      if (prev !== undefined) add(path, `duplicate ${what} ${quote(key)} (also ${prev})`);
      else seen.set(key, path);
    }
    return new Set(seen.keys());
  };
  const clusters = unique(
    (settings.job_clusters ?? []).map((c, i) => ({
      key: c.job_cluster_key,
      path: `job_clusters[${i}].job_cluster_key`,
    })),
    "job cluster key",
  );
  const environments = unique(
    (settings.environments ?? []).map((e, i) => ({
      key: e.environment_key,
      path: `environments[${i}].environment_key`,
    })),
    "environment key",
  );
  unique(
    (settings.parameters ?? []).map((p, i) => ({ key: p.name, path: `parameters[${i}].name` })),
    "job parameter",
  );
  const list = (s: Set<string>) => (s.size ? [...s].map(quote).join(", ") : "none");

  tasks.forEach((t, i) => {
    const record = t as Record<string, unknown>;
    const types = KNOWN_TASK_TYPES.filter((k) => record[k] !== undefined && record[k] !== null);
    const futureTypes = Object.keys(record).filter(
      (k) => k.endsWith("_task") && !(KNOWN_TASK_TYPES as readonly string[]).includes(k),
    );
    if (types.length > 1)
      add(
        `tasks[${i}]`,
        `task ${quote(t.task_key)} has several task types (${types.join(", ")}); keep exactly one`,
      );
    else if (types.length === 0 && futureTypes.length === 0) {
      add(
        `tasks[${i}]`,
        `task ${quote(t.task_key)} has no task type (one of ${KNOWN_TASK_TYPES.join(", ")})`,
      );
    }
    (t.depends_on ?? []).forEach((d, j) => {
      const upstream = keyIndex.get(d.task_key);
      if (upstream === undefined) {
        add(`tasks[${i}].depends_on[${j}].task_key`, `unknown task ${quote(d.task_key)}`);
      } else if (d.outcome !== undefined && tasks[upstream]?.condition_task === undefined) {
        add(
          `tasks[${i}].depends_on[${j}].outcome`,
          `outcome is only allowed on a dependency on a condition_task; ${quote(d.task_key)} is not one`,
        );
      }
    });
    if (t.job_cluster_key !== undefined && !clusters.has(t.job_cluster_key)) {
      add(
        `tasks[${i}].job_cluster_key`,
        `unknown job cluster ${quote(t.job_cluster_key)} (defined: ${list(clusters)})`,
      );
    }
    if (t.environment_key !== undefined && !environments.has(t.environment_key)) {
      add(
        `tasks[${i}].environment_key`,
        `unknown environment ${quote(t.environment_key)} (defined: ${list(environments)})`,
      );
    }
  });

  for (const cycle of findCycles(
    tasks.map((t) => ({ key: t.task_key, deps: (t.depends_on ?? []).map((d) => d.task_key) })),
  )) {
    const i = keyIndex.get(cycle[0]!)!;
    add(`tasks[${i}].depends_on`, `dependency cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  }

  const tagCount = Object.keys(settings.tags ?? {}).length;
  if (tagCount > MAX_JOB_TAGS) add("tags", `${tagCount} tags; a job may have at most ${MAX_JOB_TAGS}`);

  const g = settings.git_source;
  if (g) {
    const refs = (["git_branch", "git_tag", "git_commit"] as const).filter(
      (k) => g[k] !== undefined && g[k] !== "",
    );
    if (refs.length !== 1) {
      add(
        "git_source",
        refs.length === 0
          ? "needs exactly one of git_branch, git_tag, git_commit (none given)"
          : `needs exactly one of git_branch, git_tag, git_commit (got ${refs.join(", ")})`,
      );
    }
  }
  return issues;
}

/**
 * Finds dependency cycles in a task graph; each cycle is returned once as the list of task keys along it
 * (`["a", "b", "c"]` for a -> b -> c -> a, following `depends_on`). Unknown dependencies are ignored.
 */
export function findCycles(nodes: { key: string; deps: string[] }[]): string[][] {
  const deps = new Map(nodes.map((n) => [n.key, n.deps] as const));
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (key: string) => {
    state.set(key, 1);
    stack.push(key);
    for (const d of deps.get(key) ?? []) {
      if (!deps.has(d)) continue;
      const s = state.get(d);
      if (s === 1) cycles.push(stack.slice(stack.indexOf(d)));
      else if (s === undefined) visit(d);
    }
    stack.pop();
    state.set(key, 2);
  };
  for (const n of nodes) if (!state.has(n.key)) visit(n.key);
  return cycles;
}

/**
 * Parses `input` as Jobs API 2.2 job settings and checks the cross-field rules of
 * {@link findJobSettingsIssues}. Returns the typed settings (unknown fields kept). Throws ValidationError
 * listing every problem with its path (`tasks[2].depends_on[0].task_key: unknown task "prep"`).
 */
export function validateJobSettings(input: unknown): JobSettings {
  const parsed = JobSettingsSchema.safeParse(input);
  if (!parsed.success) throw ValidationError.fromZod("job settings", parsed.error);
  const issues = findJobSettingsIssues(parsed.data);
  if (issues.length > 0) throw new ValidationError("Invalid job settings", { issues });
  return parsed.data;
}
