import { z } from "zod";
import { apiJobSettingsSchema } from "./job-settings-shape.js";

/** A job as returned by `jobs/get` (one page) and, without tasks unless expanded, by `jobs/list`. */
export const jobSchema = z.looseObject({
  job_id: z.number(),
  creator_user_name: z.string().optional(),
  run_as_user_name: z.string().optional(),
  created_time: z.number().optional(),
  settings: apiJobSettingsSchema.optional(),
  effective_budget_policy_id: z.string().optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().optional(),
});

/** A Databricks job (unknown fields kept). */
export type Job = z.infer<typeof jobSchema>;

/** The response of `jobs/list`. */
export const listJobsResponseSchema = z.looseObject({
  jobs: z.array(jobSchema).optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().optional(),
  prev_page_token: z.string().optional(),
});

/** The response of `jobs/create`. */
export const createJobResponseSchema = z.looseObject({ job_id: z.number() });

/** The response of `jobs/run-now`. */
export const runNowResponseSchema = z.looseObject({
  run_id: z.number(),
  number_in_job: z.number().optional(),
});

/** What `jobs/run-now` returned: the run id and its number within the job. */
export type RunNowResponse = z.infer<typeof runNowResponseSchema>;
