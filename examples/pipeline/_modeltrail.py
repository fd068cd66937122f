"""Loads modeltrail's Python task helper (modeltrail_job_context.py) by path.

The helper ships in the @modeltrail/databricks npm package (``python/modeltrail_job_context.py``).
On Databricks you would put a copy next to your task scripts in the repository (or on the cluster's
PYTHONPATH); here it is found through ``examples/node_modules``, or at the path in env
``MODELTRAIL_JOB_CONTEXT_PY``.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT = os.path.join(
    _HERE, "..", "node_modules", "@modeltrail", "databricks", "python", "modeltrail_job_context.py"
)


def load_job_context_helper() -> ModuleType:
    """Import modeltrail_job_context.py from its path. Raises FileNotFoundError when it is missing."""
    path = os.path.abspath(os.environ.get("MODELTRAIL_JOB_CONTEXT_PY") or _DEFAULT)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"modeltrail_job_context.py not found at {path}: run pnpm install at the repository root, "
            "or set MODELTRAIL_JOB_CONTEXT_PY"
        )
    spec = importlib.util.spec_from_file_location("modeltrail_job_context", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_and_show_job_context() -> tuple[ModuleType, dict]:
    """Load the helper, read this task's trace context and print it. Raises ValueError for malformed ids."""
    mt = load_job_context_helper()
    ctx = mt.read_job_context()
    job = ctx["job"]
    print(
        f"read_job_context(): platform={job['platform']} job_id={job.get('jobId')} run_id={job.get('runId')}"
        f" task_run_id={job.get('taskRunId')} task_key={job.get('taskKey')} git_sha={ctx.get('code', {}).get('gitSha')}"
    )
    return mt, ctx
