"""Reads OpenLineage RunEvents (JSON on stdin: {"events": [...], "modeltrailSchemas": {...}}) into
openlineage-python's typed classes (event_v2 and the generated facet classes), then writes each back
with the client's own Serde. Prints {"client": version, "results": [{"ok", "event" | "error"}]}.

A field a facet class does not define, a missing required field, a run id that is not a UUID or an
event time without a time is an error from the client's constructors and validators. Each facet is
written back with the `_schemaURL` the client stamps on that class (custom facets: the class defined
here, as OpenLineage's docs define custom facets), so a version that differs shows up in the compare.
"""

import importlib.metadata
import json
import sys
import traceback

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    datasource_dataset,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    processing_engine_run,
    source_code_location_job,
)
from openlineage.client.serde import Serde

payload = json.load(sys.stdin)
schema_urls = payload["modeltrailSchemas"]


@attr.define
class ModeltrailTraceRunFacet(RunFacet):
    kind: str
    gitSha: str | None = attr.field(default=None)
    repoUrl: str | None = attr.field(default=None)
    ciProvider: str | None = attr.field(default=None)
    ciRunId: str | None = attr.field(default=None)
    ciRunAttempt: str | None = attr.field(default=None)
    jobPlatform: str | None = attr.field(default=None)
    jobId: str | None = attr.field(default=None)
    jobRunId: str | None = attr.field(default=None)
    taskRunId: str | None = attr.field(default=None)
    taskKey: str | None = attr.field(default=None)
    workspaceUrl: str | None = attr.field(default=None)
    mlflowRunId: str | None = attr.field(default=None)
    modelName: str | None = attr.field(default=None)
    modelVersion: str | None = attr.field(default=None)
    modelUri: str | None = attr.field(default=None)
    imageRef: str | None = attr.field(default=None)
    imageDigest: str | None = attr.field(default=None)
    environment: str | None = attr.field(default=None)
    deploymentPlatform: str | None = attr.field(default=None)
    deploymentCluster: str | None = attr.field(default=None)
    deploymentNamespace: str | None = attr.field(default=None)
    deploymentName: str | None = attr.field(default=None)
    deploymentRevision: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_urls["modeltrail_trace"]


@attr.define
class ModeltrailDigestDatasetFacet(DatasetFacet):
    digest: str
    value: str
    algorithm: str | None = attr.field(default=None)
    source: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_urls["modeltrail_digest"]


def parent(producer, run, job, root=None):
    return parent_run.ParentRunFacet(
        producer=producer,
        run=parent_run.Run(**run),
        job=parent_run.Job(**job),
        root=None
        if root is None
        else parent_run.Root(run=parent_run.RootRun(**root["run"]), job=parent_run.RootJob(**root["job"])),
    )


FACETS = {
    "run": {
        "parent": parent,
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet,
        "errorMessage": error_message_run.ErrorMessageRunFacet,
        "modeltrail_trace": ModeltrailTraceRunFacet,
    },
    "job": {
        "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet,
        "jobType": job_type_job.JobTypeJobFacet,
    },
    "dataset": {
        "version": dataset_version_dataset.DatasetVersionDatasetFacet,
        "dataSource": datasource_dataset.DatasourceDatasetFacet,
        "modeltrail_digest": ModeltrailDigestDatasetFacet,
    },
}


def facets(kind, given):
    out = {}
    for key, value in (given or {}).items():
        cls = FACETS[kind].get(key)
        if cls is None:
            raise ValueError(f"{kind} facet {key!r} is not one modeltrail emits")
        fields = {k: v for k, v in value.items() if k not in ("_producer", "_schemaURL")}
        out[key] = cls(producer=value["_producer"], **fields)
    return out


def read(e):
    event = RunEvent(
        eventType=RunState[e["eventType"]],
        eventTime=e["eventTime"],
        producer=e["producer"],
        run=Run(runId=e["run"]["runId"], facets=facets("run", e["run"].get("facets"))),
        job=Job(namespace=e["job"]["namespace"], name=e["job"]["name"], facets=facets("job", e["job"].get("facets"))),
        inputs=[InputDataset(namespace=d["namespace"], name=d["name"], facets=facets("dataset", d.get("facets"))) for d in e["inputs"]],
        outputs=[OutputDataset(namespace=d["namespace"], name=d["name"], facets=facets("dataset", d.get("facets"))) for d in e["outputs"]],
    )
    if event.schemaURL != e["schemaURL"]:
        raise ValueError(f"schemaURL {e['schemaURL']} is not the client's {event.schemaURL}")
    return Serde.to_dict(event)


results = []
for e in payload["events"]:
    try:
        results.append({"ok": True, "event": read(e)})
    except Exception as err:  # noqa: BLE001 - reported to the test
        results.append({"ok": False, "error": "".join(traceback.format_exception_only(err)).strip()})

json.dump({"client": importlib.metadata.version("openlineage-python"), "results": results}, sys.stdout)
