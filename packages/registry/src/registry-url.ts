/** True for hosts that are this machine (`localhost`, `127.0.0.0/8`, `[::1]`), with or without a port. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[")
    ? registry.slice(0, registry.indexOf("]") + 1)
    : registry.replace(/:\d+$/, "");
  return host === "localhost" || /^127(?:\.\d{1,3}){3}$/.test(host) || host === "[::1]";
}

/**
 * The base URL of a registry's API host: `https://host` unless `plainHttp` says otherwise; by
 * default loopback registries (`localhost`, `127.x.x.x`, `[::1]`) use plain http, as the Docker CLI
 * allows for them. Docker Hub's `docker.io` is served by `registry-1.docker.io`.
 */
export function registryBaseUrl(
  registry: string,
  plainHttp?: boolean | ((registry: string) => boolean),
): string {
  const http =
    typeof plainHttp === "function" ? plainHttp(registry) : (plainHttp ?? isLoopbackRegistry(registry));
  const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
  return `${http ? "http" : "https"}://${host}`;
}
