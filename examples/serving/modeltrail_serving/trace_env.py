"""The trace a serving process runs with, read once from its environment.

This is the Python side of `@modeltrail/core`'s `fromEnv` followed by `toLogFields`: the same
variables (`GIT_SHA`, `RUN_ID`, `JOB_ID` and the namespaced `MODELTRAIL_*` set that `toEnv` writes),
the same validation rules, and the same log field names (`git_sha`, `run_id`, `job_id`,
`model_version`, `runtime_<key>`, `extra_<key>`, ...). A test feeds the same environments to both and
requires the same fields, or a refusal from both.

Only the default conventions are supported: a deployment that renamed the variables with
`defineConventions` needs the same renaming here.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Mapping, Union

LogValue = Union[str, bool, list]

#: The trace schema version this module reads (core's TRACE_SCHEMA_VERSION).
TRACE_SCHEMA_VERSION = 1
#: Longest accepted string value, in code points (as zod counts a string's length).
MAX_TRACE_VALUE_LENGTH = 1024
#: Most entries in `data`, `extra` and `environment.runtime`.
MAX_TRACE_ENTRIES = 64

#: Every scalar field in core's SCALAR_FIELDS order: (field, kind, env names, log name).
#: kind: text, url (text with credentials stripped), git_sha, digest, bool, platform.
FIELDS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("code.gitSha", "git_sha", ("GIT_SHA", "MODELTRAIL_CODE_GIT_SHA"), "git_sha"),
    ("job.runId", "text", ("MODELTRAIL_JOB_RUN_ID",), None),
    ("model.mlflowRunId", "text", ("MODELTRAIL_MODEL_MLFLOW_RUN_ID",), "mlflow_run_id"),
    ("job.jobId", "text", ("JOB_ID", "MODELTRAIL_JOB_ID"), "job_id"),
    ("model.name", "text", ("MODELTRAIL_MODEL_NAME",), "model_name"),
    ("model.version", "text", ("MODELTRAIL_MODEL_VERSION",), "model_version"),
    ("image.digest", "digest", ("MODELTRAIL_IMAGE_DIGEST",), "image_digest"),
    ("environment.name", "text", ("MODELTRAIL_ENVIRONMENT_NAME",), "environment"),
    ("code.repoUrl", "url", ("MODELTRAIL_CODE_REPO_URL",), "repo_url"),
    ("code.branch", "text", ("MODELTRAIL_CODE_BRANCH",), "git_branch"),
    ("code.dirty", "bool", ("MODELTRAIL_CODE_DIRTY",), "git_dirty"),
    ("ci.provider", "text", ("MODELTRAIL_CI_PROVIDER",), "ci_provider"),
    ("ci.runId", "text", ("MODELTRAIL_CI_RUN_ID",), "ci_run_id"),
    ("ci.runAttempt", "text", ("MODELTRAIL_CI_RUN_ATTEMPT",), "ci_run_attempt"),
    ("ci.runUrl", "url", ("MODELTRAIL_CI_RUN_URL",), "ci_run_url"),
    ("ci.workflow", "text", ("MODELTRAIL_CI_WORKFLOW",), "ci_workflow"),
    ("job.platform", "platform", ("MODELTRAIL_JOB_PLATFORM",), "job_platform"),
    ("job.taskRunId", "text", ("MODELTRAIL_JOB_TASK_RUN_ID",), "task_run_id"),
    ("job.taskKey", "text", ("MODELTRAIL_JOB_TASK_KEY",), "task_key"),
    ("job.workspaceUrl", "url", ("MODELTRAIL_JOB_WORKSPACE_URL",), "workspace_url"),
    ("model.uri", "url", ("MODELTRAIL_MODEL_URI",), "model_uri"),
    ("image.ref", "text", ("MODELTRAIL_IMAGE_REF",), "image_ref"),
    ("deployment.platform", "text", ("MODELTRAIL_DEPLOYMENT_PLATFORM",), "deployment_platform"),
    ("deployment.cluster", "text", ("MODELTRAIL_DEPLOYMENT_CLUSTER",), "deployment_cluster"),
    ("deployment.namespace", "text", ("MODELTRAIL_DEPLOYMENT_NAMESPACE",), "deployment_namespace"),
    ("deployment.name", "text", ("MODELTRAIL_DEPLOYMENT_NAME",), "deployment_name"),
    ("deployment.revision", "text", ("MODELTRAIL_DEPLOYMENT_REVISION",), "deployment_revision"),
)
RUN_ID_VAR = "RUN_ID"
RUNTIME_VAR = "MODELTRAIL_ENVIRONMENT_RUNTIME"
DATA_VAR = "MODELTRAIL_DATA"
EXTRA_VAR = "MODELTRAIL_EXTRA"
SCHEMA_VERSION_VAR = "MODELTRAIL_SCHEMA_VERSION"
RUN_ID_LOG_FIELD = "run_id"
RUNTIME_PREFIX = "runtime_"
EXTRA_PREFIX = "extra_"

#: What a serving process cannot start without: label and the variables that would provide it.
REQUIRED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("code.gitSha", ("GIT_SHA", "MODELTRAIL_CODE_GIT_SHA")),
    ("the run id", (RUN_ID_VAR, "MODELTRAIL_JOB_RUN_ID", "MODELTRAIL_MODEL_MLFLOW_RUN_ID")),
)

_JOB_PLATFORMS = ("databricks", "local")
# JavaScript's String.prototype.trim removes exactly these (WhiteSpace and LineTerminator).
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# \p{Cc} (C0, DEL, C1) and \p{Cs} (surrogates, which a Python str can hold unpaired).
_NOT_PRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_GIT_SHA = re.compile("[0-9a-f]{40}")
_IMAGE_DIGEST = re.compile("sha256:[0-9a-f]{64}")
_MAP_KEY = re.compile("[a-z][a-z0-9_.-]{0,62}")
_DECIMAL_ID = re.compile("[0-9]{1,19}")
_MLFLOW_RUN_ID = re.compile("[0-9a-f]{32}")
_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://)([^/?#]*)@", re.IGNORECASE)
_HTTP_SCHEMES = re.compile(r"(https?|wss?)://", re.IGNORECASE)


class TraceEnvError(Exception):
    """The environment's trace is invalid or incomplete: `issues` lists (variable, problem)."""

    def __init__(self, message: str, issues: list[tuple[str, str]], missing: bool = False):
        self.issues = issues
        self.missing = missing
        lines = [message] + [f"  {path}: {problem}" for path, problem in issues]
        super().__init__("\n".join(lines))


@dataclass
class _Decoded:
    scalars: dict[str, object] = field(default_factory=dict)
    runtime: dict[str, str] | None = None
    extra: dict[str, str] | None = None
    data: list[dict[str, str]] | None = None


def js_trim(value: str) -> str:
    """Trims as JavaScript does (not as `str.strip`, which removes another set of characters)."""
    return value.strip(_JS_WHITESPACE)


def _text(value: object) -> tuple[str | None, str | None]:
    """core's `text`: a trimmed, non-empty string of at most 1024 characters, no control characters."""
    if not isinstance(value, str):
        return None, "must be a string"
    trimmed = js_trim(value)
    if trimmed == "":
        return None, "must not be empty"
    if len(trimmed) > MAX_TRACE_VALUE_LENGTH:
        return None, f"must be at most {MAX_TRACE_VALUE_LENGTH} characters"
    if _NOT_PRINTABLE.search(trimmed):
        return None, "must not contain control characters (newline, tab, NUL, ...) or unpaired surrogates"
    return trimmed, None


def strip_url_credentials(url: str) -> str:
    """core's `stripUrlCredentials`: HTTP(S) URLs lose their user info, other schemes their password."""
    match = _USERINFO.match(url)
    if not match:
        return url
    scheme, userinfo = match.group(1), match.group(2)
    rest = url[match.end() :]
    user = userinfo.split(":", 1)[0]
    if _HTTP_SCHEMES.match(scheme):
        return scheme + rest
    return f"{scheme}{user}@{rest}" if user else scheme + rest


def _validate(kind: str, value: object) -> tuple[object, str | None]:
    if kind == "bool":
        return value, None
    if kind == "platform":
        if value in _JOB_PLATFORMS:
            return value, None
        return None, 'must be one of "databricks", "local"'
    if kind == "git_sha":
        sha = js_trim(str(value)).lower()
        if _GIT_SHA.fullmatch(sha):
            return sha, None
        return None, "must be a full 40-character hexadecimal git commit SHA"
    if kind == "digest":
        digest = js_trim(str(value))
        if _IMAGE_DIGEST.fullmatch(digest):
            return digest, None
        return None, 'must be "sha256:" followed by 64 lowercase hexadecimal characters'
    text, problem = _text(value)
    if problem is not None:
        return None, problem
    return (strip_url_credentials(text) if kind == "url" else text), None


def classify_run_id(run_id: str) -> str | None:
    """core's `classifyRunId`: `job-run` (decimal), `mlflow-run` (32 lowercase hex) or None."""
    value = js_trim(run_id)
    if _DECIMAL_ID.fullmatch(value):
        return "job-run"
    if _MLFLOW_RUN_ID.fullmatch(value):
        return "mlflow-run"
    return None


def _present(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None or js_trim(raw) == "":
        return None
    return raw


def _parse_json(raw: str, source: str, issues: list[tuple[str, str]]) -> tuple[bool, object]:
    try:
        return True, json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        issues.append((source, "is not valid JSON"))
        return False, None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _string_map(name: str, value: object, source: str, issues: list[tuple[str, str]]) -> dict[str, str] | None:
    if not isinstance(value, dict):
        issues.append((source, f"{name} must be a JSON object of strings"))
        return None
    out: dict[str, str] = {}
    ok = True
    for key, entry in value.items():
        if not _MAP_KEY.fullmatch(key):
            issues.append((source, f"{name}: key {key!r} must match /^[a-z][a-z0-9_.-]{{0,62}}$/"))
            ok = False
            continue
        text, problem = _text(entry)
        if problem is not None:
            issues.append((source, f"{name}.{key}: {problem}"))
            ok = False
            continue
        out[key] = text  # type: ignore[assignment]
    if len(value) > MAX_TRACE_ENTRIES:
        issues.append((source, f"{name}: at most {MAX_TRACE_ENTRIES} entries"))
        ok = False
    return out if ok else None


def _data_list(value: object, source: str, issues: list[tuple[str, str]]) -> list[dict[str, str]] | None:
    if not isinstance(value, list):
        issues.append((source, "data must be a JSON array of data sets"))
        return None
    out: list[dict[str, str]] = []
    ok = True
    kinds = {"name": "text", "uri": "url", "version": "text", "digest": "text"}
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            issues.append((source, f"data[{i}]: must be an object"))
            ok = False
            continue
        item: dict[str, str] = {}
        if "name" not in entry:
            issues.append((source, f"data[{i}].name: is required"))
            ok = False
        for key, raw in entry.items():
            kind = kinds.get(key)
            if kind is None:
                issues.append((source, f"data[{i}]: unknown key {key!r}"))
                ok = False
                continue
            checked, problem = _validate(kind, raw)
            if problem is not None:
                issues.append((source, f"data[{i}].{key}: {problem}"))
                ok = False
            else:
                item[key] = checked  # type: ignore[assignment]
        out.append(item)
    if len(value) > MAX_TRACE_ENTRIES:
        issues.append((source, f"data: at most {MAX_TRACE_ENTRIES} data sets"))
        ok = False
    if ok:
        seen: set[str] = set()
        for i, item in enumerate(out):
            if item["name"] in seen:
                issues.append((source, f'data[{i}].name: duplicate data set name "{item["name"]}"'))
                ok = False
            seen.add(item["name"])
    return out if ok else None


def _decode(env: Mapping[str, str]) -> tuple[_Decoded, list[tuple[str, str]]]:
    issues: list[tuple[str, str]] = []
    decoded = _Decoded()
    kinds = {f: kind for f, kind, _, _ in FIELDS}
    first_source: dict[str, tuple[str, str]] = {}
    raw_values: dict[str, str] = {}

    version = _present(env, SCHEMA_VERSION_VAR)
    if version is not None:
        v = js_trim(version)
        if re.fullmatch("[0-9]+", v) and int(v) > TRACE_SCHEMA_VERSION:
            raise TraceEnvError(
                f"The trace context read from {SCHEMA_VERSION_VAR} has schema version {v}, newer than this"
                f" app reads ({TRACE_SCHEMA_VERSION}): upgrade modeltrail_serving",
                [(SCHEMA_VERSION_VAR, f"schema version {v} is newer than {TRACE_SCHEMA_VERSION}")],
            )
        if v != str(TRACE_SCHEMA_VERSION):
            issues.append((SCHEMA_VERSION_VAR, f"schema version must be {TRACE_SCHEMA_VERSION}"))

    def scalar(name: str, raw: str | None, source: str) -> None:
        if raw is None or js_trim(raw) == "":
            return
        norm = js_trim(raw).lower() if name == "code.gitSha" else js_trim(raw)
        previous = first_source.get(name)
        if previous is not None:
            if previous[0] != norm:
                issues.append((f"{previous[1]}, {source}", f"both carry {name} but disagree; make them equal or remove one"))
            return
        first_source[name] = (norm, source)
        if kinds[name] == "bool":
            if norm not in ("true", "false"):
                issues.append((source, f'{name} must be "true" or "false"'))
                return
            raw_values[name] = norm
            return
        raw_values[name] = raw

    for name, _kind, env_names, _log in FIELDS:
        for env_name in env_names:
            scalar(name, env.get(env_name), env_name)

    run_id_raw = env.get(RUN_ID_VAR)
    if run_id_raw is not None and js_trim(run_id_raw) != "":
        value = js_trim(run_id_raw)

        def first(names: tuple[str, ...]) -> str | None:
            for n in names:
                if env.get(n) is not None and js_trim(env[n]) != "":
                    return js_trim(env[n])
            return None

        named_job = first(("MODELTRAIL_JOB_RUN_ID",))
        named_mlflow = first(("MODELTRAIL_MODEL_MLFLOW_RUN_ID",))
        if named_job is not None:
            if value != named_job and value == named_mlflow:
                issues.append(
                    (
                        RUN_ID_VAR,
                        "holds the MLflow run id, but there is a job run id: the run id is the job run id"
                        " (job.runId); the MLflow run id stands in only when there is no job run",
                    )
                )
            else:
                scalar("job.runId", run_id_raw, RUN_ID_VAR)
        elif named_mlflow is not None and value == named_mlflow:
            scalar("model.mlflowRunId", run_id_raw, RUN_ID_VAR)
        else:
            kind = "model.mlflowRunId" if classify_run_id(value) == "mlflow-run" else "job.runId"
            scalar(kind, run_id_raw, RUN_ID_VAR)

    for name, raw in raw_values.items():
        if kinds[name] == "bool":
            decoded.scalars[name] = raw == "true"
            continue
        source = first_source[name][1]
        checked, problem = _validate(kinds[name], raw)
        if problem is not None:
            issues.append((source, f"{name}: {problem}"))
        else:
            decoded.scalars[name] = checked

    for var, attr in ((RUNTIME_VAR, "runtime"), (EXTRA_VAR, "extra")):
        raw = _present(env, var)
        if raw is None:
            continue
        ok, value = _parse_json(raw, var, issues)
        if ok:
            label = "environment.runtime" if attr == "runtime" else "extra"
            setattr(decoded, attr, _string_map(label, value, var, issues))
    raw = _present(env, DATA_VAR)
    if raw is not None:
        ok, value = _parse_json(raw, DATA_VAR, issues)
        if ok:
            decoded.data = _data_list(value, DATA_VAR, issues)
    return decoded, issues


def read_trace_env(env: Mapping[str, str] | None = None, require: bool = True) -> dict[str, LogValue]:
    """Reads the trace from `env` (default: the process environment, decoded as Node decodes it) and
    returns its log fields, as `toLogFields(fromEnv(env))` gives them.

    With `require` (default), `GIT_SHA` (or `MODELTRAIL_CODE_GIT_SHA`) and the run id (`RUN_ID`,
    `MODELTRAIL_JOB_RUN_ID` or `MODELTRAIL_MODEL_MLFLOW_RUN_ID`) must be set, as
    `fromEnv(env, { require: ["code.gitSha", "runId"] })` requires them.

    Raises TraceEnvError naming each bad or missing variable.
    """
    if env is None:
        env = process_env()
    missing = []
    if require:
        for label, names in REQUIRED:
            if not any(js_trim(env.get(n) or "") != "" for n in names):
                missing.append((" or ".join(names), f"{label} is required but not set"))
    decoded, issues = _decode(env)
    if issues:
        raise TraceEnvError("Invalid TraceContext in environment variables", issues + missing)
    if missing:
        raise TraceEnvError(
            f"The environment lacks {len(missing)} required trace value(s); set them in the process"
            " environment (the Deployment's env that modeltrail's toEnv(ctx) writes)",
            missing,
            missing=True,
        )
    return log_fields(decoded)


def log_fields(decoded: _Decoded) -> dict[str, LogValue]:
    out: dict[str, LogValue] = {}
    for name, _kind, _env, log_name in FIELDS:
        if log_name is not None and name in decoded.scalars:
            out[log_name] = decoded.scalars[name]  # type: ignore[assignment]
    run_id = decoded.scalars.get("job.runId", decoded.scalars.get("model.mlflowRunId"))
    if run_id is not None:
        out[RUN_ID_LOG_FIELD] = run_id  # type: ignore[assignment]
    for prefix, mapping in ((RUNTIME_PREFIX, decoded.runtime), (EXTRA_PREFIX, decoded.extra)):
        for key in sorted(mapping or {}):
            name = prefix + key.replace(".", "_").replace("-", "_")
            if name not in out:
                out[name] = mapping[key]  # type: ignore[index]
    return out


def process_env() -> dict[str, str]:
    """The process environment decoded as Node decodes it (UTF-8, invalid bytes as U+FFFD), so
    that a value is read the same by this app and by modeltrail's TypeScript side."""
    environb = getattr(os, "environb", None)
    if environb is None:  # pragma: no cover - Windows
        return dict(os.environ)
    return {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in environb.items()}


def _main() -> int:
    """`python -m modeltrail_serving.trace_env`: prints the log fields of this environment as JSON;
    with `--batch`, reads one JSON object `{"env": {...}, "require": bool}` a line from stdin and
    writes one JSON result a line (`{"fields": ...}` or `{"error": ..., "issues": [...]}`)."""
    import sys

    if "--batch" in sys.argv[1:]:
        for line in iter(sys.stdin.readline, ""):
            if not line.strip():
                continue
            request = json.loads(line)
            try:
                fields = read_trace_env(request["env"], require=request.get("require", True))
                result: dict[str, object] = {"fields": fields}
            except TraceEnvError as err:
                result = {"error": str(err), "issues": err.issues, "missing": err.missing}
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
        return 0
    try:
        print(json.dumps(read_trace_env(), indent=2, sort_keys=True))
        return 0
    except TraceEnvError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(_main())
