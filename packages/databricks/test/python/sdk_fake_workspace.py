"""Drives Databricks' own Python SDK (databricks-sdk) against modeltrail's fake workspace.

Reads {"host", "token", "ops": [{"call", "args"}]} on stdin, runs each operation with
`databricks.sdk.WorkspaceClient` and prints, in order, {"ok": <result as the SDK's as_dict()>} or
{"error": {"type", "error_code", "message"}}. Every request stays on the loopback fake
(modeltrail_loopback), and the SDK's waits between polls and retries are skipped (the fake answers at once).
"""

import dataclasses
import json
import os
import sys
import time

import modeltrail_loopback

modeltrail_loopback.install(os.environ.get("MODELTRAIL_LOOPBACK_URL"))
time.sleep = lambda seconds: None  # polls and retries need no waiting against the fake

from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.errors import DatabricksError, OperationFailed  # noqa: E402
from databricks.sdk.service import jobs  # noqa: E402


def typed_kwargs(cls, data):
    """The fields of `cls.from_dict(data)` that `data` gives, as keyword arguments (for jobs/create)."""
    value = cls.from_dict(data)
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.name in data}


def submit_kwargs(data):
    """runs/submit keyword arguments from a request body (the SDK has no dataclass for the whole body)."""
    typed = {"tasks": lambda v: [jobs.SubmitTask.from_dict(t) for t in v], "git_source": jobs.GitSource.from_dict}
    return {k: typed.get(k, lambda v: v)(v) for k, v in data.items()}


def main():
    request = json.load(sys.stdin)
    w = WorkspaceClient(host=request["host"], token=request["token"], auth_type="pat")
    calls = {
        "scenario": lambda a: w.api_client.do("POST", request["scenario_path"], body=a) and None,
        "jobs.list": lambda a: [j.as_dict() for j in w.jobs.list(**a)],
        "jobs.get": lambda a: w.jobs.get(**a).as_dict(),
        "jobs.create": lambda a: w.jobs.create(**typed_kwargs(jobs.JobSettings, a["settings"])).as_dict(),
        "jobs.reset": lambda a: w.jobs.reset(
            job_id=a["job_id"], new_settings=jobs.JobSettings.from_dict(a["new_settings"])
        ),
        "jobs.delete": lambda a: w.jobs.delete(**a),
        "jobs.run_now": lambda a: w.jobs.run_now(**a).response.as_dict(),
        "jobs.run_now_and_wait": lambda a: w.jobs.run_now(**a).result().as_dict(),
        "jobs.get_run": lambda a: w.jobs.get_run(**a).as_dict(),
        "jobs.wait": lambda a: w.jobs.wait_get_run_job_terminated_or_skipped(**a).as_dict(),
        "jobs.get_run_output": lambda a: w.jobs.get_run_output(**a).as_dict(),
        "jobs.list_runs": lambda a: [r.as_dict() for r in w.jobs.list_runs(**a)],
        "jobs.submit": lambda a: w.jobs.submit(**submit_kwargs(a)).response.as_dict(),
        "jobs.cancel_run": lambda a: w.jobs.cancel_run(**a) and None,
        "settings.round_trip": lambda a: jobs.JobSettings.from_dict(a).as_dict(),
    }
    results = []
    for op in request["ops"]:
        try:
            value = calls[op["call"]](op.get("args", {}))
            results.append({"ok": value})
        except DatabricksError as err:
            results.append(
                {"error": {"type": type(err).__name__, "error_code": err.error_code, "message": str(err)}}
            )
        except OperationFailed as err:
            results.append({"error": {"type": "OperationFailed", "error_code": None, "message": str(err)}})
    json.dump(results, sys.stdout)


main()
