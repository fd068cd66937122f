"""The trace layer: every HTTP response gets the trace as ``X-Modeltrail-*`` headers and an
``X-Request-Id``, and every request/response pair is logged as one JSON line carrying the trace's
log fields under the names ``@modeltrail/core``'s ``toLogFields`` gives them.

It is a pure ASGI middleware (no per-request task or body copy), so it costs one header list append
and one log write per request: ``bench/serving`` measures the app with and without it.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from json.encoder import encode_basestring as _json_string
from time import perf_counter
from typing import Any, Awaitable, Callable
from urllib.parse import quote

from .json_log import JsonLog, utc_timestamp

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Prefix of the trace response headers: ``run_id`` becomes ``X-Modeltrail-Run-Id``.
HEADER_PREFIX = "x-modeltrail-"
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# printable ASCII but "%": kept as is in a header value; the rest is percent-encoded (UTF-8)
_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def header_name(field: str) -> str:
    """``git_sha`` -> ``x-modeltrail-git-sha`` (header names are case-insensitive)."""
    return HEADER_PREFIX + field.replace("_", "-")


def header_value(value: Any) -> str:
    """A log field value as a header value: booleans as ``true``/``false``, lists comma-joined,
    anything outside printable ASCII (and ``%``) percent-encoded as UTF-8."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return quote(str(value), safe=_HEADER_SAFE)


class TraceLayer:
    """The trace a process serves with, encoded once: `fields` (``toLogFields`` names and values),
    the response headers, the JSON body member, and the request log."""

    def __init__(self, fields: dict[str, Any], log: JsonLog):
        self.fields = dict(fields)
        self.log = log
        self.headers: list[tuple[bytes, bytes]] = [
            (header_name(k).encode("latin-1"), header_value(v).encode("latin-1")) for k, v in self.fields.items()
        ]
        #: ``"trace":{...}`` as JSON, spliced into response bodies.
        self.body_member = b'"trace":' + json.dumps(self.fields, separators=(",", ":")).encode("utf-8")


class TraceMiddleware:
    """Pure ASGI middleware (``app.add_middleware(TraceMiddleware, layer=...)``): the trace headers
    and the request id on every HTTP response, and one log line per request.

    Cheap by construction (``bench/serving`` measures it): the headers and the constant tail of the
    log line are encoded once, at start-up; per request it wraps ``send`` once, appends the headers
    to the response's list and writes one line, built by hand with the client's method and path
    JSON-escaped by the C encoder."""

    def __init__(self, app: ASGIApp, layer: TraceLayer):
        self.app = app
        self.headers = layer.headers
        self.log = layer.log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, send)
        try:
            await self.app(scope, receive, exchange.send)
        finally:
            if exchange.open:
                exchange.write_line(False)


class _Exchange:
    """One request/response pair: wraps ``send`` to add the headers, count the body and log the line
    once the last body chunk is ready (before it leaves: a client that has the answer finds the
    line)."""

    __slots__ = ("middleware", "scope", "downstream", "started", "request_id", "status", "bytes_out", "open")

    def __init__(self, middleware: TraceMiddleware, scope: Scope, send: Send):
        self.middleware = middleware
        self.scope = scope
        self.downstream = send
        self.started = perf_counter()
        self.request_id = _request_id(scope)
        self.status = 500
        self.bytes_out = 0
        self.open = True

    def send(self, message: Message) -> Awaitable[None]:
        """The wrapped ``send``: returns the server's own awaitable (no coroutine of its own)."""
        kind = message["type"]
        if kind == "http.response.body":
            self.bytes_out += len(message.get("body", b""))
            if self.open and not message.get("more_body", False):
                self.write_line(True)
        elif kind == "http.response.start":
            self.status = message["status"]
            message["headers"] = [
                *message.get("headers", ()),
                *self.middleware.headers,
                (b"x-request-id", self.request_id),
            ]
        return self.downstream(message)

    def write_line(self, completed: bool) -> None:
        self.open = False
        status = self.status
        scope = self.scope
        method = scope["method"]
        # only method and path come from the client: both JSON-escaped (the query string is never logged)
        self.middleware.log.line(
            f'{{"ts":"{utc_timestamp()}","level":"{"info" if status < 500 else "error"}","msg":"request",'
            f'"request_id":"{self.request_id.decode("ascii")}",'
            f'"method":{_METHODS.get(method) or _json_string(method)},"path":{_json_string(scope["path"])},'
            f'"status":{status},"duration_ms":{round((perf_counter() - self.started) * 1000, 3)},'
            f'"bytes_out":{self.bytes_out}' + ("" if completed else ',"completed":false')
        )


#: The common methods as JSON strings (any other is escaped on the spot).
_METHODS = {m: f'"{m}"' for m in ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH")}


# request ids made here: this process's random prefix and a counter (unique, and cheaper than uuid4)
_PREFIX = os.urandom(6).hex().encode("ascii")
_COUNTER = itertools.count(1)


def _request_id(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and _REQUEST_ID.fullmatch(value):
            return value
    return b"%s-%x" % (_PREFIX, next(_COUNTER))
