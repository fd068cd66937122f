import { z } from "zod";
import { int64, keyValueList, nextPageToken } from "../schemas/common.js";
import type { ModelVersion, RegisteredModel } from "../schemas/registry.js";

const STATUS = ["UNSPECIFIED", "PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"];
const status = z
  .union([z.string(), z.number()])
  .optional()
  .transform((s) => (typeof s === "number" ? STATUS[s] : s));
const aliasList = z.array(z.looseObject({ alias: z.string(), version: z.string().optional() })).default([]);

/** A Unity Catalog model version (databricks_uc_registry_messages.proto), in the client's ModelVersion shape plus `storage_location`. */
export const ucModelVersionSchema = z
  .looseObject({
    name: z.string(),
    version: z.union([z.string(), z.number()]).transform(String),
    creation_timestamp: int64.optional(),
    last_updated_timestamp: int64.optional(),
    user_id: z.string().optional(),
    description: z.string().optional(),
    source: z.string().optional(),
    run_id: z.string().optional(),
    status,
    status_message: z.string().optional(),
    storage_location: z.string().optional(),
    tags: keyValueList,
    aliases: aliasList,
    model_id: z.string().optional(),
  })
  .transform((mv) => ({ ...mv, aliases: mv.aliases.map((a) => a.alias) }));

/** A Unity Catalog model version: a ModelVersion with the storage location UC assigned. */
export type UcModelVersion = ModelVersion & { storage_location?: string | undefined };

/** A Unity Catalog registered model in the client's RegisteredModel shape. */
export const ucRegisteredModelSchema = z
  .looseObject({
    name: z.string(),
    creation_timestamp: int64.optional(),
    last_updated_timestamp: int64.optional(),
    user_id: z.string().optional(),
    description: z.string().optional(),
    tags: keyValueList,
    aliases: aliasList,
  })
  .transform(
    (rm): RegisteredModel => ({
      ...rm,
      latest_versions: [],
      aliases: rm.aliases.map((a) => ({ alias: a.alias, version: a.version ?? "" })),
    }),
  );

export const ucModelVersionResponse = z.looseObject({ model_version: ucModelVersionSchema });
export const ucRegisteredModelResponse = z.looseObject({ registered_model: ucRegisteredModelSchema });
export const ucSearchModelVersionsResponse = z.looseObject({
  model_versions: z.array(ucModelVersionSchema).default([]),
  next_page_token: nextPageToken,
});
export const ucSearchRegisteredModelsResponse = z.looseObject({
  registered_models: z.array(ucRegisteredModelSchema).default([]),
  next_page_token: nextPageToken,
});

/** `TemporaryCredentials` of databricks_uc_registry_messages.proto. */
export const ucTemporaryCredentialsSchema = z.looseObject({
  aws_temp_credentials: z
    .looseObject({
      access_key_id: z.string(),
      secret_access_key: z.string(),
      session_token: z.string().optional(),
    })
    .optional(),
  azure_user_delegation_sas: z.looseObject({ sas_token: z.string() }).optional(),
  gcp_oauth_token: z.looseObject({ oauth_token: z.string() }).optional(),
  r2_temp_credentials: z.looseObject({}).optional(),
  expiration_time: int64.optional(),
  storage_mode: z.union([z.string(), z.number()]).optional(),
  encryption_details: z
    .looseObject({
      sse_encryption_details: z
        .looseObject({
          algorithm: z.union([z.string(), z.number()]).optional(),
          aws_kms_key_arn: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});

/** Temporary credentials of a model version's storage location. */
export type UcTemporaryCredentials = z.infer<typeof ucTemporaryCredentialsSchema>;

export const ucTemporaryCredentialsResponse = z.looseObject({ credentials: ucTemporaryCredentialsSchema });

export { nextPageToken };
