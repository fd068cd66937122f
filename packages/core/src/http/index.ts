export type { CallOptions, RequestEvent } from "./call-options.js";
export type { DebugLogger, HttpLogEvent, HttpMethod, RetryOptions } from "./types.js";
