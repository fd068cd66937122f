/**
 * Codecs move a TraceContext across boundaries. Names come from a `TraceConventions` object
 * (`DEFAULT_CONVENTIONS` unless `options.conventions` is given). Decoders read only the names the
 * conventions define and ignore everything else; they treat empty values as absent, require
 * several names for one field to agree, and throw one `ValidationError` listing every bad key
 * (never a half-filled context); a schema version newer than this release is an error that says
 * to upgrade modeltrail.
 *
 * | boundary | encode / decode | rules | what is lost |
 * |---|---|---|---|
 * | process env | `toEnv` / `fromEnv` | seeds `GIT_SHA`, `RUN_ID` (the run id: the Databricks job run id, else the MLflow run id; read back by the namespaced names, else by shape), `JOB_ID` (Databricks job id) + `MODELTRAIL_<SECTION>_<FIELD>` for every field (never `MLFLOW_RUN_ID`); runtime, data, extra as JSON in `MODELTRAIL_ENVIRONMENT_RUNTIME`, `MODELTRAIL_DATA`, `MODELTRAIL_EXTRA`; `MODELTRAIL_SCHEMA_VERSION` | nothing |
 * | MLflow tags | `toMlflowTags` / `fromMlflowTags` | `GIT_SHA`, `DBR_RUN_ID`, `DBR_JOB_ID`, `mlflow.source.git.commit/.repoURL/.branch` + `modeltrail.<section>.<field>`, `modeltrail.environment.runtime.<key>`, `modeltrail.extra.<key>`, `modeltrail.data.<i>` (JSON per data set); every value ≤ 5000 chars | nothing |
 * | OCI / Kubernetes annotations | `toAnnotations` / `fromAnnotations` | `org.opencontainers.image.revision` (SHA), `.source` (repo URL), `.created` (option) + `modeltrail.dev/<section>.<field>`, JSON in `modeltrail.dev/environment.runtime`, `/data`, `/extra` | nothing (`created` is not part of the context) |
 * | Kubernetes labels | `toK8sLabels` | chosen fields under `modeltrail.dev/<section>.<field>`; values ≤ 63 chars of `[A-Za-z0-9._-]`, alphanumeric at both ends; an invalid value is replaced, trimmed, cut and suffixed with 8 hex of its SHA-256 | one-way; full values are in the annotations under the same keys |
 * | HTTP | `toBaggage` / `fromBaggage` (`encodeBaggage` reports drops) | W3C baggage, `modeltrail.<section>.<field>` members, UTF-8 percent-encoded; ≤ 64 members, ≤ 8192 bytes, ≤ 4096 bytes a member | when too large, the lowest-priority members (data, then extra, runtime, then the least important fields) are dropped |
 * | telemetry | `toOtelAttributes` | OTel semantic conventions (`vcs.*`, `cicd.pipeline.*`, `deployment.environment.name`, `k8s.*`, `oci.manifest.digest`, `container.image.*`) + `modeltrail.*` | one-way |
 * | serving process env | `toOtelResourceAttributes` | `OTEL_RESOURCE_ATTRIBUTES`: the string attributes of `toOtelAttributes`, percent-encoded `key=value,...` | one-way; array attributes and values over 255 characters left out |
 * | logs | `toLogFields` | flat snake_case: `git_sha`, `run_id` (as `RUN_ID`), `job_id`, `task_run_id`, `model_name`, `model_version`, `mlflow_run_id`, `image_digest`, `environment`, ..., `runtime_<key>`, `extra_<key>` | one-way; data sets left out by default |
 *
 * @module
 */
export { type AnnotationOptions, fromAnnotations, toAnnotations } from "./annotations.js";
export {
  type BaggageEncoding,
  type BaggageOptions,
  encodeBaggage,
  fromBaggage,
  toBaggage,
} from "./baggage.js";
export type { CodecOptions } from "./codec-support.js";
export { type FromEnvOptions, fromEnv, type RequiredEnvField, toEnv } from "./env.js";
export { toK8sLabels } from "./k8s-labels.js";
export { type LogFieldValue, toLogFields } from "./log-fields.js";
export { fromMlflowTags, type MlflowTagsInput, toMlflowTags } from "./mlflow-tags.js";
export { type OtelAttributeValue, toOtelAttributes } from "./otel.js";
export { OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH, toOtelResourceAttributes } from "./otel-resource.js";
