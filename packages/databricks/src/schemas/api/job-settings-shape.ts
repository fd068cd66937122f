import { z } from "zod";

/**
 * The loose shape of job settings as the Jobs API returns them. Only the fields modeltrail reads
 * are typed; everything else is kept as is (the full, validated JobSettings schema used for
 * authoring lives in `job-settings/`).
 */
export const apiJobSettingsSchema = z.looseObject({
  name: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  tasks: z.array(z.looseObject({ task_key: z.string() })).optional(),
  job_clusters: z.array(z.looseObject({ job_cluster_key: z.string() })).optional(),
  parameters: z.array(z.looseObject({ name: z.string(), default: z.string().optional() })).optional(),
  environments: z.array(z.looseObject({ environment_key: z.string() })).optional(),
});

/** Job settings as returned by the Jobs API (unknown fields kept). */
export type ApiJobSettings = z.infer<typeof apiJobSettingsSchema>;
