import { AsyncLocalStorage } from "node:async_hooks";
import type { TraceContext } from "./trace-context.js";

const storage = new AsyncLocalStorage<TraceContext>();

/**
 * Runs `fn` with `ctx` as the current TraceContext for everything it calls, synchronously or
 * asynchronously (AsyncLocalStorage). Returns what `fn` returns; rethrows what it throws.
 * Nested calls shadow the outer context for their duration.
 */
export function runWithTraceContext<T>(ctx: TraceContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The TraceContext of the current `runWithTraceContext` call, or `undefined` outside one. Never throws. */
export function currentTraceContext(): TraceContext | undefined {
  return storage.getStore();
}
