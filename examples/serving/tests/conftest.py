"""Fixtures: a tiny scikit-learn model saved as an MLflow model (made here, no download), the trace
env of a job run, and the app under FastAPI's test client."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

GIT_SHA = "0123456789abcdef0123456789abcdef01234567"
JOB_RUN_ID = "1795788642450001"
JOB_ID = "1795788642450000"
MLFLOW_RUN_ID = "0e65f4e6ffd84bbcaca05398f1d5dff3"

TRACE_ENV = {
    "GIT_SHA": GIT_SHA,
    "RUN_ID": JOB_RUN_ID,
    "JOB_ID": JOB_ID,
    "MODELTRAIL_MODEL_MLFLOW_RUN_ID": MLFLOW_RUN_ID,
    "MODELTRAIL_MODEL_NAME": "churn",
    "MODELTRAIL_MODEL_VERSION": "3",
    "MODELTRAIL_ENVIRONMENT_RUNTIME": '{"python": "3.11.2", "scikit-learn": "1.9.1"}',
}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An MLflow sklearn model (logistic regression on two features, with a signature)."""
    from tiny_model import save_tiny_model

    return save_tiny_model(str(tmp_path_factory.mktemp("model") / "model"))
