/**
 * The OpenLineage RunEvent as modeltrail emits it: plain JSON-ready objects following the spec's
 * `OpenLineage.json` (2-0-2). Facets are open maps: every facet carries `_producer` and `_schemaURL`.
 * @module
 */

/** The run state transitions of the spec. modeltrail emits START, COMPLETE and FAIL. */
export const RUN_EVENT_TYPES = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] as const;

/** A run state transition. */
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** Fields every facet has. */
export interface BaseFacet {
  _producer: string;
  _schemaURL: string;
  [key: string]: unknown;
}

/** A named set of facets (`{ sourceCodeLocation: {...}, jobType: {...} }`). */
export type Facets = Record<string, BaseFacet>;

/** A dataset read or written by a run. */
export interface Dataset {
  namespace: string;
  name: string;
  facets?: Facets;
}

/** An input dataset. */
export interface InputDataset extends Dataset {
  inputFacets?: Facets;
}

/** An output dataset. */
export interface OutputDataset extends Dataset {
  outputFacets?: Facets;
}

/** The job of a run. */
export interface Job {
  namespace: string;
  name: string;
  facets?: Facets;
}

/** The run: a UUID, and its facets. */
export interface Run {
  runId: string;
  facets?: Facets;
}

/** An OpenLineage RunEvent. */
export interface RunEvent {
  eventType: RunEventType;
  /** ISO 8601 with a time zone. */
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: Run;
  job: Job;
  inputs: InputDataset[];
  outputs: OutputDataset[];
}
