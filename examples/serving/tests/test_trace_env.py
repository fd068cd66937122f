"""The trace read from the environment (core's fromEnv + toLogFields; the TypeScript agreement test
in examples/serving/test compares the two on many more environments)."""

from __future__ import annotations

import pytest
from conftest import GIT_SHA, JOB_RUN_ID, MLFLOW_RUN_ID, TRACE_ENV

from modeltrail_serving.trace_env import TraceEnvError, classify_run_id, read_trace_env, strip_url_credentials


def test_fields_of_a_job_run() -> None:
    fields = read_trace_env(TRACE_ENV)
    assert fields["git_sha"] == GIT_SHA
    assert fields["run_id"] == JOB_RUN_ID
    assert fields["mlflow_run_id"] == MLFLOW_RUN_ID
    assert fields["job_id"] == "1795788642450000"
    assert fields["model_version"] == "3"
    assert fields["runtime_scikit_learn"] == "1.9.1"


def test_the_mlflow_run_id_stands_in_without_a_job_run() -> None:
    fields = read_trace_env({"GIT_SHA": GIT_SHA, "RUN_ID": MLFLOW_RUN_ID})
    assert fields["run_id"] == MLFLOW_RUN_ID
    assert fields["mlflow_run_id"] == MLFLOW_RUN_ID


@pytest.mark.parametrize("missing", ["GIT_SHA", "RUN_ID"])
def test_refuses_without_git_sha_or_run_id(missing: str) -> None:
    env = {k: v for k, v in TRACE_ENV.items() if k != missing and k != "MODELTRAIL_MODEL_MLFLOW_RUN_ID"}
    with pytest.raises(TraceEnvError) as caught:
        read_trace_env(env)
    assert caught.value.missing
    assert missing in str(caught.value)


def test_names_a_bad_variable() -> None:
    with pytest.raises(TraceEnvError) as caught:
        read_trace_env({**TRACE_ENV, "GIT_SHA": "not-a-sha"})
    assert "GIT_SHA" in str(caught.value)
    assert "40-character" in str(caught.value)


def test_disagreeing_names_are_refused() -> None:
    with pytest.raises(TraceEnvError, match="disagree"):
        read_trace_env({**TRACE_ENV, "MODELTRAIL_CODE_GIT_SHA": "f" * 40})


def test_url_credentials_never_reach_a_field() -> None:
    fields = read_trace_env({**TRACE_ENV, "MODELTRAIL_CODE_REPO_URL": "https://user:s3cret-token@example.com/repo.git"})
    assert fields["repo_url"] == "https://example.com/repo.git"
    assert "s3cret" not in str(fields)
    assert strip_url_credentials("ssh://git:pw@host/x") == "ssh://git@host/x"


def test_classify_run_id() -> None:
    assert classify_run_id(JOB_RUN_ID) == "job-run"
    assert classify_run_id(MLFLOW_RUN_ID) == "mlflow-run"
    assert classify_run_id("run-1") is None
