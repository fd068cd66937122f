import { ValidationError } from "@modeltrail/core";

/**
 * The ValidationError a job template fails with: one issue at `template:<line>` (a 1-based line of the
 * template source) or at another path (`vars.x`, `line 3` of the rendered document).
 */
export function templateError(where: number | string, message: string): ValidationError {
  return new ValidationError("Invalid job template", {
    issues: [{ path: typeof where === "number" ? `template:${where}` : where, message }],
  });
}
