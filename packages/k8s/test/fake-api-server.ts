import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse } from "msw";
import { afterAll, afterEach, beforeAll } from "vitest";
import { KubeClient, type KubeClientOptions, loadKubeConfig } from "../src/index.js";
import { fixtureDir, simpleKubeconfig } from "./kubeconfig-fixtures.js";

/** A Kubernetes `kind: Status` failure response. */
export function status(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
  init: ResponseInit = {},
): Response {
  return HttpResponse.json(
    {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      code,
      reason,
      message,
      ...(details ? { details } : {}),
    },
    { status: code, ...init },
  );
}

/** A watch response streaming `lines` (objects become JSON lines); `fail` ends it with a dropped connection. */
export function watchStream(
  lines: Array<object | string>,
  options: { fail?: boolean; holdMs?: number } = {},
): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const line of lines) {
        controller.enqueue(encoder.encode(`${typeof line === "string" ? line : JSON.stringify(line)}\n`));
      }
      if (options.holdMs) await new Promise((r) => setTimeout(r, options.holdMs));
      if (options.fail) {
        // let the lines reach the socket first: an errored web stream drops what is still queued
        await new Promise((r) => setTimeout(r, 50));
        controller.error(new Error("connection dropped"));
      } else controller.close();
    },
  });
  return new HttpResponse(body, { status: 200, headers: { "content-type": "application/json" } });
}

/**
 * Starts an msw server on a loopback port for the file's tests and gives a KubeClient for it, built
 * from a real kubeconfig file (token auth, namespace `ns`), with retries that do not sleep.
 */
export function useFakeApiServer() {
  const state: { server: MswServer; kube: KubeClient; sleeps: number[] } = {} as never;
  const fx = fixtureDir("modeltrail-fake-kube-");
  beforeAll(async () => {
    state.server = await startMswServer();
    state.kube = client();
  });
  afterEach(() => {
    state.server.resetHandlers();
    state.sleeps.length = 0;
  });
  afterAll(async () => {
    await state.kube.close();
    await state.server.close();
    fx.cleanup();
  });
  state.sleeps = [];
  /** Another client of the fake server (with extra options). */
  const client = (options: KubeClientOptions = {}) => {
    const path = fx.write(
      "kubeconfig",
      simpleKubeconfig({ server: state.server.url, user: { token: "fake-api-token-1234" }, namespace: "ns" }),
    );
    return new KubeClient({
      config: loadKubeConfig({ kubeconfig: path }),
      sleep: async (ms) => {
        state.sleeps.push(ms);
      },
      ...options,
    });
  };
  return Object.assign(state, { client });
}
