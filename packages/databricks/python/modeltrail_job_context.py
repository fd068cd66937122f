"""Read the modeltrail trace context inside a Databricks job task written in Python (stdlib only).

Contract (the same as ``readJobContext`` in @modeltrail/databricks): the job definition passes

    --job-id={{job.id}} --job-run-id={{job.run_id}} --task-run-id={{task.run_id}}
    --task-key={{task.name}} --git-sha=<40-hex commit, or {{job.parameters.git_sha}}>

as task parameters (``spark_python_task.parameters``, or ``python_wheel_task`` parameters /
``named_parameters``). Accepted spellings: ``--job-id 123``, ``--job-id=123``, ``--job_id=123`` and
the positional ``job_id=123``; other arguments are ignored, so they can sit among the script's own.

* On Databricks (``DATABRICKS_RUNTIME_VERSION`` is set) ``job.platform`` is ``databricks`` and the ids
  are the ones passed; missing ones stay absent.
* Anywhere else the same script works unchanged: ``job.platform`` is ``local`` and ids that were not
  passed, or still read ``{{job.id}}`` because nothing substituted them, become ``local-<uuid>``.
* The commit comes from ``--git-sha``, else env ``GIT_SHA``, else ``git rev-parse HEAD`` in the
  working directory, else it is absent.
* A malformed id (not decimal) or SHA (not 40 hex digits) raises ``ValueError``.

The result is a dict in the JSON form of a modeltrail TraceContext (``schemaVersion``, ``code``,
``job``), so it can be logged, written to MLflow tags with :func:`mlflow_tags`, or handed to the
TypeScript SDK. ``python modeltrail_job_context.py <task args>`` prints it as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence

SCHEMA_VERSION = 1
FIELDS = {
    "job_id": "jobId",
    "job_run_id": "runId",
    "task_run_id": "taskRunId",
    "task_key": "taskKey",
    "git_sha": "gitSha",
}
ID_FIELDS = ("job_id", "job_run_id", "task_run_id")
TASK_VALUES_FILE_ENV = "MODELTRAIL_TASK_VALUES_FILE"
_REFERENCE = re.compile(r"\{\{.*\}\}", re.S)
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")


def _parse_args(argv: Sequence[str]) -> Dict[str, Optional[str]]:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for name in FIELDS:
        dashed = name.replace("_", "-")
        parser.add_argument(f"--{dashed}", f"--{name}", dest=name, default=None)
    flags: List[str] = []
    positional: Dict[str, str] = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        norm = key.strip().lower().replace("-", "_")
        if not arg.startswith("--") and sep and norm in FIELDS:
            positional[norm] = value
        else:
            flags.append(arg)
    known, _ = parser.parse_known_args(flags)
    values: Dict[str, Optional[str]] = {}
    for name in FIELDS:
        raw = getattr(known, name)
        if raw is None:
            raw = positional.get(name)
        raw = None if raw is None else raw.strip()
        # Blank, or a dynamic value reference nobody substituted (started outside Databricks): absent.
        values[name] = None if not raw or _REFERENCE.search(raw) else raw
    return values


def _git_head(cwd: Optional[str]) -> Optional[str]:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip().lower()
    return sha if out.returncode == 0 and _SHA.match(sha) else None


def read_job_context(
    argv: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> Dict[str, Any]:
    """Return the trace context of this task (see the module docstring for the contract).

    Raises ValueError for a malformed id or commit SHA.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if env is None else env
    values = _parse_args(args)
    problems = []
    for name in ID_FIELDS:
        v = values[name]
        if v is not None and not v.isdigit():
            problems.append(f"--{name.replace('_', '-')} must be a numeric Databricks id, got {v!r}")
    sha = values["git_sha"]
    if sha is not None and not _SHA.match(sha):
        problems.append(f"--git-sha must be a full 40-hex-digit commit SHA, got {sha!r}")
    if problems:
        raise ValueError("Invalid Databricks job task parameters: " + "; ".join(problems))

    on_databricks = bool(environ.get("DATABRICKS_RUNTIME_VERSION"))
    job: Dict[str, str] = {"platform": "databricks" if on_databricks else "local"}
    for name in ("job_id", "job_run_id", "task_run_id", "task_key"):
        v = values[name]
        if v is None and not on_databricks and name in ID_FIELDS:
            v = f"local-{uuid.uuid4()}"
        if v is not None:
            job[FIELDS[name]] = v

    if sha is None:
        env_sha = (environ.get("GIT_SHA") or "").strip()
        if env_sha and not _SHA.match(env_sha):
            raise ValueError(f"GIT_SHA must be a full 40-hex-digit commit SHA, got {env_sha!r}")
        sha = env_sha or _git_head(cwd)
    ctx: Dict[str, Any] = {"schemaVersion": SCHEMA_VERSION, "job": job}
    if sha:
        ctx["code"] = {"gitSha": sha.lower()}
    return ctx


def mlflow_tags(ctx: Mapping[str, Any]) -> Dict[str, str]:
    """The default modeltrail MLflow tags of a context: GIT_SHA, DBR_RUN_ID (job run), DBR_JOB_ID."""
    tags: Dict[str, str] = {}
    sha = (ctx.get("code") or {}).get("gitSha")
    job = ctx.get("job") or {}
    if sha:
        tags["GIT_SHA"] = sha
        tags["mlflow.source.git.commit"] = sha
    if job.get("runId"):
        tags["DBR_RUN_ID"] = job["runId"]
    if job.get("jobId"):
        tags["DBR_JOB_ID"] = job["jobId"]
    return tags


def set_task_value(key: str, value: Any, env: Optional[Mapping[str, str]] = None) -> None:
    """Set a task value for downstream tasks (``{{tasks.<task>.values.<key>}}``).

    On Databricks this uses ``dbutils.jobs.taskValues.set``; under the modeltrail LocalJobRunner it
    merges the value into the JSON file named by env ``MODELTRAIL_TASK_VALUES_FILE``; elsewhere it
    does nothing. Raises TypeError for a value that is not JSON-serialisable.
    """
    json.dumps(value)
    environ = os.environ if env is None else env
    path = environ.get(TASK_VALUES_FILE_ENV)
    if path:
        current: Dict[str, Any] = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                current = json.load(f)
        current[key] = value
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(current, f)
        os.replace(tmp, path)
        return
    if environ.get("DATABRICKS_RUNTIME_VERSION"):
        try:
            from databricks.sdk.runtime import dbutils  # type: ignore[import-not-found]
        except ImportError:  # pragma: no cover - only on Databricks
            return
        dbutils.jobs.taskValues.set(key=key, value=value)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the context as JSON; exit 2 with a message for malformed parameters."""
    try:
        ctx = read_job_context(argv)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(ctx, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
