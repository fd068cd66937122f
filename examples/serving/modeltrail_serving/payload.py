"""Prediction requests and responses in MLflow's scoring protocol (the body `mlflow models serve`
accepts): exactly one of ``dataframe_split``, ``dataframe_records``, ``instances`` or ``inputs``."""

from __future__ import annotations

import json
import math
from typing import Any

INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


class PayloadError(Exception):
    """The request body is not a prediction request: the message says what to send instead."""


def parse_body(raw: bytes, schema: Any = None) -> Any:
    """Parses a request body into the model's input as MLflow's scoring server does
    (``infer_and_parse_data``: a pandas DataFrame for the dataframe forms, columns cast to the
    model's input `schema` when it has one). Raises PayloadError."""
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        raise PayloadError(f"the body is not JSON ({err}): send {{\"dataframe_records\": [{{...}}]}}") from None
    if not isinstance(body, dict):
        raise PayloadError("the body must be a JSON object with one of " + ", ".join(INPUT_KEYS))
    given = [k for k in INPUT_KEYS if k in body]
    if len(given) != 1:
        raise PayloadError(
            "the body must have exactly one of " + ", ".join(INPUT_KEYS) + (f" (found {', '.join(given)})" if given else "")
        )
    key = given[0]
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc.scoring_server import infer_and_parse_data

    try:
        return infer_and_parse_data({key: body[key]}, schema)
    except MlflowException as err:
        raise PayloadError(f"{key} is not a valid model input: {err.message}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise PayloadError(f"{key} is not a valid model input: {type(err).__name__}: {err}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def predictions_json(predictions: Any) -> bytes:
    """The predictions as JSON bytes (numpy arrays, pandas frames and series included)."""
    return json.dumps(_plain(predictions), separators=(",", ":"), allow_nan=False).encode("utf-8")


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and hasattr(value, "columns"):
        return [_plain(r) for r in value.to_dict(orient="records")]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _plain(tolist())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    item = getattr(value, "item", None)
    if callable(item):
        return _plain(item())
    return value
