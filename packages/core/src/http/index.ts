export type { CallOptions } from "./call-options.js";
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  defaultApiError,
  HttpClient,
  type HttpClientTestHooks,
  type JsonRequestOptions,
  MAX_RESPONSE_BYTES_LIMIT,
} from "./http-client.js";
export { type Page, type PaginateOptions, paginate } from "./paginate.js";
export { parseRetryAfter } from "./retry-after.js";
export { backoffDelay, DEFAULT_RETRY, isIdempotentMethod, isRetryableNetworkCode } from "./retry-policy.js";
export { lowLevelCode, toTransportError } from "./transport-errors.js";
export type {
  DebugLogger,
  ErrorResponseInfo,
  HttpClientOptions,
  HttpLogEvent,
  HttpMethod,
  HttpResponse,
  QueryValue,
  RequestOptions,
  RetryOptions,
} from "./types.js";
export { userAgent } from "./user-agent.js";
