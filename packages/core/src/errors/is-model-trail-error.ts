import type { ErrorCode, ModelTrailError } from "./model-trail-error.js";
import { MODELTRAIL_ERROR_BRAND } from "./model-trail-error.js";

/**
 * True when `value` is a modeltrail error, even one created by another copy of the package or in
 * another realm (worker, vm context). Pass `code` to also check its code.
 */
export function isModelTrailError(value: unknown, code?: ErrorCode): value is ModelTrailError {
  if (typeof value !== "object" || value === null) return false;
  const branded = (value as Record<symbol, unknown>)[MODELTRAIL_ERROR_BRAND] === true;
  if (!branded) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
