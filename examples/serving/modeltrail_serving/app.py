"""The FastAPI app: predictions (``POST /invocations``, also at ``/predict``), liveness
(``GET /healthz``) and readiness (``GET /readyz``, 200 only once the model is loaded).

With a TraceLayer, every response carries the trace in its headers (``X-Modeltrail-Git-Sha``,
``X-Modeltrail-Run-Id``, ...) and in its JSON body (``"trace": {...}``, the ``toLogFields`` names),
and every request is logged as one JSON line with the same fields. Without one (``trace=None``, only
for the benchmark's baseline) it is the same app with none of that.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .model_holder import ModelHolder
from .payload import PayloadError, parse_body, predictions_json
from .trace_layer import TraceLayer, TraceMiddleware

JSON = "application/json"


class _BodyTooLarge(Exception):
    pass


def create_app(holder: ModelHolder, trace: TraceLayer | None, max_body_bytes: int = 16 * 1024 * 1024) -> FastAPI:
    """Builds the app around a model holder (whose loading the caller starts). `trace` adds the
    trace layer; None gives the bare app the benchmark compares with."""
    app = FastAPI(title="modeltrail serving", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.holder = holder
    app.state.trace = trace
    trace_member = trace.body_member if trace is not None else None
    if trace is not None:
        app.add_middleware(TraceMiddleware, layer=trace)

    def respond(http_status: int, /, **members: bytes) -> Response:
        parts = [b'"' + k.encode("ascii") + b'":' + v for k, v in members.items()]
        if trace_member is not None:
            parts.append(trace_member)
        return Response(b"{" + b",".join(parts) + b"}", status_code=http_status, media_type=JSON)

    def error(status: int, code: str, message: str) -> Response:
        return respond(status, error=predictions_json({"code": code, "message": message}))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        response = error(exc.status_code, code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness: the process answers (whether or not the model has loaded)."""
        return respond(200, status=b'"ok"')

    @app.get("/readyz")
    async def readyz() -> Response:
        """Readiness: 200 once the model is loaded, 503 while it loads or when it failed."""
        if holder.state == "ready":
            return respond(200, status=b'"ready"', model=predictions_json({"dir": holder.model_dir, **holder.model_info}))
        if holder.state == "failed":
            return respond(503, status=b'"failed"', error=predictions_json(holder.error))
        return respond(503, status=b'"loading"')

    async def predict(request: Request) -> Response:
        if holder.state != "ready":
            return error(503, "NOT_READY", f"the model is {holder.state}; wait for GET /readyz to answer 200")
        try:
            raw = await _read_body(request, max_body_bytes)
        except _BodyTooLarge:
            return error(413, "BODY_TOO_LARGE", f"the request body is larger than {max_body_bytes} bytes (MAX_BODY_BYTES)")
        try:
            data = parse_body(raw, holder.input_schema)
        except PayloadError as err:
            return error(400, "BAD_REQUEST", str(err))
        try:
            predictions = await run_in_threadpool(holder.model.predict, data)
        except Exception as err:  # noqa: BLE001 - the model's own errors become answers
            status, code = _model_error_status(err)
            return error(status, code, f"prediction failed: {type(err).__name__}: {str(err)[:1000]}")
        try:
            body = predictions_json(predictions)
        except (TypeError, ValueError) as err:
            return error(500, "BAD_PREDICTION", f"the model's output is not JSON: {err}")
        return respond(200, predictions=body)

    app.add_api_route("/invocations", predict, methods=["POST"])
    app.add_api_route("/predict", predict, methods=["POST"])
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _model_error_status(err: Exception) -> tuple[int, str]:
    code: Any = getattr(err, "error_code", None)
    if code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST") or isinstance(err, (ValueError, KeyError, TypeError)):
        return 400, "INVALID_INPUT"
    return 500, "PREDICTION_FAILED"
