"""bench/serving's in-process measurement: the CPU time the server spends on one request, with and
without the trace layer, through uvicorn's own HTTP protocol (the httptools parser, the same ASGI
stack, uvicorn's response writing) on a uvloop event loop, with the socket replaced by an in-memory
transport. No kernel networking, no load generator and no second process on the path: what the other
sessions of a shared machine do weighs far less on this figure than on requests/s under wrk.

Usage: python inprocess.py MODEL_DIR LOG_FILE ROUNDS REQUESTS [--breakdown] [PATH ...]; the trace is
read from the environment as ``python -m modeltrail_serving`` reads it. Prints one JSON object: per
path, the CPU microseconds per request of each app in each round (process time, all threads). With
``--breakdown``, two more variants of the traced app (see `breakdown_apps`) run in the same rounds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from modeltrail_serving.app import create_app
from modeltrail_serving.json_log import JsonLog, fd_sink
from modeltrail_serving.model_holder import ModelHolder
from modeltrail_serving.trace_env import read_trace_env
from modeltrail_serving.trace_layer import TraceLayer

PREDICTION = b'{"dataframe_records": [{"tenure": 2.0, "charges": 88.0}, {"tenure": 45.0, "charges": 12.0}]}'


def request_bytes(path: str) -> bytes:
    """The request wrk sends for `path` (bench/serving/post.lua for predictions)."""
    if path == "/invocations":
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: {len(PREDICTION)}\r\n\r\n"
        return head.encode("ascii") + PREDICTION
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".encode("ascii")


class MemoryTransport(asyncio.Transport):
    """A connected socket's transport, in memory: counts what the server writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closed = False
        self.statuses: list[int] = []

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes) -> None:
        if data.startswith(b"HTTP/1.1 "):
            self.statuses.append(int(data[9:12]))
        self.written += len(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Connection:
    """uvicorn's protocol on a MemoryTransport: one keep-alive connection sending requests one by one."""

    def __init__(self, app: object) -> None:
        # kept alive between rounds (the other app runs meanwhile); uvicorn re-arms the timer each response
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", http="httptools", loop="uvloop", timeout_keep_alive=3600
        )
        config.load()
        self.protocol = HttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
        self.transport = MemoryTransport()
        self.protocol.connection_made(self.transport)
        self.done: asyncio.Future[None] | None = None
        answered = self.protocol.on_response_complete

        def on_response_complete() -> None:
            answered()
            if self.done is not None and not self.done.done():
                self.done.set_result(None)

        self.protocol.on_response_complete = on_response_complete  # type: ignore[method-assign]

    async def send(self, request: bytes) -> None:
        self.done = asyncio.get_running_loop().create_future()
        self.protocol.data_received(request)
        await self.done
        if self.transport.closed or self.transport.statuses.pop() != 200:
            raise RuntimeError(f"{request[:30]!r}... was not answered 200 on a kept-alive connection")


async def rounds(apps: dict[str, object], path: str, n_rounds: int, n_requests: int) -> dict[str, list[float]]:
    request = request_bytes(path)
    connections = {name: Connection(app) for name, app in apps.items()}
    for conn in connections.values():  # warm-up
        for _ in range(max(50, n_requests // 10)):
            await conn.send(request)
    out: dict[str, list[float]] = {name: [] for name in apps}
    names = list(apps)
    for r in range(n_rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            conn = connections[name]
            started = time.process_time()
            for _ in range(n_requests):
                await conn.send(request)
            out[name].append(round((time.process_time() - started) / n_requests * 1e6, 2))
    return out


def breakdown_apps(holder: ModelHolder, fields: dict[str, object]) -> dict[str, object]:
    """Where the layer's time goes: the traced app with its log lines written nowhere (``no-write``:
    the line is still built, the write skipped), and that again without the trace headers
    (``no-write-no-headers``). traced - no-write is the write, no-write - no-write-no-headers the
    headers (uvicorn checks each one), no-write-no-headers - untraced the rest (the middleware, the
    request id, building the line, the body member). Neither writes a log line."""

    def discard(_line: bytes) -> None:
        pass

    bare = TraceLayer(fields, JsonLog(fields, discard))
    bare.headers = []
    return {
        "no-write": create_app(holder, TraceLayer(fields, JsonLog(fields, discard))),
        "no-write-no-headers": create_app(holder, bare),
    }


def main() -> None:
    model_dir, log_file, n_rounds, n_requests, *paths = sys.argv[1:]
    fields = read_trace_env()
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    holder = ModelHolder(model_dir)
    holder.load()
    if holder.state != "ready":
        raise SystemExit(f"the model did not load: {holder.error}")
    apps = {
        "traced": create_app(holder, TraceLayer(fields, JsonLog(fields, fd_sink(fd)))),
        "untraced": create_app(holder, None),
    }
    if "--breakdown" in paths:
        paths = [p for p in paths if p != "--breakdown"]
        apps.update(breakdown_apps(holder, fields))
    results = {path: uvloop.run(rounds(apps, path, int(n_rounds), int(n_requests))) for path in paths or ["/healthz"]}
    os.close(fd)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
