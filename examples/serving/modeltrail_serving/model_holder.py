"""The MLflow model, loaded once in the background so that the liveness probe answers while it loads
and the readiness probe only once it has."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable


class ModelLoadError(Exception):
    """The model directory holds no loadable MLflow model: the message says which directory and why."""


def load_mlflow_model(model_dir: str) -> Any:
    """Loads the MLflow model in `model_dir` as a pyfunc model. Raises ModelLoadError."""
    if not os.path.isfile(os.path.join(model_dir, "MLmodel")):
        raise ModelLoadError(
            f"no MLflow model in {model_dir} (no MLmodel file): set MODEL_DIR to the directory the image put the model in"
        )
    import mlflow.pyfunc  # imported here: it takes seconds, and the probes answer meanwhile

    try:
        return mlflow.pyfunc.load_model(model_dir)
    except Exception as err:  # noqa: BLE001 - any flavour's failure is a load failure
        raise ModelLoadError(f"could not load the MLflow model in {model_dir}: {type(err).__name__}: {err}") from err


class ModelHolder:
    """Holds the model and its loading state: `loading`, `ready` or `failed`."""

    def __init__(self, model_dir: str, loader: Callable[[str], Any] = load_mlflow_model):
        self.model_dir = model_dir
        self._loader = loader
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.model: Any = None
        self.state = "loading"
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.model_info: dict[str, Any] = {}
        #: The model's input schema (from its signature), used to parse requests; None without one.
        self.input_schema: Any = None

    def load(self) -> None:
        """Loads the model in the calling thread; records success or failure (never raises)."""
        started = time.monotonic()
        try:
            model = self._loader(self.model_dir)
        except Exception as err:  # noqa: BLE001
            with self._lock:
                self.state = "failed"
                self.error = str(err) if isinstance(err, ModelLoadError) else f"{type(err).__name__}: {err}"
            self._ready.set()
            return
        with self._lock:
            self.model = model
            self.model_info = _describe(model)
            self.input_schema = _input_schema(model)
            self.load_seconds = round(time.monotonic() - started, 3)
            self.state = "ready"
        self._ready.set()

    def start(self, on_done: Callable[["ModelHolder"], None] | None = None) -> threading.Thread:
        """Loads the model in a daemon thread; calls `on_done` when it has loaded or failed."""

        def run() -> None:
            self.load()
            if on_done is not None:
                on_done(self)

        thread = threading.Thread(target=run, name="model-loader", daemon=True)
        thread.start()
        return thread

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until loading has ended (either way); False on timeout."""
        return self._ready.wait(timeout)


def _describe(model: Any) -> dict[str, Any]:
    metadata = getattr(model, "metadata", None)
    if metadata is None:
        return {}
    info: dict[str, Any] = {}
    flavors = getattr(metadata, "flavors", None) or {}
    loader = flavors.get("python_function", {}).get("loader_module")
    if loader:
        info["loader_module"] = loader
    run_id = getattr(metadata, "run_id", None)
    if run_id:
        info["mlflow_run_id"] = run_id
    return info


def _input_schema(model: Any) -> Any:
    metadata = getattr(model, "metadata", None)
    get = getattr(metadata, "get_input_schema", None)
    return get() if callable(get) else None
