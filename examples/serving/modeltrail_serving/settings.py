"""Where the serving app finds its model and where it listens, from the environment.

| variable | default | meaning |
|---|---|---|
| ``MODEL_DIR`` | ``/opt/model`` | the MLflow model directory (holding ``MLmodel``); ``@modeltrail/registry``'s ``buildModelImage`` puts the model there |
| ``HOST`` | ``0.0.0.0`` | the address to listen on |
| ``PORT`` | ``8080`` | the port to listen on |
| ``MAX_BODY_BYTES`` | ``16777216`` | largest request body accepted (413 above it) |

The trace (``GIT_SHA``, ``RUN_ID``, ...) is read separately, by ``trace_env``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping

DEFAULT_MODEL_DIR = "/opt/model"
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


class SettingsError(Exception):
    """A serving setting in the environment is invalid: the message names the variable and the fix."""


@dataclass(frozen=True)
class ServingSettings:
    """The serving app's settings (see the module docstring for the variables)."""

    model_dir: str = DEFAULT_MODEL_DIR
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ServingSettings":
        """Reads the settings from `env`. Raises SettingsError naming a bad variable."""
        model_dir = (env.get("MODEL_DIR") or "").strip() or DEFAULT_MODEL_DIR
        host = (env.get("HOST") or "").strip() or DEFAULT_HOST
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise SettingsError(f"HOST={host!r} is not an IP address: set HOST to e.g. 127.0.0.1 or 0.0.0.0") from None
        port = _int(env, "PORT", DEFAULT_PORT, 0, 65535)
        max_body = _int(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1, 1 << 31)
        return cls(model_dir=model_dir, host=host, port=port, max_body_bytes=max_body)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name}={raw!r} must be a whole number from {low} to {high}")
    return int(raw)
