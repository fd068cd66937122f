import { ValidationError, type ValidationIssue } from "@modeltrail/core";
import { type HttpClient, startCall } from "@modeltrail/core/internal";
import { type CallOptions, MLFLOW_API } from "./api-path.js";
import { checkLength, MLFLOW_LIMITS } from "./validation.js";

/** The input tag MLflow uses for the role of a dataset (`training`, `validation`, `evaluation`...). */
export const DATASET_CONTEXT_TAG = "mlflow.data.context";

/** A dataset a run used. */
export interface DatasetInputSpec {
  /** Dataset name (≤ 500 characters). */
  name: string;
  /** Content digest (≤ 36 characters), e.g. a short sha256. */
  digest: string;
  /** Kind of source: `s3`, `delta_table`, `http`, `local`, `code`, ... */
  sourceType: string;
  /** The source, usually JSON such as `{"uri": "s3://bucket/train.parquet"}`. */
  source: string;
  /** Schema, usually JSON. */
  schema?: string | undefined;
  /** Profile (row count etc.), usually JSON. */
  profile?: string | undefined;
  /** Role of the dataset, written as the `mlflow.data.context` input tag. */
  context?: string | undefined;
  /** More input tags. */
  tags?: Record<string, string> | undefined;
}

/** Wire form of one dataset input. */
export interface DatasetInputWire {
  tags: Array<{ key: string; value: string }>;
  dataset: {
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema?: string;
    profile?: string;
  };
}

/** Validates dataset inputs against MLflow's length limits and converts them. Throws ValidationError. */
export function prepareDatasetInputs(datasets: ReadonlyArray<DatasetInputSpec>): DatasetInputWire[] {
  const issues: ValidationIssue[] = [];
  const out = datasets.map((d, i) => {
    const p = `datasets[${i}]`;
    for (const field of ["name", "digest", "sourceType", "source"] as const) {
      if (typeof d?.[field] !== "string" || d[field] === "")
        issues.push({ path: `${p}.${field}`, message: `${field} is required` });
    }
    checkLength(d?.name, MLFLOW_LIMITS.datasetNameLength, `${p}.name`, issues);
    checkLength(d?.digest, MLFLOW_LIMITS.datasetDigestLength, `${p}.digest`, issues);
    checkLength(d?.source, MLFLOW_LIMITS.datasetSourceLength, `${p}.source`, issues);
    checkLength(d?.schema, MLFLOW_LIMITS.datasetSchemaLength, `${p}.schema`, issues);
    checkLength(d?.profile, MLFLOW_LIMITS.datasetProfileLength, `${p}.profile`, issues);
    const tags = Object.entries({
      ...(d?.context ? { [DATASET_CONTEXT_TAG]: d.context } : {}),
      ...d?.tags,
    }).map(([key, value]) => ({ key, value: String(value) }));
    tags.forEach((t, j) => {
      checkLength(t.key, MLFLOW_LIMITS.inputTagKeyLength, `${p}.tags[${j}].key`, issues);
      checkLength(t.value, MLFLOW_LIMITS.inputTagValueLength, `${p}.tags[${j}].value`, issues);
    });
    return {
      tags,
      dataset: {
        name: d?.name,
        digest: d?.digest,
        source_type: d?.sourceType,
        source: d?.source,
        ...(d?.schema !== undefined ? { schema: d.schema } : {}),
        ...(d?.profile !== undefined ? { profile: d.profile } : {}),
      },
    };
  });
  if (issues.length > 0)
    throw new ValidationError("Invalid dataset inputs; nothing was logged", {
      issues,
      hint: "Fix the listed fields",
    });
  return out;
}

/**
 * Records the datasets a run used (log-inputs), validating first and splitting into calls of at
 * most 1000 datasets. Re-logging the same dataset is harmless, so calls are retried on transient failures.
 * Throws ValidationError before sending anything, or ApiError subclasses.
 */
export async function logInputs(
  http: HttpClient,
  runId: string,
  datasets: ReadonlyArray<DatasetInputSpec>,
  options: CallOptions = {},
): Promise<void> {
  const wire = prepareDatasetInputs(datasets);
  const call = startCall(options);
  for (let i = 0; i < wire.length; i += MLFLOW_LIMITS.datasetsPerCall) {
    await http.post(
      `${MLFLOW_API}/runs/log-inputs`,
      {
        json: { run_id: runId, datasets: wire.slice(i, i + MLFLOW_LIMITS.datasetsPerCall) },
        retrySafe: true,
      },
      call,
    );
  }
}
