"""Cross-checks between modeltrail and MLflow's own Python client.

Usage: python crosscheck.py <command> '<json args>'  (MLFLOW_TRACKING_URI must be set)
Prints one JSON object on stdout; MLflow's chatter goes to stderr.
"""
import json
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient


def read_model_version(args):
    mv = MlflowClient().get_model_version(args["name"], args["version"])
    return {
        "name": mv.name,
        "version": str(mv.version),
        "source": mv.source,
        "run_id": mv.run_id,
        "run_link": mv.run_link,
        "tags": dict(mv.tags),
        "description": mv.description,
        "status": mv.status,
    }


def log_run(args):
    from mlflow.data.http_dataset_source import HTTPDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    mlflow.set_experiment(experiment_id=args["experiment_id"])
    with mlflow.start_run(run_name=args["run_name"]) as run:
        mlflow.log_params(args["params"])
        for step, value in enumerate(args["losses"]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.set_tags(args["tags"])
        dataset = MetaDataset(
            source=HTTPDatasetSource(url=args["dataset_url"]),
            name=args["dataset_name"],
            digest=args["dataset_digest"],
        )
        mlflow.log_input(dataset, context="training")
        if args.get("model_path"):
            with tempfile.TemporaryDirectory() as d:
                model_dir = os.path.join(d, args["model_path"])
                os.makedirs(model_dir)
                with open(os.path.join(model_dir, "MLmodel"), "w") as f:
                    f.write("artifact_path: model\nflavors: {}\n")
                with open(os.path.join(model_dir, "model.bin"), "wb") as f:
                    f.write(b"\x00\x01weights")
                mlflow.log_artifacts(model_dir, artifact_path=args["model_path"])
    return {"run_id": run.info.run_id, "artifact_uri": run.info.artifact_uri}


def register(args):
    mv = mlflow.register_model(args["model_uri"], args["name"])
    return {"version": str(mv.version), "source": mv.source, "run_id": mv.run_id}


COMMANDS = {"read_model_version": read_model_version, "log_run": log_run, "register": register}

if __name__ == "__main__":
    command, raw = sys.argv[1], sys.argv[2]
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # keep stdout for the JSON answer
    result = COMMANDS[command](json.loads(raw))
    real_stdout.write(json.dumps(result))
    real_stdout.flush()
