import { utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { NetworkError } from "@modeltrail/core";
import { createTestCa, type TestCa } from "@modeltrail/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient, loadKubeConfig } from "../src/index.js";
import { b64, type FixtureDir, fixtureDir } from "./kubeconfig-fixtures.js";

/**
 * A node:https API server with a generated CA that asks for client certificates and answers every
 * GET of a ConfigMap with who it saw (certificate CN, authorization header). Tokens listed in
 * `rejected` get a 401 Status.
 */
let fx: FixtureDir;
let ca: TestCa;
let other: TestCa;
let server: Server;
let url: string;
const rejected = new Set<string>();
const seen: string[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  fx = fixtureDir("modeltrail-kube-tls-");
  ca = createTestCa(`${fx.dir}/pki`, "kube-ca");
  other = createTestCa(`${fx.dir}/other`, "other-ca");
  const serving = ca.issue({
    name: "apiserver",
    cn: "kube-apiserver",
    usage: "server",
    dns: ["kube.internal"],
  });
  ca.issue({ name: "admin", cn: "admin", orgs: ["system:masters"], usage: "client" });
  server = createServer(
    { cert: serving.cert, key: serving.key, ca: ca.cert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const who = socket.authorized && peer?.subject ? `cn:${peer.subject.CN}` : "anonymous";
      const auth = req.headers.authorization ?? "";
      seen.push(`${who} ${auth}`.trim());
      if (rejected.has(auth)) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            kind: "Status",
            status: "Failure",
            reason: "Unauthorized",
            code: 401,
            message: "Unauthorized",
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "who", namespace: "default" },
          data: { who, auth },
        }),
      );
    },
  );
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  fx.cleanup();
});

function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return fx.write(`configs/${name}.yaml`, {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: url, "tls-server-name": "kube.internal", ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  });
}

async function whoAmI(path: string): Promise<Record<string, string> | undefined> {
  const kube = new KubeClient({ config: loadKubeConfig({ kubeconfig: path }), retry: { maxRetries: 0 } });
  try {
    return (await kube.configMaps.get("who")).data;
  } finally {
    await kube.close();
  }
}

describe("TLS from the kubeconfig", () => {
  it("trusts the CA file and presents the client certificate files (relative paths)", async () => {
    const path = kubeconfig(
      "files",
      { "certificate-authority": "../pki/kube-ca.crt" },
      { "client-certificate": "../pki/admin.crt", "client-key": "../pki/admin.key" },
    );
    expect(await whoAmI(path)).toEqual({ who: "cn:admin", auth: "" });
  });

  it("trusts CA data and presents client certificate data", async () => {
    const admin = ca.issue({ name: "admin2", cn: "admin2", usage: "client" });
    const path = kubeconfig(
      "data",
      { "certificate-authority-data": b64(ca.cert) },
      { "client-certificate-data": b64(admin.cert), "client-key-data": b64(admin.key) },
    );
    expect(await whoAmI(path)).toEqual({ who: "cn:admin2", auth: "" });
  });

  it("verifies against tls-server-name: without it the certificate (for kube.internal) does not match 127.0.0.1", async () => {
    const path = kubeconfig(
      "no-name",
      { "certificate-authority-data": b64(ca.cert), "tls-server-name": undefined },
      { token: "t-12345678" },
    );
    await expect(whoAmI(path)).rejects.toBeInstanceOf(NetworkError);
  });

  it("refuses a server whose certificate another CA signed, and skips verification only when told to", async () => {
    const wrong = kubeconfig(
      "wrong-ca",
      { "certificate-authority-data": b64(other.cert) },
      { token: "t-12345678" },
    );
    const err = await whoAmI(wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(JSON.stringify(err)).not.toContain("t-12345678");
    const insecure = kubeconfig(
      "insecure",
      { "insecure-skip-tls-verify": true, "tls-server-name": undefined },
      { token: "t-12345678" },
    );
    expect(await whoAmI(insecure)).toEqual({ who: "anonymous", auth: "Bearer t-12345678" });
  });

  it("sends basic auth", async () => {
    const path = kubeconfig(
      "basic",
      { "certificate-authority-data": b64(ca.cert) },
      { username: "ops", password: "hunter2-pw" },
    );
    expect((await whoAmI(path))?.auth).toBe(`Basic ${b64("ops:hunter2-pw")}`);
  });
});

describe("token files", () => {
  it("reads a rotated token file again, on change and after a 401", async () => {
    const tokenPath = fx.write("secrets/token", "token-aaaa-1\n");
    const path = kubeconfig(
      "token-file",
      { "certificate-authority-data": b64(ca.cert) },
      { tokenFile: "../secrets/token" },
    );
    const kube = new KubeClient({ config: loadKubeConfig({ kubeconfig: path }) });
    expect((await kube.configMaps.get("who")).data?.auth).toBe("Bearer token-aaaa-1");
    writeFileSync(tokenPath, "token-bbbbbbbb-2\n"); // the kubelet rotates it
    utimesSync(tokenPath, 1_700_000_000, 1_700_000_000);
    expect((await kube.configMaps.get("who")).data?.auth).toBe("Bearer token-bbbbbbbb-2");

    // Same size and modification time: only the 401 tells the client to read the file again.
    writeFileSync(tokenPath, "token-cccccccc-3\n");
    utimesSync(tokenPath, 1_700_000_000, 1_700_000_000);
    rejected.add("Bearer token-bbbbbbbb-2");
    seen.length = 0;
    expect((await kube.configMaps.get("who")).data?.auth).toBe("Bearer token-cccccccc-3");
    expect(seen).toEqual(["anonymous Bearer token-bbbbbbbb-2", "anonymous Bearer token-cccccccc-3"]);
    await kube.close();
  });

  it("names the token file when it is missing or empty", async () => {
    const path = kubeconfig(
      "no-token",
      { "certificate-authority-data": b64(ca.cert) },
      { tokenFile: "../secrets/nope" },
    );
    await expect(whoAmI(path)).rejects.toThrow(/Cannot read the Kubernetes token file .*secrets\/nope/);
    fx.write("secrets/empty", "\n");
    const empty = kubeconfig(
      "empty-token",
      { "certificate-authority-data": b64(ca.cert) },
      { tokenFile: "../secrets/empty" },
    );
    await expect(whoAmI(empty)).rejects.toThrow(/token file .*empty is empty/);
  });
});
