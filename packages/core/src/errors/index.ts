export { AbortError } from "./abort-error.js";
export {
  ApiError,
  type ApiErrorInit,
  type ApiErrorKind,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitError,
  ServerError,
  UnauthorizedError,
} from "./api-error.js";
export { ConfigError, type ConfigErrorOptions } from "./config-error.js";
export { isModelTrailError } from "./is-model-trail-error.js";
export { type ErrorCode, ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";
export { NetworkError } from "./network-error.js";
export { ResponseTooLargeError, type ResponseTooLargeErrorInit } from "./response-too-large-error.js";
export { TimeoutError } from "./timeout-error.js";
export { ValidationError, type ValidationErrorOptions, type ValidationIssue } from "./validation-error.js";
