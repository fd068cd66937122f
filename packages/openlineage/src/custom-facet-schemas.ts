import { MODELTRAIL_FACET_SCHEMA_BASE, OPENLINEAGE_SPEC_URL } from "./spec-urls.js";

const TRACE_FIELDS = [
  "gitSha",
  "repoUrl",
  "ciProvider",
  "ciRunId",
  "ciRunAttempt",
  "jobPlatform",
  "jobId",
  "jobRunId",
  "taskRunId",
  "taskKey",
  "workspaceUrl",
  "mlflowRunId",
  "modelName",
  "modelVersion",
  "modelUri",
  "imageRef",
  "imageDigest",
  "environment",
  "deploymentPlatform",
  "deploymentCluster",
  "deploymentNamespace",
  "deploymentName",
  "deploymentRevision",
] as const;

/**
 * The JSON Schemas (draft 2020-12) of modeltrail's custom facets, in the form OpenLineage's own
 * facet schemas take (a `$defs` entry extending the spec's base facet, and the facet's key under
 * `properties`), keyed by their `$id`:
 *
 * - `modeltrail_trace` (run facet, `ModeltrailTraceRunFacet`): the native ids of the run in the
 *   systems modeltrail links (commit, CI run, Databricks job and job run, MLflow run, model version,
 *   image, deployment), so that a consumer can join an OpenLineage run to them.
 * - `modeltrail_digest` (dataset facet, `ModeltrailDigestDatasetFacet`): the content digest of a data
 *   set or an image (`algorithm` and `value`; `digest` as written, e.g. `sha256:<hex>`).
 */
export const MODELTRAIL_FACET_SCHEMAS: Readonly<Record<string, Record<string, unknown>>> = Object.freeze({
  [`${MODELTRAIL_FACET_SCHEMA_BASE}/ModeltrailTraceRunFacet.json`]: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `${MODELTRAIL_FACET_SCHEMA_BASE}/ModeltrailTraceRunFacet.json`,
    $defs: {
      ModeltrailTraceRunFacet: {
        allOf: [
          { $ref: `${OPENLINEAGE_SPEC_URL}#/$defs/RunFacet` },
          {
            type: "object",
            properties: {
              kind: {
                description: "What the run did: training, image-build or deployment",
                type: "string",
                enum: ["training", "image-build", "deployment"],
              },
              ...Object.fromEntries(
                TRACE_FIELDS.map((f) => [f, { type: "string", minLength: 1, maxLength: 1024 }]),
              ),
            },
            required: ["kind"],
            additionalProperties: false,
            patternProperties: { "^_": {} },
          },
        ],
        type: "object",
      },
    },
    type: "object",
    properties: { modeltrail_trace: { $ref: "#/$defs/ModeltrailTraceRunFacet" } },
  },
  [`${MODELTRAIL_FACET_SCHEMA_BASE}/ModeltrailDigestDatasetFacet.json`]: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `${MODELTRAIL_FACET_SCHEMA_BASE}/ModeltrailDigestDatasetFacet.json`,
    $defs: {
      ModeltrailDigestDatasetFacet: {
        allOf: [
          { $ref: `${OPENLINEAGE_SPEC_URL}#/$defs/DatasetFacet` },
          {
            type: "object",
            properties: {
              digest: {
                description:
                  "The digest as the system that computed it writes it (sha256:<hex>, or MLflow's dataset digest)",
                type: "string",
                minLength: 1,
              },
              algorithm: {
                description: "The hash algorithm, when the digest names one (sha256, sha512)",
                type: "string",
              },
              value: { description: "The digest without its algorithm prefix", type: "string", minLength: 1 },
              source: {
                description: "Where the digest was recorded (e.g. mlflow dataset input, registry manifest)",
                type: "string",
              },
            },
            required: ["digest", "value"],
          },
        ],
        type: "object",
      },
    },
    type: "object",
    properties: { modeltrail_digest: { $ref: "#/$defs/ModeltrailDigestDatasetFacet" } },
  },
});
