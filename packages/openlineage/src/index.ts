export { MODELTRAIL_FACET_SCHEMAS } from "./custom-facet-schemas.js";
export { type DatasetName, datasetNameOfImage, datasetNameOfUri } from "./dataset-names.js";
export { deploymentRunEvent } from "./deployment-run-event.js";
export type { RunEventOptions, RunFailure } from "./event-options.js";
export type { ModeltrailTraceFields } from "./facets.js";
export { OpenLineageFileTransport } from "./file-transport.js";
export { OpenLineageHttpTransport, type OpenLineageHttpTransportOptions } from "./http-transport.js";
export { imageBuildRunEvent } from "./image-build-run-event.js";
export {
  type BaseFacet,
  type Dataset,
  type Facets,
  type InputDataset,
  type Job,
  type OutputDataset,
  RUN_EVENT_TYPES,
  type Run,
  type RunEvent,
  type RunEventType,
} from "./run-event.js";
export { MODELTRAIL_UUID_NAMESPACE, openLineageRunId } from "./run-uuid.js";
export {
  DEFAULT_PRODUCER,
  MODELTRAIL_FACET_SCHEMA_BASE,
  MODELTRAIL_FACET_SCHEMA_URLS,
  OPENLINEAGE_SPEC_URL,
  RUN_EVENT_SCHEMA_URL,
  STANDARD_FACET_SCHEMA_URLS,
} from "./spec-urls.js";
export { trainingRunEvent } from "./training-run-event.js";
export { VERSION } from "./version.js";
