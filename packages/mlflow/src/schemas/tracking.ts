import { z } from "zod";
import { double, int64, keyValueList, nextPageToken } from "./common.js";

/** An MLflow experiment, as the REST API returns it. */
export const experimentSchema = z.looseObject({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
  last_update_time: int64.optional(),
  creation_time: int64.optional(),
  tags: keyValueList,
});
/** An MLflow experiment. */
export type Experiment = z.infer<typeof experimentSchema>;

/** Run metadata. `status` is RUNNING, SCHEDULED, FINISHED, FAILED, KILLED (or a future value). */
export const runInfoSchema = z.looseObject({
  run_id: z.string(),
  run_uuid: z.string().optional(),
  run_name: z.string().optional(),
  experiment_id: z.string(),
  user_id: z.string().optional(),
  status: z.string().optional(),
  start_time: int64.optional(),
  end_time: int64.optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});
/** Run metadata. */
export type RunInfo = z.infer<typeof runInfoSchema>;

/** One metric value. */
export const metricSchema = z.looseObject({
  key: z.string(),
  value: double,
  timestamp: int64.default(0),
  step: int64.default(0),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
  model_id: z.string().optional(),
  run_id: z.string().optional(),
});
/** One metric value. */
export type Metric = z.infer<typeof metricSchema>;

/** A dataset as recorded on a run input. */
export const datasetSchema = z.looseObject({
  name: z.string(),
  digest: z.string(),
  source_type: z.string().optional(),
  source: z.string().optional(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});
/** A dataset as recorded on a run input. */
export type Dataset = z.infer<typeof datasetSchema>;

/** A dataset used by a run, with its input tags (`mlflow.data.context`, ...). */
export const datasetInputSchema = z.looseObject({ tags: keyValueList, dataset: datasetSchema });
/** A dataset used by a run. */
export type DatasetInput = z.infer<typeof datasetInputSchema>;

/** An MLflow run: info, data (metrics, params, tags) and inputs. */
export const runSchema = z.looseObject({
  info: runInfoSchema,
  data: z
    .looseObject({
      metrics: z.array(metricSchema).default([]),
      params: keyValueList,
      tags: keyValueList,
    })
    .default({ metrics: [], params: [], tags: [] }),
  inputs: z
    .looseObject({ dataset_inputs: z.array(datasetInputSchema).default([]) })
    .default({ dataset_inputs: [] }),
});
/** An MLflow run. */
export type Run = z.infer<typeof runSchema>;

/** Response of experiments/get and get-by-name. */
export const getExperimentResponse = z.looseObject({ experiment: experimentSchema });
/** Response of experiments/create. */
export const createExperimentResponse = z.looseObject({ experiment_id: z.string() });
/** Response of experiments/search. */
export const searchExperimentsResponse = z.looseObject({
  experiments: z.array(experimentSchema).default([]),
  next_page_token: nextPageToken,
});
/** Response of runs/create and runs/get. */
export const runResponse = z.looseObject({ run: runSchema });
/** Response of runs/update. */
export const updateRunResponse = z.looseObject({ run_info: runInfoSchema.optional() });
/** Response of runs/search. */
export const searchRunsResponse = z.looseObject({
  runs: z.array(runSchema).default([]),
  next_page_token: nextPageToken,
});
/** Response of metrics/get-history. */
export const metricHistoryResponse = z.looseObject({
  metrics: z.array(metricSchema).default([]),
  next_page_token: nextPageToken,
});
/** Any response whose body we ignore. */
export const emptyResponse = z.unknown();
