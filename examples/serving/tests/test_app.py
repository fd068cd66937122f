"""The app under FastAPI's test client: predictions, probes, the trace on every response (headers and
body) and one JSON log line per request with the trace's log fields."""

from __future__ import annotations

import json
import threading

import pytest
from conftest import GIT_SHA, JOB_RUN_ID, TRACE_ENV
from fastapi.testclient import TestClient

from modeltrail_serving.app import create_app
from modeltrail_serving.json_log import JsonLog
from modeltrail_serving.model_holder import ModelHolder
from modeltrail_serving.trace_env import read_trace_env
from modeltrail_serving.trace_layer import TraceLayer

ROWS = [{"tenure": 2, "charges": 88.0}, {"tenure": 45.0, "charges": 12}]  # integers cast to the signature's doubles


class Lines:
    def __init__(self) -> None:
        self.lines: list[dict] = []

    def __call__(self, line: bytes) -> None:
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        self.lines.append(json.loads(line))


@pytest.fixture(scope="module")
def loaded(model_dir: str) -> ModelHolder:
    holder = ModelHolder(model_dir)
    holder.load()
    assert holder.state == "ready", holder.error
    return holder


def traced_client(holder: ModelHolder, max_body_bytes: int = 1 << 20) -> tuple[TestClient, Lines, dict]:
    fields = read_trace_env(TRACE_ENV)
    lines = Lines()
    app = create_app(holder, TraceLayer(fields, JsonLog(fields, lines)), max_body_bytes)
    return TestClient(app), lines, fields


def test_prediction_carries_the_trace_in_headers_body_and_log(loaded: ModelHolder) -> None:
    client, lines, fields = traced_client(loaded)
    response = client.post("/invocations", json={"dataframe_records": ROWS}, headers={"x-request-id": "req-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["predictions"] == [1, 0]
    assert body["trace"] == fields
    assert response.headers["x-modeltrail-git-sha"] == GIT_SHA
    assert response.headers["x-modeltrail-run-id"] == JOB_RUN_ID
    assert response.headers["x-modeltrail-runtime-scikit-learn"] == "1.9.1"
    assert response.headers["x-request-id"] == "req-1"
    [line] = lines.lines
    assert {k: line[k] for k in fields} == fields
    assert line["msg"] == "request" and line["status"] == 200 and line["path"] == "/invocations"
    assert line["request_id"] == "req-1" and line["method"] == "POST"


def test_every_input_form_of_the_scoring_protocol(loaded: ModelHolder) -> None:
    client, _, _ = traced_client(loaded)
    split = {"columns": ["tenure", "charges"], "data": [[2.0, 88.0], [45.0, 12.0]]}
    for body in ({"dataframe_split": split}, {"dataframe_records": ROWS}, {"inputs": ROWS}, {"instances": ROWS}):
        response = client.post("/predict", json=body)
        assert response.status_code == 200, (body, response.text)
        assert response.json()["predictions"] == [1, 0]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"dataframe_records": [], "inputs": []}', 400, "exactly one"),
        (b'{"dataframe_split": {"data": 3}}', 400, "dataframe_split"),
        (b'{"dataframe_records": [{"tenure": 1.0}]}', 400, "charges"),
        (b'{"dataframe_records": [{"tenure": "x"}]}', 400, "not a valid model input"),
        (b'{"inputs": NaN}', 400, "not JSON"),
    ],
)
def test_bad_requests_get_a_clear_error_with_the_trace(loaded: ModelHolder, body: bytes, status: int, needle: str) -> None:
    client, lines, fields = traced_client(loaded)
    response = client.post("/invocations", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]["message"]
    assert response.json()["trace"] == fields
    assert response.headers["x-modeltrail-git-sha"] == GIT_SHA
    assert lines.lines[-1]["status"] == status


def test_a_body_over_the_limit_is_refused_unread(loaded: ModelHolder) -> None:
    client, _, _ = traced_client(loaded, max_body_bytes=1000)
    response = client.post("/invocations", content=b'{"inputs": [' + b"1," * 2000 + b"1]}")
    assert response.status_code == 413
    assert "MAX_BODY_BYTES" in response.json()["error"]["message"]

    def chunks():
        for _ in range(100):
            yield b" " * 100

    response = client.post("/invocations", content=chunks())  # no content-length: counted while read
    assert response.status_code == 413


def test_unknown_paths_and_methods_carry_the_trace(loaded: ModelHolder) -> None:
    client, lines, fields = traced_client(loaded)
    response = client.get("/nope?token=secret")
    assert response.status_code == 404
    assert response.json()["trace"] == fields
    assert response.headers["x-modeltrail-run-id"] == JOB_RUN_ID
    assert client.get("/invocations").status_code == 405
    assert "secret" not in json.dumps(lines.lines), "the query string is not logged"


def test_readiness_waits_for_the_model(model_dir: str) -> None:
    gate = threading.Event()

    def slow_loader(path: str):
        gate.wait(30)
        from modeltrail_serving.model_holder import load_mlflow_model

        return load_mlflow_model(path)

    holder = ModelHolder(model_dir, loader=slow_loader)
    client, _, fields = traced_client(holder)
    holder.start()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "loading"
    assert response.json()["trace"] == fields
    assert client.post("/invocations", json={"dataframe_records": ROWS}).status_code == 503
    gate.set()
    assert holder.wait(60)
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["model"]["loader_module"] == "mlflow.sklearn"


def test_a_model_that_cannot_load_is_never_ready(tmp_path) -> None:
    holder = ModelHolder(str(tmp_path))
    holder.load()
    client, _, _ = traced_client(holder)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "failed"
    assert "no MLflow model" in response.json()["error"] and "MODEL_DIR" in response.json()["error"]


def test_without_the_trace_layer_nothing_is_added(loaded: ModelHolder) -> None:
    client = TestClient(create_app(loaded, None))
    response = client.post("/invocations", json={"dataframe_records": ROWS})
    assert response.status_code == 200
    assert response.json() == {"predictions": [1, 0]}
    assert not [h for h in response.headers if h.startswith("x-modeltrail-")]


def test_non_ascii_trace_values_are_percent_encoded_in_headers(loaded: ModelHolder) -> None:
    fields = read_trace_env({**TRACE_ENV, "MODELTRAIL_CODE_BRANCH": "feature/été 100%"})
    app = create_app(loaded, TraceLayer(fields, JsonLog(fields, Lines())))
    response = TestClient(app).get("/healthz")
    assert response.headers["x-modeltrail-git-branch"] == "feature/%C3%A9t%C3%A9 100%25"
    assert response.json()["trace"]["git_branch"] == "feature/été 100%"
