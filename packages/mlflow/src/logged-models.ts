import { BadRequestError, NotFoundError } from "@modeltrail/core";
import { type HttpClient, paginate, startCall } from "@modeltrail/core/internal";
import { z } from "zod";
import { type CallOptions, filterLiteral, MLFLOW_API } from "./api-path.js";
import { int64 } from "./schemas/common.js";

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

/** What the logged-model lookups need of a run (a `runs/get` answer has it). */
export interface RunRef {
  info: { run_id: string; experiment_id: string };
}

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
  run: RunRef,
  name: string,
  options: CallOptions = {},
): Promise<LoggedModelInfo | undefined> {
  const call = startCall(options);
  const runId = run.info.run_id;
  let newest: LoggedModelInfo | undefined;
  for await (const model of paginate(
    async (pageToken) => {
      const res = await http.post(
        `${MLFLOW_API}/logged-models/search`,
        {
          json: {
            experiment_ids: [run.info.experiment_id],
            filter: `name = ${filterLiteral(name)}`,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
          retrySafe: true,
          schema: loggedModelsPage,
        },
        call,
      );
      return { items: res.models, nextPageToken: res.next_page_token || undefined };
    },
    { maxPages: MAX_PAGES, signal: options.signal },
  )) {
    if (model.info.source_run_id !== runId) continue;
    if (!newest || (model.info.creation_timestamp_ms ?? 0) > (newest.creation_timestamp_ms ?? 0))
      newest = model.info;
  }
  return newest;
}

/** Where `runs:/<run>/<path>` lives when it is a file of an MLflow 3 logged model of the run. */
export interface LoggedModelPath {
  /** The logged model named by the path's first segment. */
  model: LoggedModelInfo;
  /** The rest of the path, relative to the model's artifact_uri ("" for the model root). */
  rest: string;
}

/**
 * The MLflow 3 fallback of `runs:/<run>/<path>`, for a path the run's own artifacts do not hold
 * (callers check that first): the logged model of the run called like the path's first segment,
 * and the rest of the path inside it, as MLflow's runs:/ artifact repository reads it. Returns
 * undefined for an empty path, when the run logged no such model, and on servers before MLflow 3
 * (no logged-models API: NotFoundError or BadRequestError). Throws other ApiErrors, NetworkError,
 * AbortError.
 */
export async function loggedModelOfRunPath(
  http: HttpClient,
  run: RunRef,
  path: string,
  options: CallOptions = {},
): Promise<LoggedModelPath | undefined> {
  const [name = "", ...rest] = path.split("/").filter((s) => s !== "");
  if (name === "") return undefined;
  const model = await findLoggedModelOfRun(http, run, name, options).catch((err: unknown) => {
    if (err instanceof NotFoundError || err instanceof BadRequestError) return undefined;
    throw err;
  });
  return model ? { model, rest: rest.join("/") } : undefined;
}
