import { z } from "zod";
import { int64, keyValueList, nextPageToken } from "./common.js";

/** A model version. `status` is PENDING_REGISTRATION, FAILED_REGISTRATION, READY (or a future value). */
export const modelVersionSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  user_id: z.string().optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  tags: keyValueList,
  run_link: z.string().optional(),
  aliases: z.array(z.string()).default([]),
  model_id: z.string().optional(),
});
/** A model version. */
export type ModelVersion = z.infer<typeof modelVersionSchema>;

/** An alias pointing at a version. */
export const aliasSchema = z.looseObject({ alias: z.string(), version: z.string() });

/** A registered model. */
export const registeredModelSchema = z.looseObject({
  name: z.string(),
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  user_id: z.string().optional(),
  description: z.string().optional(),
  latest_versions: z.array(modelVersionSchema).default([]),
  tags: keyValueList,
  aliases: z.array(aliasSchema).default([]),
});
/** A registered model. */
export type RegisteredModel = z.infer<typeof registeredModelSchema>;

/** Response of registered-models/create, get and update. */
export const registeredModelResponse = z.looseObject({ registered_model: registeredModelSchema });
/** Response of registered-models/search. */
export const searchRegisteredModelsResponse = z.looseObject({
  registered_models: z.array(registeredModelSchema).default([]),
  next_page_token: nextPageToken,
});
/** Response of model-versions/create, get, update and registered-models/alias (GET). */
export const modelVersionResponse = z.looseObject({ model_version: modelVersionSchema });
/** Response of model-versions/search. */
export const searchModelVersionsResponse = z.looseObject({
  model_versions: z.array(modelVersionSchema).default([]),
  next_page_token: nextPageToken,
});
/** Response of registered-models/get-latest-versions. */
export const latestVersionsResponse = z.looseObject({
  model_versions: z.array(modelVersionSchema).default([]),
});
/** Response of model-versions/get-download-uri. */
export const downloadUriResponse = z.looseObject({ artifact_uri: z.string() });
