import type { BaseFacet } from "./run-event.js";
import { MODELTRAIL_FACET_SCHEMA_URLS, STANDARD_FACET_SCHEMA_URLS } from "./spec-urls.js";

type FacetKey = keyof typeof STANDARD_FACET_SCHEMA_URLS | keyof typeof MODELTRAIL_FACET_SCHEMA_URLS;

const SCHEMA_URLS: Record<FacetKey, string> = {
  ...STANDARD_FACET_SCHEMA_URLS,
  ...MODELTRAIL_FACET_SCHEMA_URLS,
};

/** Drops `undefined` fields, so that no facet carries a key without a value. */
function compact(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** A facet of kind `key` with `_producer`, its `_schemaURL` and the given fields (undefined ones left out). */
export function facet(key: FacetKey, producer: string, fields: Record<string, unknown>): BaseFacet {
  return { _producer: producer, _schemaURL: SCHEMA_URLS[key], ...compact(fields) };
}

/** The native ids modeltrail knows a run by, carried in the custom run facet `modeltrail_trace`. */
export interface ModeltrailTraceFields {
  /** `training`, `image-build` or `deployment`. */
  kind: "training" | "image-build" | "deployment";
  gitSha?: string | undefined;
  repoUrl?: string | undefined;
  ciProvider?: string | undefined;
  ciRunId?: string | undefined;
  ciRunAttempt?: string | undefined;
  jobPlatform?: string | undefined;
  jobId?: string | undefined;
  /** "The run id": the Databricks job run id (DESIGN.md, "Which id is which"). */
  jobRunId?: string | undefined;
  taskRunId?: string | undefined;
  taskKey?: string | undefined;
  workspaceUrl?: string | undefined;
  mlflowRunId?: string | undefined;
  modelName?: string | undefined;
  modelVersion?: string | undefined;
  modelUri?: string | undefined;
  imageRef?: string | undefined;
  imageDigest?: string | undefined;
  environment?: string | undefined;
  deploymentPlatform?: string | undefined;
  deploymentCluster?: string | undefined;
  deploymentNamespace?: string | undefined;
  deploymentName?: string | undefined;
  deploymentRevision?: string | undefined;
}
