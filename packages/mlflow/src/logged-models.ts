import { type HttpClient, paginate } from "@modeltrail/core";
import { z } from "zod";
import { type CallOptions, filterLiteral, MLFLOW_API } from "./api-path.js";
import { int64 } from "./schemas/common.js";
import type { Run } from "./schemas/tracking.js";

const loggedModelInfo = z.looseObject({
  model_id: z.string(),
  name: z.string().optional(),
  artifact_uri: z.string(),
  source_run_id: z.string().optional(),
  creation_timestamp_ms: int64.optional(),
});

const loggedModelsPage = z.looseObject({
  models: z.array(z.looseObject({ info: loggedModelInfo })).default([]),
  next_page_token: z.string().optional(),
});

/** What `findLoggedModelOfRun` returns of an MLflow 3 logged model (unknown server fields kept). */
export type LoggedModelInfo = z.infer<typeof loggedModelInfo>;

/** The most logged-models/search pages read for one lookup. */
const MAX_PAGES = 100;

/**
 * Finds the MLflow 3 logged model that `run` logged under `name` (`mlflow.<flavor>.log_model(m,
 * name=...)`), as MLflow's `runs:/` artifact repository does: searches the run's experiment for
 * logged models with that name and keeps those whose `source_run_id` is the run (the newest wins).
 * Returns undefined when there is none. Throws ApiError subclasses / NetworkError from the server
 * (a server without the logged-models API answers NotFoundError) and AbortError.
 */
export async function findLoggedModelOfRun(
  http: HttpClient,
  run: Pick<Run, "info">,
  name: string,
  options: CallOptions = {},
): Promise<LoggedModelInfo | undefined> {
  const { signal } = options;
  const runId = run.info.run_id;
  let newest: LoggedModelInfo | undefined;
  for await (const model of paginate(
    async (pageToken) => {
      const res = await http.json({
        method: "POST",
        path: `${MLFLOW_API}/logged-models/search`,
        json: {
          experiment_ids: [run.info.experiment_id],
          filter: `name = ${filterLiteral(name)}`,
          ...(pageToken ? { page_token: pageToken } : {}),
        },
        retrySafe: true,
        signal,
        schema: loggedModelsPage,
      });
      return { items: res.models, nextPageToken: res.next_page_token || undefined };
    },
    { maxPages: MAX_PAGES, signal },
  )) {
    if (model.info.source_run_id !== runId) continue;
    if (!newest || (model.info.creation_timestamp_ms ?? 0) > (newest.creation_timestamp_ms ?? 0))
      newest = model.info;
  }
  return newest;
}
