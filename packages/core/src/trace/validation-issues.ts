import type { z } from "zod";
import { formatIssuePath, type ValidationIssue } from "../errors/validation-error.js";

/**
 * Flattens zod issues into readable `{ path, message }` pairs. Nested issues (a bad record key,
 * a failed union) are expanded so that the message names the real problem, not "Invalid key in record".
 */
export function zodIssuesToValidationIssues(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  prefix: ReadonlyArray<PropertyKey> = [],
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_key" && issue.issues.length > 0) {
      out.push(...zodIssuesToValidationIssues(issue.issues, path));
    } else if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: formatIssuePath([...path, key]), message: "unknown field (check the spelling)" });
      }
    } else {
      out.push({ path: formatIssuePath(path), message: issue.message });
    }
  }
  return out;
}
