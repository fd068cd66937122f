import { ConfigError } from "../errors/config-error.js";

/**
 * The oldest Node.js release modeltrail runs on: what its HTTP client (undici 8) requires. Older
 * releases can import the packages (codecs, TraceContext) but cannot send a request.
 */
export const REQUIRED_NODE_VERSION = "22.19.0";

function parse(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** True when `version` (e.g. `process.versions.node`, with or without a leading `v`) is at least `required`. */
export function isNodeVersionAtLeast(version: string, required: string = REQUIRED_NODE_VERSION): boolean {
  const have = parse(version);
  const need = parse(required);
  if (!have || !need) return false;
  for (let i = 0; i < 3; i++) {
    if ((have[i] as number) !== (need[i] as number)) return (have[i] as number) > (need[i] as number);
  }
  return true;
}

let checked = false;

/**
 * Throws ConfigError naming the running Node.js version and {@link REQUIRED_NODE_VERSION} when the
 * process runs an older release. The HTTP transport calls it before its first request, so that an old
 * Node fails with this message instead of an obscure error deep inside the HTTP client.
 */
export function assertSupportedNode(version: string = process.versions.node): void {
  if (checked && version === process.versions.node) return;
  if (!isNodeVersionAtLeast(version)) {
    throw new ConfigError(
      `modeltrail needs Node.js ${REQUIRED_NODE_VERSION} or later, but this process runs Node.js ${version}`,
      { hint: "Upgrade Node.js to 22 LTS (22.19 or later) or 24 LTS, e.g. `nvm install 24`" },
    );
  }
  if (version === process.versions.node) checked = true;
}
