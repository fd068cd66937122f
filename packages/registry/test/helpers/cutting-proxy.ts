import type { AddressInfo } from "node:net";
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** A loopback TCP proxy that can cut one connection after a number of request bytes. */
export interface CuttingProxy {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** Cuts the next connection whose client sent more than `afterBytes` bytes (once). */
  cutOnceAfter(afterBytes: number, onlyIf?: (firstBytes: string) => boolean): void;
  /** How many connections were cut. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 in front of `upstream` (`host:port`). A cut destroys both sides
 * of one connection mid-request: the client sees a reset in the middle of its upload, the server a
 * client that went away, as on a broken network.
 */
export async function startCuttingProxy(upstream: string): Promise<CuttingProxy> {
  const [upHost, upPort] = [
    upstream.slice(0, upstream.lastIndexOf(":")),
    Number(upstream.slice(upstream.lastIndexOf(":") + 1)),
  ];
  const sockets = new Set<Socket>();
  let plan: { afterBytes: number; onlyIf?: ((firstBytes: string) => boolean) | undefined } | undefined;
  const state = { cuts: 0 };
  const server: Server = createServer((client) => {
    const up = createConnection({ host: upHost, port: upPort });
    sockets.add(client);
    sockets.add(up);
    let sent = 0;
    let head = "";
    client.on("data", (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.subarray(0, 4096).toString("latin1");
      // a new request on a kept-alive connection starts a new count
      if (/^(GET|HEAD|POST|PUT|PATCH|DELETE) /.test(chunk.subarray(0, 8).toString("latin1"))) {
        sent = 0;
        head = chunk.subarray(0, 4096).toString("latin1");
      }
      sent += chunk.length;
      if (plan && sent > plan.afterBytes && (!plan.onlyIf || plan.onlyIf(head))) {
        plan = undefined;
        state.cuts++;
        client.destroy();
        up.destroy();
        return;
      }
      up.write(chunk);
    });
    up.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    client.on("close", end);
    up.on("close", end);
    client.on("error", end);
    up.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    cutOnceAfter(afterBytes, onlyIf) {
      plan = { afterBytes, onlyIf };
    },
    get cuts() {
      return state.cuts;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
