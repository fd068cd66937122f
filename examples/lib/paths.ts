import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (examples/lib/../..). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The examples directory. */
export const EXAMPLES_DIR = join(REPO_ROOT, "examples");

/** The reference pipeline's job template and task scripts. */
export const PIPELINE_DIR = join(EXAMPLES_DIR, "pipeline");

/** The virtualenv `scripts/install-mlflow.sh` creates (MLflow, scikit-learn, pandas). */
export const MLFLOW_VENV = join(REPO_ROOT, ".tools", "mlflow-venv");

/** Python of that virtualenv: the training job's interpreter. */
export const VENV_PYTHON = join(MLFLOW_VENV, "bin", "python");

/**
 * modeltrail's local directory (`MODELTRAIL_HOME`, else `.modeltrail` in the working directory), as
 * the `modeltrail` CLI resolves it: `modeltrail clean` removes it. Git-ignored.
 */
export const MODELTRAIL_HOME = resolve(process.env.MODELTRAIL_HOME?.trim() || ".modeltrail");

/** The marker file that tells `modeltrail clean` the directory is modeltrail's. */
export const MODELTRAIL_HOME_MARKER = ".modeltrail-home";

/**
 * Everything the demo writes: generated data, downloaded models, the base image and the model
 * images (OCI layouts), the signing key, the trace page, the deploy target's state.
 */
export const DEMO_DIR = join(MODELTRAIL_HOME, "demo");

/** The LocalJobRunner's run records (`<run id>.json`), which `localJobTraceResolver` reads. */
export const JOB_RUNS_DIR = join(DEMO_DIR, "job-runs");

/** The trace page step 6 writes (`renderTraceHtml`). */
export const TRACE_PAGE = join(DEMO_DIR, "trace.html");

/**
 * The Python task helper shipped in the @modeltrail/databricks npm package, reached the way a user
 * of the package reaches it: through node_modules.
 */
export const JOB_CONTEXT_PY = join(
  EXAMPLES_DIR,
  "node_modules",
  "@modeltrail",
  "databricks",
  "python",
  "modeltrail_job_context.py",
);

/**
 * Creates the demo directory inside modeltrail's local directory, with the marker file `modeltrail
 * clean` looks for. Throws when MODELTRAIL_HOME exists, holds files and has no marker (it is not
 * modeltrail's; point MODELTRAIL_HOME elsewhere).
 */
export async function ensureDemoDir(): Promise<string> {
  await mkdir(MODELTRAIL_HOME, { recursive: true });
  const entries = await readdir(MODELTRAIL_HOME);
  if (!entries.includes(MODELTRAIL_HOME_MARKER)) {
    if (entries.length > 0)
      throw new Error(
        `${MODELTRAIL_HOME} holds files that modeltrail did not put there: point MODELTRAIL_HOME at an empty or new directory`,
      );
    await writeFile(
      join(MODELTRAIL_HOME, MODELTRAIL_HOME_MARKER),
      "This directory holds modeltrail's local state; `modeltrail clean` removes it.\n",
    );
  }
  await mkdir(DEMO_DIR, { recursive: true });
  return DEMO_DIR;
}
