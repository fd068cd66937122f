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
