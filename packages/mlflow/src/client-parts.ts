import type { HttpClient } from "@modeltrail/core/internal";
import type { MlflowArtifacts } from "./artifacts/artifacts-client.js";
import type { ResolvedMlflowConnection } from "./config.js";
import type { Experiments } from "./experiments.js";
import type { RegisteredModels } from "./model-registry.js";
import type { ModelVersions } from "./model-versions.js";
import type { Runs } from "./runs.js";

/**
 * The parts of an `MlflowClient` that the functions built on it (traceable registration, look-ups,
 * Unity Catalog flows) use. An `MlflowClient` is one; each function takes a `Pick` of only what it
 * needs, so that it can be called with a test double and, above all, does not import client.ts,
 * whose methods delegate to it.
 */
export interface MlflowClientParts {
  /** The HTTP transport of the tracking server. */
  readonly http: HttpClient;
  /** The resolved connection (base URL, kind). */
  readonly connection: ResolvedMlflowConnection;
  readonly experiments: Experiments;
  readonly runs: Runs;
  readonly registeredModels: RegisteredModels;
  readonly modelVersions: ModelVersions;
  readonly artifacts: MlflowArtifacts;
  /** Delay before re-creating a model version after a lost response. */
  readonly registerRetryDelayMs: number;
  /** A link to a run in the tracking UI. */
  runLink(experimentId: string, runId: string): string;
}
