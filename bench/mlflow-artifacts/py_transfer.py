"""One MLflow Python transfer in its own process (the peer of child.mjs).

argv: op ("download" | "upload" | "idle"), tracking_uri, run_id, artifact_path, local_dir
download runs the real `mlflow artifacts download` CLI in-process; upload calls
MlflowClient().log_artifacts (what mlflow.log_artifacts does for the active run).
Prints one JSON line: transferMs (without interpreter start-up and imports), maxRssKiB.
"""

import json
import os
import resource
import sys
import time

op, tracking_uri, run_id, artifact_path, local_dir = sys.argv[1:6]
os.environ["MLFLOW_TRACKING_URI"] = tracking_uri

import mlflow  # noqa: E402
from mlflow.cli import cli  # noqa: E402

start = time.perf_counter()
if op == "idle":
    pass  # baseline: mlflow imported, nothing transferred
elif op == "download":
    args = ["artifacts", "download", "--run-id", run_id, "--artifact-path", artifact_path, "--dst-path", local_dir]
    try:
        cli.main(args=args, prog_name="mlflow", standalone_mode=False)
    except SystemExit as e:  # click may still exit
        if e.code not in (0, None):
            raise
else:
    mlflow.MlflowClient(tracking_uri).log_artifacts(run_id, local_dir, artifact_path)
elapsed = (time.perf_counter() - start) * 1000
print(json.dumps({"transferMs": elapsed, "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
