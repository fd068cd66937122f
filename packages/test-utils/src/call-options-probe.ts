import type { CallOptions } from "@modeltrail/core";
import { CALL_OPTION_KEYS, HttpClient, type RequestOptions } from "@modeltrail/core/internal";
import { expect, vi } from "vitest";

/**
 * The public method names of `T`: what a table of calls must cover. TypeScript's `keyof` leaves
 * `private` members out, so `satisfies Record<PublicMethodName<Api>, ...>` fails to compile when a
 * public method is added without a row.
 */
export type PublicMethodName<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T] &
  string;

/** One request the transport was asked to send: which client (its service name) and its options. */
export interface TransportCall {
  service: string;
  options: RequestOptions;
}

/** Per-call options with a distinct, recognisable value for every key, and the controller of its signal. */
export interface CallOptionsProbe {
  options: CallOptions & Required<Omit<CallOptions, "signal">> & { signal: AbortSignal };
  controller: AbortController;
}

/** The header name the probe sends. */
export const PROBE_HEADER = "x-modeltrail-probe";

/**
 * Fresh probe options: a signal, a per-attempt timeout, a deadline, retry settings, a header, a
 * body cap and a request hook, each a value no default has, so that one seen at the transport came
 * from the caller.
 */
export function callOptionsProbe(): CallOptionsProbe {
  const controller = new AbortController();
  return {
    controller,
    options: {
      signal: controller.signal,
      timeoutMs: 29_017,
      deadlineMs: 600_013,
      retry: { maxRetries: 2, baseDelayMs: 7, maxDelayMs: 1_009 },
      headers: { [PROBE_HEADER]: "probe-7d1c" },
      maxResponseBytes: 48 * 1024 * 1024 + 13,
      onRequest: () => {},
    },
  };
}

/**
 * Runs `fn` and records every request any HttpClient sends meanwhile (the requests still go out).
 * The spy is removed afterwards, also when `fn` throws.
 */
export async function recordTransport<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; calls: TransportCall[] }> {
  const calls: TransportCall[] = [];
  const original = HttpClient.prototype.request;
  const spy = vi.spyOn(HttpClient.prototype, "request").mockImplementation(function (
    this: HttpClient,
    options: RequestOptions,
  ) {
    calls.push({ service: this.service, options });
    return original.call(this, options);
  });
  try {
    return { result: await fn(), calls };
  } finally {
    spy.mockRestore();
  }
}

/**
 * Expects every recorded request to carry every one of the probe's per-call options (each key of
 * CALL_OPTION_KEYS, so a key added to CallOptions is checked without a change here): the same
 * `timeoutMs`, `maxResponseBytes`, `onRequest` and any further key, the probe's `retry` settings, a
 * `deadlineMs` no later than the probe's (a call of several requests shares one deadline, so later
 * requests get what is left), a signal, and the probe header on requests to `service` and never on
 * others (signed cloud-storage URIs must not get the caller's headers). That the signal is the
 * caller's is `expectAbortReachesTransport`'s part. `label` names the method in failures.
 */
export function expectProbeReachedTransport(
  label: string,
  calls: readonly TransportCall[],
  probe: CallOptionsProbe,
  service: string,
): void {
  expect(calls.length, `${label}: made no request`).toBeGreaterThan(0);
  const want = probe.options;
  for (const [i, { service: to, options }] of calls.entries()) {
    const at = `${label}: request ${i + 1} (${options.method ?? "GET"} ${options.path.split("?")[0]} to ${to})`;
    for (const key of CALL_OPTION_KEYS) {
      const what = `${at}: ${key}`;
      switch (key) {
        case "signal":
          expect(options.signal, what).toBeDefined();
          break;
        case "deadlineMs":
          expect(options.deadlineMs, what).toBeGreaterThan(0);
          expect(options.deadlineMs, what).toBeLessThanOrEqual(want.deadlineMs);
          break;
        case "retry":
          expect(options.retry, what).toMatchObject(want.retry);
          break;
        case "headers": {
          const header = Object.entries(options.headers ?? {}).find(
            ([k]) => k.toLowerCase() === PROBE_HEADER,
          )?.[1];
          if (to === service) expect(header, what).toBe(want.headers[PROBE_HEADER]);
          else expect(header, `${at}: the caller's headers went to ${to}`).toBeUndefined();
          break;
        }
        default:
          expect(options[key], what).toBe(want[key]);
      }
    }
  }
}

/**
 * Runs `call` with a fresh probe and aborts the probe's signal when the first request reaches the
 * transport: that request must see its signal aborted (it is the caller's, or follows it), and the
 * call must reject with an AbortError (code `ABORTED`), having sent nothing.
 */
export async function expectAbortReachesTransport(
  label: string,
  call: (options: CallOptions) => Promise<unknown>,
): Promise<void> {
  const probe = callOptionsProbe();
  let seen: RequestOptions | undefined;
  const original = HttpClient.prototype.request;
  const spy = vi.spyOn(HttpClient.prototype, "request").mockImplementation(function (
    this: HttpClient,
    options: RequestOptions,
  ) {
    if (seen === undefined) {
      seen = options;
      probe.controller.abort(new Error("aborted by the probe"));
    }
    return original.call(this, options);
  });
  let outcome: unknown;
  try {
    outcome = await call(probe.options).then(
      () => "resolved",
      (err: unknown) => err,
    );
  } finally {
    spy.mockRestore();
  }
  expect(seen, `${label}: made no request`).toBeDefined();
  expect(seen?.signal?.aborted, `${label}: the request's signal does not follow the caller's`).toBe(true);
  expect((outcome as { code?: unknown })?.code, `${label}: ${String(outcome)}`).toBe("ABORTED");
}
