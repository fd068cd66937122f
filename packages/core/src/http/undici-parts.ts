/// <reference path="./undici-modules.d.ts" />
import type { Agent, Dispatcher, ProxyAgent, Socks5ProxyAgent } from "undici";

/** What the transport uses of undici: the connection pool class and `request`. */
export interface UndiciParts {
  Agent: typeof Agent;
  /** Sends one request through `dispatcher` (undici's `Dispatcher.prototype.request`). */
  request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}

/** The proxy agents, loaded only by a client configured with `proxyUrl`. */
export interface UndiciProxyParts {
  ProxyAgent: typeof ProxyAgent;
  Socks5ProxyAgent: typeof Socks5ProxyAgent;
}

let parts: Promise<UndiciParts> | undefined;
let proxyParts: Promise<UndiciProxyParts> | undefined;

/**
 * Loads undici's Agent and `request` on first use, and only them: undici's entry point also loads
 * fetch, WebSocket, EventSource, the cache stores and the mock agents, which cost a process about
 * 14 MiB of resident memory that no modeltrail request needs. When a later undici release moves
 * those modules, the entry point is loaded instead, so a newer undici never breaks the transport.
 * Never throws for a missing module path; rejects only when undici itself cannot be loaded.
 */
export function loadUndiciParts(): Promise<UndiciParts> {
  parts ??= Promise.all([import("undici/lib/dispatcher/agent.js"), import("undici/lib/api/api-request.js")])
    .then(([agent, api]) => {
      const AgentClass = agent.default;
      const request = api.default;
      if (typeof AgentClass !== "function" || typeof request !== "function") throw new TypeError("moved");
      return {
        Agent: AgentClass,
        request: (dispatcher: Dispatcher, options: Dispatcher.RequestOptions) =>
          request.call(dispatcher, options),
      };
    })
    .catch(() => loadFromEntryPoint());
  return parts;
}

/** Agent and `request` from undici's entry point (the fallback of `loadUndiciParts`). */
export async function loadFromEntryPoint(): Promise<UndiciParts> {
  const undici = await import("undici");
  const request = undici.Dispatcher.prototype.request as (
    this: Dispatcher,
    options: Dispatcher.RequestOptions,
  ) => Promise<Dispatcher.ResponseData>;
  return {
    Agent: undici.Agent,
    request: (dispatcher, options) => request.call(dispatcher, options),
  };
}

/** Loads undici's ProxyAgent and Socks5ProxyAgent (with the same fallback as `loadUndiciParts`). */
export function loadUndiciProxyParts(): Promise<UndiciProxyParts> {
  proxyParts ??= Promise.all([
    import("undici/lib/dispatcher/proxy-agent.js"),
    import("undici/lib/dispatcher/socks5-proxy-agent.js"),
  ])
    .then(([proxy, socks]) => {
      if (typeof proxy.default !== "function" || typeof socks.default !== "function")
        throw new TypeError("moved");
      return { ProxyAgent: proxy.default, Socks5ProxyAgent: socks.default };
    })
    .catch(async () => {
      const undici = await import("undici");
      return { ProxyAgent: undici.ProxyAgent, Socks5ProxyAgent: undici.Socks5ProxyAgent };
    });
  return proxyParts;
}
