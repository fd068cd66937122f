"""The process: it refuses to start without its trace and exits non-zero when the model cannot load."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from conftest import TRACE_ENV

APP_DIR = os.path.join(os.path.dirname(__file__), "..")


def run_app(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": APP_DIR, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-m", "modeltrail_serving"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refuses_to_start_without_git_sha() -> None:
    env = {k: v for k, v in TRACE_ENV.items() if k != "GIT_SHA"}
    result = run_app({**env, "HOST": "127.0.0.1", "PORT": str(free_port())})
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "GIT_SHA" in result.stderr
    assert result.stdout == ""


def test_refuses_to_start_without_run_id() -> None:
    env = {k: v for k, v in TRACE_ENV.items() if k not in ("RUN_ID", "MODELTRAIL_MODEL_MLFLOW_RUN_ID")}
    result = run_app({**env, "HOST": "127.0.0.1", "PORT": str(free_port())})
    assert result.returncode == 2
    assert "RUN_ID" in result.stderr


def test_refuses_a_bad_port() -> None:
    result = run_app({**TRACE_ENV, "PORT": "http"})
    assert result.returncode == 2
    assert "PORT" in result.stderr


def test_exits_when_the_model_cannot_load(tmp_path) -> None:
    result = run_app({**TRACE_ENV, "HOST": "127.0.0.1", "PORT": str(free_port()), "MODEL_DIR": str(tmp_path)})
    assert result.returncode == 3, result.stderr
    assert "no MLflow model" in result.stderr
    assert '"msg":"model failed to load; stopping"' in result.stdout
