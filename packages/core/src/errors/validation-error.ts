import type { z } from "zod";
import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** One problem found while validating input. `path` is dotted (`code.gitSha`, `tasks[2].task_key`). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Options of a ValidationError. */
export interface ValidationErrorOptions extends ModelTrailErrorOptions {
  issues?: ValidationIssue[];
}

/** Renders a zod path as `a.b[2].c`. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out || "(root)";
}

/**
 * Input failed validation. `issues` lists each problem with its path; the message renders them as
 * readable lines.
 */
export class ValidationError extends ModelTrailError {
  /** Each problem found, with its path. */
  readonly issues: ValidationIssue[];

  constructor(message: string, options: ValidationErrorOptions = {}) {
    const issues = options.issues ?? [];
    const lines = issues.map((i) => `\n  - ${i.path}: ${i.message}`).join("");
    super("VALIDATION_ERROR", `${message}${lines}`, options);
    this.issues = issues;
  }

  /** Builds a ValidationError from a zod error; `subject` names what was being validated. */
  static fromZod(subject: string, error: z.ZodError, options: ModelTrailErrorOptions = {}): ValidationError {
    const issues = error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
    return new ValidationError(`Invalid ${subject}`, { ...options, issues, cause: undefined });
  }
}
