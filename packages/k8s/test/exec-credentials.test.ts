import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { inspect } from "node:util";
import { AbortError } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ExecPluginError,
  execCredentials,
  KubeClient,
  type KubeCluster,
  type KubeExecConfig,
  loadKubeConfig,
} from "../src/index.js";
import { type FixtureDir, fixtureDir, simpleKubeconfig } from "./kubeconfig-fixtures.js";

/**
 * A real credential plugin (a shell script): counts its runs, records KUBERNETES_EXEC_INFO and its
 * environment, prints an ExecCredential with a token that changes on every run (`tok-N-...`) and
 * the expiry in `expiry` when that file exists, or fails with the text of `fail` on stderr.
 */
const PLUGIN = `#!/bin/sh
dir="$(dirname "$0")"
n=$(cat "$dir/count" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$dir/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/exec-info.json"
printf '%s|%s' "$PLUGIN_MODE" "$*" > "$dir/args.txt"
if [ -f "$dir/fail" ]; then cat "$dir/fail" >&2; exit 3; fi
if [ -f "$dir/stdout" ]; then cat "$dir/stdout"; exit 0; fi
exp=""
if [ -f "$dir/expiry" ]; then exp=",\\"expirationTimestamp\\":\\"$(cat "$dir/expiry")\\""; fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"tok-%s-s3cr3tvalue"%s}}' "$API_VERSION" "$n" "$exp"
`;

let fx: FixtureDir;
let plugin: string;
const cluster: KubeCluster = {
  name: "c",
  server: "https://kube.example:6443",
  ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  insecureSkipTlsVerify: false,
  tlsServerName: "kube.internal",
  proxyUrl: undefined,
};
const V1 = "client.authentication.k8s.io/v1" as const;

function execConfig(overrides: Partial<KubeExecConfig> = {}): KubeExecConfig {
  return {
    command: plugin,
    args: ["get-token", "--server-id", "abc"],
    env: { PLUGIN_MODE: "test", API_VERSION: V1 },
    apiVersion: V1,
    installHint: undefined,
    provideClusterInfo: false,
    interactiveMode: "Never",
    clusterConfig: undefined,
    ...overrides,
  };
}
const runs = () => Number(readFileSync(`${fx.dir}/count`, "utf8").trim());
const execInfo = () =>
  JSON.parse(readFileSync(`${fx.dir}/exec-info.json`, "utf8")) as Record<string, unknown>;

beforeEach(() => {
  fx = fixtureDir("modeltrail-exec-");
  plugin = fx.write("plugin.sh", PLUGIN);
  chmodSync(plugin, 0o755);
});
afterEach(() => fx.cleanup());

describe("exec credential plugins", () => {
  it("runs the plugin with its args, env and KUBERNETES_EXEC_INFO, and caches the token", async () => {
    const provider = execCredentials(execConfig(), cluster, { stdinIsTerminal: false });
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer tok-1-s3cr3tvalue" });
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer tok-1-s3cr3tvalue" });
    expect(runs()).toBe(1);
    expect(readFileSync(`${fx.dir}/args.txt`, "utf8")).toBe("test|get-token --server-id abc");
    expect(execInfo()).toEqual({ apiVersion: V1, kind: "ExecCredential", spec: { interactive: false } });
  });

  it("gives the cluster to the plugin when provideClusterInfo is set", async () => {
    const provider = execCredentials(
      execConfig({ provideClusterInfo: true, clusterConfig: { audience: "6dae42f8" } }),
      cluster,
      { stdinIsTerminal: false },
    );
    await provider.getAuthHeaders();
    expect(execInfo()).toEqual({
      apiVersion: V1,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: {
          server: "https://kube.example:6443",
          "tls-server-name": "kube.internal",
          "certificate-authority-data": Buffer.from(cluster.ca!).toString("base64"),
          config: { audience: "6dae42f8" },
        },
      },
    });
  });

  it("runs the plugin again when the token expires, and after a 401", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    writeFileSync(`${fx.dir}/expiry`, "2030-01-01T01:00:00Z");
    const provider = execCredentials(execConfig(), cluster, { now: () => now, stdinIsTerminal: false });
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer tok-1-s3cr3tvalue" });
    now += 30 * 60_000;
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer tok-1-s3cr3tvalue" });
    now += 30 * 60_000 - 5_000; // inside the 10 s refresh skew
    expect(await provider.getAuthHeaders()).toEqual({ authorization: "Bearer tok-2-s3cr3tvalue" });
    expect(await provider.getAuthHeaders({ forceRefresh: true })).toEqual({
      authorization: "Bearer tok-3-s3cr3tvalue",
    });
    expect(runs()).toBe(3);
  });

  it("shares one run between concurrent requests", async () => {
    const provider = execCredentials(execConfig(), cluster, { stdinIsTerminal: false });
    const all = await Promise.all([1, 2, 3, 4].map(() => provider.getAuthHeaders()));
    expect(new Set(all.map((h) => h.authorization))).toEqual(new Set(["Bearer tok-1-s3cr3tvalue"]));
    expect(runs()).toBe(1);
  });

  it("names a missing plugin and shows its installHint", async () => {
    const provider = execCredentials(
      execConfig({
        command: "kubelogin-not-installed-here",
        installHint: "Install kubelogin: az aks install-cli",
      }),
      cluster,
      { stdinIsTerminal: false },
    );
    const err = (await provider.getAuthHeaders().catch((e: unknown) => e)) as ExecPluginError;
    expect(err).toBeInstanceOf(ExecPluginError);
    expect(err.code).toBe("CONFIG_ERROR");
    expect(err.message).toContain('"kubelogin-not-installed-here" was not found');
    expect(err.message).toContain("Install kubelogin: az aks install-cli");
  });

  it("reports a failing plugin with its exit code and stderr, redacting secrets it prints", async () => {
    writeFileSync(
      `${fx.dir}/fail`,
      "error: AADSTS70043: refresh token expired; old token was tok-0-s3cr3tvalue\n",
    );
    // the token is only known as a secret once seen; register it through a first successful run
    const ok = execCredentials(execConfig(), cluster, { stdinIsTerminal: false });
    rmSync(`${fx.dir}/fail`);
    writeFileSync(`${fx.dir}/count`, "-1");
    await ok.getAuthHeaders(); // tok-0-s3cr3tvalue
    writeFileSync(
      `${fx.dir}/fail`,
      "error: AADSTS70043: refresh token expired; old token was tok-0-s3cr3tvalue\n",
    );
    const provider = execCredentials(execConfig(), cluster, { stdinIsTerminal: false, userName: "aks-user" });
    const err = (await provider.getAuthHeaders().catch((e: unknown) => e)) as ExecPluginError;
    expect(err).toBeInstanceOf(ExecPluginError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('of kubeconfig user "aks-user" failed with exit code 3');
    expect(err.message).toContain("AADSTS70043");
    for (const shown of [err.message, JSON.stringify(err), inspect(err)])
      expect(shown).not.toContain("tok-0-s3cr3tvalue");
  });

  it.each([
    ["not json", /not JSON/],
    [
      '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"x"}}',
      /apiVersion "client.authentication.k8s.io\/v1beta1", but the kubeconfig asks for "client.authentication.k8s.io\/v1"/,
    ],
    ['{"apiVersion":"client.authentication.k8s.io/v1","kind":"Other"}', /kind "Other"/],
    [
      '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}',
      /without status.token/,
    ],
    [
      '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}}',
      /invalid status.expirationTimestamp/,
    ],
    [
      '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"c","clientKeyData":"k"}}',
      /returned a client certificate/,
    ],
  ])("refuses unusable plugin output %#", async (stdout, message) => {
    writeFileSync(`${fx.dir}/stdout`, stdout);
    const provider = execCredentials(execConfig(), cluster, { stdinIsTerminal: false });
    const err = await provider.getAuthHeaders().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecPluginError);
    expect((err as Error).message).toMatch(message);
  });

  it("refuses interactiveMode Always without a terminal, and passes interactive when there is one", async () => {
    const always = execCredentials(execConfig({ interactiveMode: "Always" }), cluster, {
      stdinIsTerminal: false,
    });
    await expect(always.getAuthHeaders()).rejects.toThrow(/needs an interactive terminal/);
    expect(existsSync(`${fx.dir}/count`)).toBe(false);
    const ifAvailable = execCredentials(execConfig({ interactiveMode: "IfAvailable" }), cluster, {
      stdinIsTerminal: true,
    });
    await ifAvailable.getAuthHeaders();
    expect(execInfo()).toMatchObject({ spec: { interactive: true } });
    const never = execCredentials(execConfig({ interactiveMode: "Never" }), cluster, {
      stdinIsTerminal: true,
    });
    await never.getAuthHeaders({ forceRefresh: true });
    expect(execInfo()).toMatchObject({ spec: { interactive: false } });
  });

  it("kills a plugin that hangs past its timeout, and one whose request is aborted", async () => {
    const hang = fx.write("hang.sh", "#!/bin/sh\nsleep 30\n");
    chmodSync(hang, 0o755);
    const slow = execCredentials(execConfig({ command: hang }), cluster, {
      stdinIsTerminal: false,
      timeoutMs: 200,
    });
    await expect(slow.getAuthHeaders()).rejects.toThrow(/did not finish within 200 ms/);
    const aborted = execCredentials(execConfig({ command: hang }), cluster, { stdinIsTerminal: false });
    await expect(aborted.getAuthHeaders({ signal: AbortSignal.timeout(100) })).rejects.toBeInstanceOf(
      AbortError,
    );
  });
});

describe("exec plugin through the client", () => {
  let server: MswServer;
  beforeAll(async () => {
    server = await startMswServer();
  });
  afterAll(() => server.close());

  it("fetches a new token when the API server answers 401 to the cached one", async () => {
    const seen: string[] = [];
    server.use(
      http.get(`${server.url}/api/v1/namespaces/default/configmaps/cm`, ({ request }) => {
        const auth = request.headers.get("authorization") ?? "";
        seen.push(auth);
        if (auth === "Bearer tok-1-s3cr3tvalue") {
          return HttpResponse.json(
            { kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 },
            { status: 401 },
          );
        }
        return HttpResponse.json({ kind: "ConfigMap", metadata: { name: "cm" } });
      }),
    );
    const path = fx.write(
      "kubeconfig",
      simpleKubeconfig({
        server: server.url,
        user: {
          exec: {
            command: "./plugin.sh",
            apiVersion: V1,
            interactiveMode: "Never",
            env: [{ name: "API_VERSION", value: V1 }],
          },
        },
      }),
    );
    const kube = new KubeClient({
      config: loadKubeConfig({ kubeconfig: path }),
      exec: { stdinIsTerminal: false },
    });
    expect((await kube.configMaps.get("cm")).metadata?.name).toBe("cm");
    expect(seen).toEqual(["Bearer tok-1-s3cr3tvalue", "Bearer tok-2-s3cr3tvalue"]);
    await kube.close();
  });
});
