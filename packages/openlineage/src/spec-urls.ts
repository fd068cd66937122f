import { VERSION } from "./version.js";

/**
 * The OpenLineage spec version the events follow: every event's `schemaURL` points into it. The
 * facet schema URLs below are the versions OpenLineage's own clients (openlineage-python 1.54.0)
 * stamp on the same facets.
 */
export const OPENLINEAGE_SPEC_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json";

/** `schemaURL` of a RunEvent. */
export const RUN_EVENT_SCHEMA_URL = `${OPENLINEAGE_SPEC_URL}#/$defs/RunEvent`;

/** `_schemaURL` of each standard facet modeltrail emits, keyed by the facet's key in the event. */
export const STANDARD_FACET_SCHEMA_URLS = {
  sourceCodeLocation:
    "https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet",
  jobType: "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
  parent: "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
  processing_engine:
    "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
  errorMessage:
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
  version:
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
  dataSource:
    "https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
} as const;

/** Where modeltrail's own facet schemas live (their `$id`s; the schemas are exported as `MODELTRAIL_FACET_SCHEMAS`). */
export const MODELTRAIL_FACET_SCHEMA_BASE = "https://modeltrail.dev/spec/openlineage/facets/1-0-0";

/** `_schemaURL` of modeltrail's custom facets, keyed by the facet's key in the event. */
export const MODELTRAIL_FACET_SCHEMA_URLS = {
  modeltrail_trace: `${MODELTRAIL_FACET_SCHEMA_BASE}/ModeltrailTraceRunFacet.json#/$defs/ModeltrailTraceRunFacet`,
  modeltrail_digest: `${MODELTRAIL_FACET_SCHEMA_BASE}/ModeltrailDigestDatasetFacet.json#/$defs/ModeltrailDigestDatasetFacet`,
} as const;

/**
 * The default `producer` of events and `_producer` of facets: a URI naming this package and its
 * version, as the spec asks ("a git url with a given tag or sha").
 */
export const DEFAULT_PRODUCER = `https://github.com/modeltrail/modeltrail/tree/v${VERSION}/packages/openlineage`;
