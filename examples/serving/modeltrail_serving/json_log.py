"""One JSON object a line on stdout, written whole with one unbuffered write (no Python buffering
between a request and its line, and no interleaving of two lines)."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Callable

Sink = Callable[[bytes], None]


def fd_sink(fd: int = 1) -> Sink:
    """A sink writing each line to file descriptor `fd` (default stdout) with one ``write``, the
    rest of a short write (a full pipe) written after it."""

    def write(line: bytes) -> None:
        try:
            written = os.write(fd, line)
        except BlockingIOError:
            written = 0
        if written < len(line):
            _write_rest(fd, memoryview(line)[written:])

    return write


def _write_rest(fd: int, view: memoryview) -> None:
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        view = view[written:]


_second: list = [-1, ""]
_MILLIS = [f".{i:03d}Z" for i in range(1000)]


def utc_timestamp() -> str:
    """The current time as RFC 3339 UTC with milliseconds, e.g. ``2026-11-27T19:45:01.123Z``
    (the part up to the second is formatted once a second)."""
    second, milli = divmod(int(time.time() * 1000), 1000)
    if _second[0] != second:
        _second[0] = second
        _second[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return _second[1] + _MILLIS[milli]


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (the line is UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class JsonLog:
    """Writes events as JSON lines: ``ts``, ``level``, ``msg``, the event's own keys, then the
    constant `fields` (the trace's log fields) under their own names."""

    def __init__(self, fields: dict[str, Any] | None = None, sink: Sink | None = None):
        self.sink = sink or fd_sink()
        # the constant part, encoded once: every line ends with it
        self._tail = ("," + dumps(fields)[1:]) if fields else "}"
        self._tail_line = self._tail + "\n"

    def line(self, head: str) -> None:
        """Writes one line from `head`, a JSON object's members without the closing brace, e.g.
        ``{"ts":"...","level":"info","msg":"request","status":200`` (for the hot path). A lone
        surrogate in `head` is written as its JSON escape (``\\udc80``), never dropped."""
        text = head + self._tail_line
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "backslashreplace")
        self.sink(data)

    def event(self, level: str, msg: str, **values: Any) -> None:
        """Writes one line: ``{"ts":..., "level": level, "msg": msg, **values, **fields}``."""
        head = dumps({"ts": utc_timestamp(), "level": level, "msg": msg, **values})
        self.sink((head[:-1] + self._tail + "\n").encode("utf-8"))
