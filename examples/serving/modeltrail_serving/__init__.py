"""modeltrail's reference serving app: an MLflow model behind FastAPI, every response and log line
carrying the trace (git_sha, run_id, ...) the process was started with.

Run it with ``python -m modeltrail_serving`` (see ``settings.py`` for the environment it reads).
"""

from .trace_env import TraceEnvError, read_trace_env

__all__ = ["TraceEnvError", "read_trace_env"]
