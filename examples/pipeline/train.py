"""Task `train` of the demo training job: trains a tiny scikit-learn model and logs it to MLflow.

Parameters: --dataset PATH --dataset-sha256 HEX (task values of `prepare`), --seed N,
--experiment NAME, plus the modeltrail trace flags (--job-id, --job-run-id, --task-run-id,
--task-key, --git-sha) that deployJob adds to every Python task.

What it records on the MLflow run, so that the model can be traced later:
  * tags GIT_SHA, DBR_RUN_ID, DBR_JOB_ID (+ mlflow.source.git.commit) from the task contract,
    the task run id, task key and platform, and the runtime versions (python, scikit-learn, ...);
  * the data set as a run input (mlflow.log_input, context "training");
  * the model in MLflow's format under the run's artifacts at `model/` (saved with
    mlflow.sklearn.save_model, then logged with mlflow.log_artifacts, so that it is reachable as
    runs:/<run id>/model; MLflow 3's log_model would store it under a separate "logged model").
Hands the MLflow run id back: task value `mlflow_run_id`, and the stdout line
`MODELTRAIL_MODEL_MLFLOW_RUN_ID=<id>` (what the demo reads).
Tracking server: env MLFLOW_TRACKING_URI.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import warnings

warnings.filterwarnings("ignore", category=UserWarning)  # MLflow's schema/source hints: noise here

import mlflow  # noqa: E402
import mlflow.sklearn  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from _modeltrail import read_and_show_job_context  # noqa: E402

RUN_ID_LINE = "MODELTRAIL_MODEL_MLFLOW_RUN_ID="


def trace_tags(ctx: dict, mt) -> dict:
    """The MLflow run tags of the task context: the defaults plus the rest of the job section and runtime."""
    job = ctx.get("job") or {}
    tags = dict(mt.mlflow_tags(ctx))  # GIT_SHA, mlflow.source.git.commit, DBR_RUN_ID, DBR_JOB_ID
    for field, tag in (
        ("platform", "modeltrail.job.platform"),
        ("taskRunId", "modeltrail.job.task_run_id"),
        ("taskKey", "modeltrail.job.task_key"),
    ):
        if job.get(field):
            tags[tag] = job[field]
    runtime = {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "mlflow": mlflow.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    for key, version in runtime.items():
        tags[f"modeltrail.environment.runtime.{key}"] = version
    return tags


def main() -> int:
    mt, ctx = read_and_show_job_context()  # raises ValueError for malformed ids
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--dataset-sha256", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--experiment", required=True)
    args, _trace_flags = parser.parse_known_args()

    df = pd.read_csv(args.dataset)
    x = df.drop(columns=["churned"])
    y = df["churned"]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=args.seed)
    model = LogisticRegression(max_iter=500, C=1.0).fit(x_train, y_train)
    accuracy = accuracy_score(y_test, model.predict(x_test))
    auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])

    mlflow.set_experiment(args.experiment)
    run_name = f"train-{ctx['job'].get('runId', 'local')}"
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags(trace_tags(ctx, mt))
        mlflow.log_params({"seed": args.seed, "model": "LogisticRegression", "C": 1.0, "rows": len(df)})
        mlflow.log_metrics({"accuracy": float(accuracy), "auc": float(auc)})
        dataset = mlflow.data.from_pandas(
            df,
            source=f"file://{os.path.abspath(args.dataset)}",
            name=f"churn-synthetic-seed{args.seed}",
            targets="churned",
        )
        mlflow.log_input(dataset, context="training", tags={"sha256": args.dataset_sha256})
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, "model")
            mlflow.sklearn.save_model(
                model,
                local,
                # explicit requirements: MLflow's inference would re-import the model in a subprocess
                pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
                signature=infer_signature(x_train, model.predict(x_train)),
            )
            mlflow.log_artifacts(local, artifact_path="model")
        run_id = run.info.run_id

    mt.set_task_value("mlflow_run_id", run_id)
    mt.set_task_value("model_uri", f"runs:/{run_id}/model")
    print(f"accuracy={accuracy:.3f} auc={auc:.3f}")
    print(f"{RUN_ID_LINE}{run_id}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
