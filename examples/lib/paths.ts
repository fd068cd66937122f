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

/** Everything the demo writes: generated data, the downloaded model. Git-ignored. */
export const DEMO_DIR = join(REPO_ROOT, ".tmp", "demo");

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
