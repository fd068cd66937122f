"""The process: it refuses to start without its trace and exits non-zero when the model cannot load."""

from __future__ import annotations

import json
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


def test_every_answer_is_logged_whole_when_stopped_under_concurrent_requests(model_dir: str, tmp_path) -> None:
    """SIGTERM while 8 clients keep predictions in flight: uvicorn finishes what it has started, and
    every request answered has exactly one complete log line, written before the process exits,
    with its status, size and the whole trace; no line is cut, doubled or made up."""
    import signal
    import threading

    import httpx

    from modeltrail_serving.trace_env import read_trace_env

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "app.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": APP_DIR, "HOME": os.environ.get("HOME", "/tmp")}
    env |= {**TRACE_ENV, "HOST": "127.0.0.1", "PORT": str(port), "MODEL_DIR": model_dir}
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "modeltrail_serving"], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    clients = 8
    rows = [{"tenure": float(i % 60), "charges": float(i % 90)} for i in range(300)]  # a few ms of work each
    sent: set[str] = set()
    answered: dict[str, tuple[int, int]] = {}  # request id -> (status, body size)
    lock = threading.Lock()
    stop = threading.Event()
    some_answered = threading.Semaphore(0)

    def client(n: int) -> None:
        count = 0
        with httpx.Client(base_url=base, timeout=60) as http:
            while not stop.is_set() and count < 10_000:
                rid = f"c{n}-{count}"
                count += 1
                with lock:
                    sent.add(rid)
                try:
                    response = http.post("/invocations", json={"dataframe_records": rows}, headers={"x-request-id": rid})
                except httpx.HTTPError:
                    return  # the server has stopped listening
                with lock:
                    answered[rid] = (response.status_code, len(response.content))
                if count == 3:
                    some_answered.release()  # and keeps sending: requests are in flight at SIGTERM

    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log_path.read_text()
            threading.Event().wait(0.2)
        else:
            raise AssertionError(f"not ready within 120 s:\n{log_path.read_text()}")
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for t in threads:
            t.start()
        for _ in range(clients):
            assert some_answered.acquire(timeout=120), "every client has had answers"
        proc.send_signal(signal.SIGTERM)
        # uvicorn finishes what it has started, then ends the process by the signal it caught
        assert proc.wait(120) == -signal.SIGTERM, log_path.read_text()
        stop.set()
        for t in threads:
            t.join(120)
            assert not t.is_alive()
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)

    raw = log_path.read_bytes()
    assert raw.endswith(b"\n"), "the last line is whole"
    lines = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["msg"] == "request" and line["path"] == "/invocations"]
    ids = [line["request_id"] for line in requests]
    assert len(ids) == len(set(ids)), "one line per request"
    assert set(ids) <= sent, "no line for a request nobody sent"
    assert len(answered) >= clients * 3
    fields = read_trace_env(TRACE_ENV)
    by_id = {line["request_id"]: line for line in requests}
    for rid, (status, size) in answered.items():
        line = by_id.get(rid)
        assert line is not None, f"{rid} was answered but not logged"
        assert (line["status"], line["bytes_out"]) == (status, size) == (200, size)
        assert "completed" not in line
        assert {k: line.get(k) for k in fields} == fields
