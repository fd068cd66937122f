import { z } from "zod";
import { runSchema } from "./run.js";

/** The response of `jobs/runs/get-output` for one task run. */
export const runOutputSchema = z.looseObject({
  metadata: runSchema.optional(),
  error: z.string().optional(),
  error_trace: z.string().optional(),
  info: z.string().optional(),
  logs: z.string().optional(),
  logs_truncated: z.boolean().optional(),
  notebook_output: z
    .looseObject({ result: z.string().optional(), truncated: z.boolean().optional() })
    .optional(),
  run_job_output: z.looseObject({ run_id: z.number().optional() }).optional(),
  sql_output: z.looseObject({}).optional(),
  dbt_output: z.looseObject({}).optional(),
});

/** The output of a task run (unknown fields kept). */
export type RunOutput = z.infer<typeof runOutputSchema>;
