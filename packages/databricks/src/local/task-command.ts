import { isAbsolute, resolve } from "node:path";
import type { JobTask } from "../job-settings/job-settings-schema.js";

/** File extensions a `spark_python_task.python_file` may have to be run with Node instead of Python (local runs only). */
export const NODE_TASK_EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"] as const;

/**
 * Python program that runs a `python_wheel_task` entry point like Databricks does: the entry point named
 * `entry_point` in the metadata of distribution `package_name` (any group, e.g. `console_scripts`), or,
 * when the package has no such entry point, the function `<package_name>.<entry_point>()`. `sys.argv`
 * is `[package_name, *parameters]`. An int return value becomes the exit code.
 */
export const WHEEL_BOOTSTRAP = [
  "import sys",
  "from importlib import import_module, metadata",
  "pkg, name = sys.argv[1], sys.argv[2]",
  "sys.argv = [pkg] + sys.argv[3:]",
  "target = None",
  "try:",
  "    for ep in metadata.distribution(pkg).entry_points:",
  "        if ep.name == name:",
  "            target = ep.load()",
  "            break",
  "except metadata.PackageNotFoundError:",
  "    pass",
  "if target is None:",
  "    target = getattr(import_module(pkg.replace('-', '_')), name)",
  "rc = target()",
  "sys.exit(rc if isinstance(rc, int) else 0)",
].join("\n");

/** How the runner finds interpreters and files. */
export interface TaskCommandOptions {
  pythonPath: string;
  nodePath: string;
  cwd: string;
  /** Maps a `python_file` of the job definition to a local path (default: relative to `cwd`). */
  resolvePath?: ((path: string, taskKey: string) => string) | undefined;
}

/** A command to start, or why the task cannot run locally. */
export type TaskCommand =
  | { kind: "process"; command: string; args: string[]; description: string }
  | { kind: "unsupported"; message: string };

function localPath(path: string, taskKey: string, options: TaskCommandOptions): string | undefined {
  if (options.resolvePath) return options.resolvePath(path, taskKey);
  if (
    /^(dbfs:|s3:|abfss?:|gs:|wasbs?:)/.test(path) ||
    path.startsWith("/Workspace/") ||
    path.startsWith("/Volumes/")
  ) {
    return undefined;
  }
  const p = path.startsWith("file:") ? path.replace(/^file:(\/\/)?/, "") : path;
  return isAbsolute(p) ? p : resolve(options.cwd, p);
}

/**
 * Builds the command of a task whose parameters have already had their dynamic values substituted:
 *
 * - `spark_python_task`: `<python> <python_file> ...parameters`; a file ending in .js/.mjs/.cjs (or
 *   .ts/.mts/.cts, which needs a Node with type stripping) runs as `<node> <file> ...parameters`
 *   instead. That is a local-only convenience: Databricks runs only Python files.
 * - `python_wheel_task`: `<python> -c <WHEEL_BOOTSTRAP> <package_name> <entry_point> ...args`, where
 *   args are `parameters`, or `--key=value` for each of `named_parameters`. The package must be
 *   importable by that Python (installed, or on `PYTHONPATH` via the runner's `env`).
 *
 * Other task types are `unsupported` (notebooks, SQL, pipelines, JARs, ...); `condition_task` is
 * evaluated by the runner itself. Never throws.
 */
export function buildTaskCommand(task: JobTask, options: TaskCommandOptions): TaskCommand {
  const sp = task.spark_python_task;
  if (sp) {
    const file = localPath(sp.python_file, task.task_key, options);
    if (file === undefined) {
      return {
        kind: "unsupported",
        message: `python_file ${JSON.stringify(sp.python_file)} is a remote path; pass resolvePath to map it to a local file`,
      };
    }
    const params = sp.parameters ?? [];
    const isNode = NODE_TASK_EXTENSIONS.some((ext) => file.endsWith(ext));
    const command = isNode ? options.nodePath : options.pythonPath;
    return {
      kind: "process",
      command,
      args: [file, ...params],
      description: `${isNode ? "node" : "python"} ${file}`,
    };
  }
  const wheel = task.python_wheel_task;
  if (wheel) {
    const args =
      wheel.parameters ?? Object.entries(wheel.named_parameters ?? {}).map(([k, v]) => `--${k}=${v}`);
    return {
      kind: "process",
      command: options.pythonPath,
      args: ["-c", WHEEL_BOOTSTRAP, wheel.package_name, wheel.entry_point, ...args],
      description: `python wheel ${wheel.package_name}:${wheel.entry_point}`,
    };
  }
  const type = Object.keys(task).find((k) => k.endsWith("_task")) ?? "(no task type)";
  return {
    kind: "unsupported",
    message: `LocalJobRunner cannot run ${type} tasks (it runs spark_python_task, python_wheel_task and condition_task); run this job on Databricks`,
  };
}
