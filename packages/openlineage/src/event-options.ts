import type { RunEventType } from "./run-event.js";

/** What went wrong in a failed run, for the `errorMessage` facet of a FAIL event. */
export interface RunFailure {
  message: string;
  /** Default `python` for training runs, `javascript` otherwise. */
  programmingLanguage?: string | undefined;
  stackTrace?: string | undefined;
}

/** Options every event builder takes. */
export interface RunEventOptions {
  /** START, COMPLETE, FAIL (or another transition of the spec). */
  eventType: RunEventType;
  /** When the transition happened (default: now). A Date, epoch ms, or an ISO 8601 string with a zone. */
  eventTime?: Date | number | string | undefined;
  /** The `producer` URI of the event and `_producer` of its facets (default `DEFAULT_PRODUCER`). */
  producer?: string | undefined;
  /** The job's namespace (default depends on the kind of run; see each builder). */
  jobNamespace?: string | undefined;
  /** The job's name (default depends on the kind of run; see each builder). */
  jobName?: string | undefined;
  /** For FAIL: why (an Error or a message). Redacted of registered secrets before it is written. */
  failure?: RunFailure | Error | string | undefined;
  /** The `processing_engine` facet (default: derived from the context where it can be). */
  processingEngine?: { name: string; version: string } | undefined;
  /** Namespace for data sets known only by a name (no URI); default `modeltrail`. */
  datasetNamespace?: string | undefined;
  /** Namespace of MLflow model datasets (default `mlflow`; e.g. `mlflow://mlflow.example.com`). */
  mlflowNamespace?: string | undefined;
}
