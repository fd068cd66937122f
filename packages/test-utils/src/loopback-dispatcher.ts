import { connect, type Socket } from "node:net";
import { Agent } from "undici";

/**
 * An undici Agent that sends every request, whatever its origin, over plain TCP to the loopback
 * server at `url` (e.g. an msw server): `https://adb-1.2.azuredatabricks.net/aad/auth` reaches the
 * fake with path `/aad/auth` and `host: adb-1.2.azuredatabricks.net`. Lets one fake play several
 * hosts (workspaces, Azure AD, Azure Resource Manager) for code that builds its own URLs. Close it
 * after use.
 *
 * @throws Error when `url` is not an http URL on 127.0.0.1 or ::1.
 */
export function loopbackDispatcher(url: string): Agent {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (target.protocol !== "http:" || (host !== "127.0.0.1" && host !== "::1"))
    throw new Error(`loopbackDispatcher needs an http URL on 127.0.0.1 or ::1, got ${url}`);
  const port = Number(target.port || 80);
  return new Agent({
    connect: (_options, callback) => {
      const socket: Socket = connect(port, host);
      socket.once("connect", () => callback(null, socket));
      socket.once("error", (error) => callback(error, null));
      return socket;
    },
  });
}
