import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ method: req.method, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("loadUndiciParts", () => {
  it("gives an Agent and a request that send a request through it", async () => {
    const { loadUndiciParts } = await import("../../src/http/undici-parts.js");
    const { Agent, request } = await loadUndiciParts();
    const agent = new Agent();
    try {
      const res = await request(agent, { origin, path: "/x?y=1", method: "GET" });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ method: "GET", url: "/x?y=1" });
    } finally {
      await agent.close();
    }
  });

  it("falls back to undici's entry point when a later undici moved its modules", async () => {
    vi.resetModules();
    vi.doMock("undici/lib/api/api-request.js", () => {
      throw new Error("Cannot find module 'undici/lib/api/api-request.js'");
    });
    try {
      const { loadUndiciParts } = await import("../../src/http/undici-parts.js");
      const undici = await import("undici");
      const parts = await loadUndiciParts();
      expect(parts.Agent).toBe(undici.Agent);
      const agent = new parts.Agent();
      try {
        const res = await parts.request(agent, { origin, path: "/moved", method: "POST", body: "{}" });
        expect(await res.body.json()).toEqual({ method: "POST", url: "/moved" });
      } finally {
        await agent.close();
      }
    } finally {
      vi.doUnmock("undici/lib/api/api-request.js");
      vi.resetModules();
    }
  });
});
