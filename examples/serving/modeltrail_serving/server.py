"""Start-up: read the trace (refusing to start without ``GIT_SHA`` or ``RUN_ID``) and the settings
once, start loading the model, serve with uvicorn; exit non-zero when the model cannot be loaded."""

from __future__ import annotations

import sys
from typing import Mapping

from .json_log import JsonLog
from .model_holder import ModelHolder
from .settings import ServingSettings, SettingsError
from .trace_env import TraceEnvError, process_env, read_trace_env
from .trace_layer import TraceLayer

#: Exit codes: 2 refused to start (trace or settings), 3 the model failed to load. Stopped by SIGTERM
#: or SIGINT, uvicorn answers the requests in flight (each logged) and then ends the process by that
#: signal (it re-raises it), as a container runtime expects.
EXIT_REFUSED = 2
EXIT_MODEL_FAILED = 3


def run(env: Mapping[str, str] | None = None) -> int:
    """Runs the server until it is stopped. Returns the process exit code."""
    env = process_env() if env is None else env
    try:
        fields = read_trace_env(env)
        settings = ServingSettings.from_env(env)
    except TraceEnvError as err:
        _refuse(
            "refusing to start without a complete, valid trace: every answer must say which code and run"
            f" produced the model.\n{err}\nSet GIT_SHA and RUN_ID (modeltrail's toEnv(ctx) writes them into the"
            " image config and the Deployment)."
        )
        return EXIT_REFUSED
    except SettingsError as err:
        _refuse(f"refusing to start: {err}")
        return EXIT_REFUSED

    import uvicorn

    log = JsonLog(fields)
    holder = ModelHolder(settings.model_dir)
    from .app import create_app

    app = create_app(holder, TraceLayer(fields, log), settings.max_body_bytes)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)

    def loaded(h: ModelHolder) -> None:
        if h.state == "ready":
            log.event("info", "model loaded", model_dir=h.model_dir, load_seconds=h.load_seconds, **_prefixed(h.model_info))
        else:
            log.event("error", "model failed to load; stopping", model_dir=h.model_dir, error=h.error)
            server.should_exit = True

    log.event("info", "starting", host=settings.host, port=settings.port, model_dir=settings.model_dir)
    holder.start(loaded)
    server.run()
    if holder.state == "failed":
        _refuse(f"the model failed to load: {holder.error}")
        return EXIT_MODEL_FAILED
    if not server.started:
        _refuse(f"could not listen on {settings.host}:{settings.port} (see the error above)")
        return 1
    return 0


def _prefixed(info: dict[str, object]) -> dict[str, object]:
    # keeps the model's own run id from shadowing the trace's mlflow_run_id field
    return {f"model_{k}": v for k, v in info.items()}


def _refuse(message: str) -> None:
    sys.stderr.write(f"modeltrail_serving: {message}\n")
    sys.stderr.flush()


def main() -> None:
    """``python -m modeltrail_serving``."""
    sys.exit(run())
