import { AbortError } from "../../errors/abort-error.js";
import { NotFoundError } from "../../errors/api-error.js";
import { isModelTrailError } from "../../errors/is-model-trail-error.js";
import type { CallOptions, RequestEvent } from "../../http/call-options.js";
import { redactText } from "../../redact.js";
import type { TraceLookupName, TraceLookupOptions, TraceResolver } from "../../resolvers/trace-resolver.js";
import type { TraceConventions } from "../../trace/conventions.js";
import type { TraceRequests, Unreachable } from "../trace-report.js";
import type { Found } from "./found.js";

/** The system each look-up belongs to, for "no resolver for X" messages. */
const LOOKUP_SYSTEM: Record<TraceLookupName, string> = {
  getModelVersion: "mlflow",
  findModelVersions: "mlflow",
  getMlflowRun: "mlflow",
  findMlflowRuns: "mlflow",
  getModelVersionFileDigests: "mlflow",
  getJobRun: "databricks",
  getImage: "registry",
  findImages: "registry",
  getImageModelFiles: "registry",
  getDeployment: "kubernetes",
  getPod: "kubernetes",
  findDeployments: "kubernetes",
};

/** What the caller's package provides for each system, for the hint of a no-resolver gap. */
const RESOLVER_HINT: Record<string, string> = {
  mlflow: "mlflowTraceResolver(client) from @modeltrail/mlflow",
  databricks: "databricksTraceResolver(client) from @modeltrail/databricks",
  registry: "registryTraceResolver(client) from @modeltrail/registry",
  kubernetes: "kubernetesTraceResolver(client) from @modeltrail/k8s",
};

/** One look-up to make: which method, on what, described for a message. */
export interface LookupRequest<R> {
  name: TraceLookupName;
  /** Memo key: the same name and key is asked once per walk. */
  key: string;
  /** What is looked up, for messages: `model version churn/3`. */
  what: string;
  /** The graph node the look-up is about, if any. */
  node?: string | undefined;
  /** Calls the method on one resolver. */
  invoke: (resolver: TraceResolver, options: TraceLookupOptions) => Promise<R | undefined>;
}

/**
 * The state of one walk: every look-up made once (memoized by method and key, so no object is
 * fetched twice), at most `concurrency` at a time, each request counted (through
 * `CallOptions.onRequest`) per resolver system, and every look-up that gave no answer recorded with
 * its reason.
 */
export class LookupSession {
  readonly requests: TraceRequests = { total: 0, bySystem: {}, lookups: 0 };
  readonly unreachable: Unreachable[] = [];
  private readonly memo = new Map<string, Promise<unknown>>();
  /** The resolvers' cache for this walk (`TraceLookupOptions.walkCache`). */
  private readonly walkCache = new Map<string, unknown>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly resolvers: readonly TraceResolver[],
    readonly conventions: TraceConventions,
    private readonly call: CallOptions,
    private readonly concurrency: number,
  ) {}

  /** The signal of the walk, if the caller gave one. */
  get signal(): AbortSignal | undefined {
    return this.call.signal;
  }

  /**
   * Asks every resolver that implements the look-up and returns what each found. Records a gap when
   * none implements it (`no-resolver` / `unsupported`), when none found it (`not-found`, only when
   * `reportNotFound`), and for each resolver that failed (`failed`). Rethrows an AbortError of the
   * caller's signal: an aborted walk stops.
   */
  ask<R>(req: LookupRequest<R>, reportNotFound = true): Promise<Array<Found<R>>> {
    const memoKey = `${req.name}\u0000${req.key}`;
    let pending = this.memo.get(memoKey) as Promise<Array<Found<R>>> | undefined;
    if (!pending) {
      pending = this.run(req, reportNotFound);
      this.memo.set(memoKey, pending);
    }
    return pending;
  }

  private async run<R>(req: LookupRequest<R>, reportNotFound: boolean): Promise<Array<Found<R>>> {
    const system = LOOKUP_SYSTEM[req.name];
    const able = this.resolvers.filter((r) => typeof r[req.name] === "function");
    if (able.length === 0) {
      const sameSystem = this.resolvers.find((r) => r.system === system);
      this.gap({
        system,
        lookup: req.what,
        node: req.node,
        reason: sameSystem ? "unsupported" : "no-resolver",
        message: sameSystem
          ? `The ${system} resolver cannot look up ${req.what} (it has no ${req.name})`
          : `No ${system} resolver was given, so ${req.what} was not looked up${RESOLVER_HINT[system] ? `: pass ${RESOLVER_HINT[system]} in resolvers` : ""}`,
      });
      return [];
    }
    const results = await Promise.all(able.map((r) => this.invokeOne(r, req)));
    const found = results.filter((f): f is Found<R> => f !== undefined && f !== null);
    const failed = results.some((f) => f === null);
    if (found.length === 0 && !failed && reportNotFound) {
      this.gap({
        system: able[0]?.system ?? system,
        lookup: req.what,
        node: req.node,
        reason: "not-found",
        message: `${capitalize(req.what)} was not found${locations(able)}`,
      });
    }
    return found;
  }

  /** Calls one resolver; undefined when it found nothing, null when it failed (recorded). */
  private async invokeOne<R>(
    resolver: TraceResolver,
    req: LookupRequest<R>,
  ): Promise<Found<R> | undefined | null> {
    await this.acquire();
    try {
      this.requests.lookups++;
      const system = resolver.system;
      const onRequest = (event: RequestEvent) => {
        this.requests.total++;
        this.requests.bySystem[system] = (this.requests.bySystem[system] ?? 0) + 1;
        try {
          this.call.onRequest?.(event);
        } catch {
          // the caller's observer must not fail the walk
        }
      };
      const options: TraceLookupOptions = {
        ...this.call,
        onRequest,
        conventions: this.conventions,
        walkCache: this.walkCache,
      };
      const record = await req.invoke(resolver, options);
      if (record === undefined || (Array.isArray(record) && record.length === 0)) return undefined;
      return { record, system };
    } catch (err) {
      if (this.call.signal?.aborted)
        throw err instanceof AbortError ? err : new AbortError("The trace was aborted", { cause: err });
      if (err instanceof NotFoundError) return undefined;
      this.gap({
        system: resolver.system,
        lookup: req.what,
        node: req.node,
        reason: "failed",
        message: `${capitalize(req.what)} could not be read from ${resolver.system}${resolver.location ? ` at ${redactText(resolver.location)}` : ""}: ${describeError(err)}`,
        error: errorSummary(err),
      });
      return null;
    } finally {
      this.release();
    }
  }

  private gap(entry: Unreachable): void {
    const clean = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as Unreachable;
    this.unreachable.push(clean);
  }

  private async acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function locations(resolvers: readonly TraceResolver[]): string {
  const where = resolvers.map((r) => r.location).filter((l): l is string => typeof l === "string");
  return where.length === 0 ? "" : ` (asked ${where.map((l) => redactText(l)).join(", ")})`;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return redactText(err.message);
  return redactText(String(err));
}

function errorSummary(err: unknown): Unreachable["error"] {
  if (!(err instanceof Error)) return { name: "Error" };
  const out: NonNullable<Unreachable["error"]> = { name: err.name };
  if (isModelTrailError(err)) out.code = err.code;
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && Number.isInteger(status)) out.status = status;
  return out;
}
