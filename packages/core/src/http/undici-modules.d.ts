// Declarations for the undici modules the transport loads by path (undici ships types only for its
// entry point). Each module exports one value with `module.exports =`.

declare module "undici/lib/dispatcher/agent.js" {
  import type { Agent } from "undici";

  const AgentClass: typeof Agent;
  export default AgentClass;
}

declare module "undici/lib/dispatcher/proxy-agent.js" {
  import type { ProxyAgent } from "undici";

  const ProxyAgentClass: typeof ProxyAgent;
  export default ProxyAgentClass;
}

declare module "undici/lib/dispatcher/socks5-proxy-agent.js" {
  import type { Socks5ProxyAgent } from "undici";

  const Socks5ProxyAgentClass: typeof Socks5ProxyAgent;
  export default Socks5ProxyAgentClass;
}

declare module "undici/lib/api/api-request.js" {
  import type { Dispatcher } from "undici";

  /** `Dispatcher.prototype.request`: called with the dispatcher as `this`. */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
