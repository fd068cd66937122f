import type { TraceSource } from "../trace-source.js";

/** A record and the resolver system that returned it. */
export interface Found<T> {
  record: T;
  system: string;
}

/** A source naming an object of a system, optionally with the field that holds a value. */
export function sourceOf(base: TraceSource, field?: string): TraceSource {
  return field === undefined ? base : { ...base, field };
}
