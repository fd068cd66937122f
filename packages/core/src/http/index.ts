export type { CallOptions } from "./call-options.js";
export type { DebugLogger, HttpLogEvent, HttpMethod, RetryOptions } from "./types.js";
