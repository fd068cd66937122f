import { inspect } from "node:util";
import { ConfigError } from "@modeltrail/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inClusterConfig, kubeconfigPaths, loadKubeConfig } from "../src/index.js";
import { b64, type FixtureDir, fixtureDir, simpleKubeconfig } from "./kubeconfig-fixtures.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEsecretkeymaterial0123\n-----END PRIVATE KEY-----\n";

let fx: FixtureDir;
beforeEach(() => {
  fx = fixtureDir();
});
afterEach(() => fx.cleanup());

/** The ConfigError a function throws (fails the test if it throws nothing else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("which files", () => {
  it("merges the KUBECONFIG files in order: first definition of a name wins, whole", () => {
    const a = fx.write("a.yaml", {
      "current-context": "one",
      clusters: [{ name: "shared", cluster: { server: "https://a.example:6443" } }],
      users: [{ name: "u", user: { token: "token-from-a" } }],
      contexts: [{ name: "one", context: { cluster: "shared", user: "u" } }],
    });
    const b = fx.write("b.yaml", {
      "current-context": "two",
      clusters: [
        { name: "shared", cluster: { server: "https://b.example:6443", "tls-server-name": "from-b" } },
        { name: "only-b", cluster: { server: "https://only-b.example" } },
      ],
      users: [{ name: "u", user: { username: "bob", password: "pw-from-b" } }],
      contexts: [
        { name: "one", context: { cluster: "only-b", user: "u", namespace: "from-b" } },
        { name: "two", context: { cluster: "only-b", user: "u", namespace: "ns-two" } },
      ],
    });
    const env = { KUBECONFIG: `${a}::${fx.dir}/missing.yaml:${b}:${a}`, HOME: fx.dir };
    expect(kubeconfigPaths({ env })).toEqual([a, b]);
    const cfg = loadKubeConfig({ env });
    expect(cfg.files).toEqual([a, b]);
    expect(cfg.context).toBe("one"); // a's current-context wins
    expect(cfg.cluster.server).toBe("https://a.example:6443");
    expect(cfg.cluster.tlsServerName).toBeUndefined(); // entries are not merged field by field
    expect(cfg.user.auth).toEqual({ method: "token", token: "token-from-a" });
    expect(cfg.namespace).toBe("default");
    const two = loadKubeConfig({ env, context: "two" });
    expect(two.cluster.server).toBe("https://only-b.example");
    expect(two.namespace).toBe("ns-two");
    expect(loadKubeConfig({ env, context: "two", namespace: "override" }).namespace).toBe("override");
  });

  it("falls back to ~/.kube/config, and an explicit path must exist", () => {
    fx.write(".kube/config", simpleKubeconfig({ server: "https://home.example" }));
    expect(loadKubeConfig({ env: { HOME: fx.dir } }).cluster.server).toBe("https://home.example");
    expect(loadKubeConfig({ env: { HOME: fx.dir, KUBECONFIG: "" } }).cluster.server).toBe(
      "https://home.example",
    );
    const err = configError(() => loadKubeConfig({ kubeconfig: `${fx.dir}/nope.yaml` }));
    expect(err.message).toContain(`${fx.dir}/nope.yaml does not exist`);
  });

  it("says where configuration could come from when there is none", () => {
    const err = configError(() => loadKubeConfig({ env: { HOME: fx.dir } }));
    expect(err.message).toMatch(/No Kubernetes configuration: no kubeconfig file was found/);
    expect(err.sources).toEqual(["KUBECONFIG", "~/.kube/config", "KUBERNETES_SERVICE_HOST"]);
  });

  it("resolves relative paths against the file that holds them", () => {
    fx.write("certs/ca.crt", PEM);
    fx.write("certs/client.crt", PEM.replace("fake", "client"));
    fx.write("certs/client.key", KEY);
    fx.write("certs/token", "file-token\n");
    const path = fx.write("conf/kubeconfig", {
      "current-context": "c",
      clusters: [
        { name: "c", cluster: { server: "https://x:6443", "certificate-authority": "../certs/ca.crt" } },
      ],
      users: [
        {
          name: "cert",
          user: { "client-certificate": "../certs/client.crt", "client-key": "../certs/client.key" },
        },
        { name: "tf", user: { tokenFile: "../certs/token" } },
        {
          name: "ex",
          user: { exec: { command: "./bin/plugin", apiVersion: "client.authentication.k8s.io/v1beta1" } },
        },
        {
          name: "ex2",
          user: { exec: { command: "kubelogin", apiVersion: "client.authentication.k8s.io/v1beta1" } },
        },
      ],
      contexts: [
        { name: "c", context: { cluster: "c", user: "cert" } },
        { name: "tf", context: { cluster: "c", user: "tf" } },
        { name: "ex", context: { cluster: "c", user: "ex" } },
        { name: "ex2", context: { cluster: "c", user: "ex2" } },
      ],
    });
    const cfg = loadKubeConfig({ kubeconfig: path });
    expect(cfg.cluster.ca).toBe(PEM);
    expect(cfg.user.clientCert).toContain("client");
    expect(cfg.user.clientKey).toBe(KEY);
    expect(loadKubeConfig({ kubeconfig: path, context: "tf" }).user.auth).toEqual({
      method: "token-file",
      tokenFile: `${fx.dir}/certs/token`,
    });
    const ex = loadKubeConfig({ kubeconfig: path, context: "ex" }).user.auth;
    expect(ex.method === "exec" && ex.exec.command).toBe(`${fx.dir}/conf/bin/plugin`);
    const ex2 = loadKubeConfig({ kubeconfig: path, context: "ex2" }).user.auth;
    expect(ex2.method === "exec" && ex2.exec.command).toBe("kubelogin"); // looked up on PATH
  });
});

describe("clusters", () => {
  it("decodes certificate-authority-data (which wins over the file) and keeps tls-server-name and proxy-url", () => {
    const path = fx.write(
      "k",
      simpleKubeconfig({
        server: "https://10.0.0.1:6443/",
        cluster: {
          "certificate-authority-data": b64(PEM),
          "certificate-authority": "/does/not/matter",
          "tls-server-name": "kube.internal",
          "proxy-url": "socks5://127.0.0.1:1080",
        },
      }),
    );
    const { cluster } = loadKubeConfig({ kubeconfig: path });
    expect(cluster).toEqual({
      name: "test",
      server: "https://10.0.0.1:6443",
      ca: PEM,
      insecureSkipTlsVerify: false,
      tlsServerName: "kube.internal",
      proxyUrl: "socks5://127.0.0.1:1080",
    });
  });

  it("skips TLS verification only when insecure-skip-tls-verify is set, and never together with a CA", () => {
    const plain = fx.write("plain", simpleKubeconfig({ server: "https://x" }));
    expect(loadKubeConfig({ kubeconfig: plain }).cluster.insecureSkipTlsVerify).toBe(false);
    const insecure = fx.write(
      "insecure",
      simpleKubeconfig({ server: "https://x", cluster: { "insecure-skip-tls-verify": true } }),
    );
    expect(loadKubeConfig({ kubeconfig: insecure }).cluster.insecureSkipTlsVerify).toBe(true);
    const both = fx.write(
      "both",
      simpleKubeconfig({
        server: "https://x",
        cluster: { "insecure-skip-tls-verify": true, "certificate-authority-data": b64(PEM) },
      }),
    );
    expect(configError(() => loadKubeConfig({ kubeconfig: both })).message).toContain(
      `cluster "test" in ${both} sets both insecure-skip-tls-verify and a certificate authority`,
    );
  });

  it.each([
    [{ server: "" }, /has no server/],
    [{ server: "not a url" }, /malformed server URL/],
    [{ server: "ftp://x" }, /unsupported server URL scheme "ftp:"/],
    [
      { server: "https://x", "certificate-authority-data": "%%%" },
      /certificate-authority-data is not valid base64/,
    ],
    [{ server: "https://x", "certificate-authority-data": b64("not pem") }, /does not decode to PEM/],
    [
      { server: "https://x", "certificate-authority": "/no/such/ca.crt" },
      /Cannot read \/no\/such\/ca.crt, the cluster "test" in .*: certificate-authority/,
    ],
    [{ server: "https://x", "proxy-url": "ftp://proxy" }, /proxy-url with unsupported scheme "ftp:"/],
  ])("refuses a broken cluster %#, naming the file and field", (cluster, message) => {
    const path = fx.write("k", {
      "current-context": "c",
      clusters: [{ name: "test", cluster }],
      contexts: [{ name: "c", context: { cluster: "test" } }],
    });
    const err = configError(() => loadKubeConfig({ kubeconfig: path }));
    expect(err.message).toMatch(message);
    expect(err.message).toContain(path);
  });
});

describe("contexts", () => {
  it("names the context and file when the context, cluster or user is missing", () => {
    const path = fx.write("k", {
      "current-context": "ghost",
      clusters: [{ name: "c", cluster: { server: "https://x" } }],
      contexts: [
        { name: "no-cluster", context: { cluster: "nope" } },
        { name: "no-user", context: { cluster: "c", user: "nobody" } },
      ],
    });
    expect(configError(() => loadKubeConfig({ kubeconfig: path })).message).toContain(
      `context "ghost" (current-context in ${path}) is not defined`,
    );
    expect(configError(() => loadKubeConfig({ kubeconfig: path, context: "no-cluster" })).message).toContain(
      `cluster "nope" of the kubeconfig context "no-cluster" in ${path} is not defined`,
    );
    expect(configError(() => loadKubeConfig({ kubeconfig: path, context: "no-user" })).message).toContain(
      `user "nobody" of the kubeconfig context "no-user" in ${path} is not defined`,
    );
  });

  it("asks for a context when none is current, listing the ones there are", () => {
    const path = fx.write("k", { contexts: [{ name: "a", context: { cluster: "x" } }] });
    const err = configError(() => loadKubeConfig({ kubeconfig: path }));
    expect(err.message).toContain("sets no current-context");
    expect(err.hint).toContain("contexts: a");
  });

  it("reports invalid YAML with its line and wrong field types with their path", () => {
    const yamlPath = fx.write("bad.yaml", "clusters:\n  - name: a\n    cluster: {server: [\n");
    expect(configError(() => loadKubeConfig({ kubeconfig: yamlPath })).message).toMatch(
      /is not valid YAML \(line \d+/,
    );
    const typed = fx.write("typed.yaml", {
      clusters: [{ name: "a", cluster: { "insecure-skip-tls-verify": "yes" } }],
    });
    expect(configError(() => loadKubeConfig({ kubeconfig: typed })).message).toContain(
      "clusters[0].cluster.insecure-skip-tls-verify",
    );
    const kind = fx.write("kind.yaml", { kind: "Deployment" });
    expect(configError(() => loadKubeConfig({ kubeconfig: kind })).message).toContain(
      'has kind "Deployment"',
    );
  });
});

describe("users", () => {
  const load = (user: Record<string, unknown>) =>
    loadKubeConfig({ kubeconfig: fx.write("k", simpleKubeconfig({ server: "https://x", user })) });

  it("reads client certificate and key data", () => {
    const cfg = load({ "client-certificate-data": b64(PEM), "client-key-data": b64(KEY) });
    expect(cfg.user.clientCert).toBe(PEM);
    expect(cfg.user.clientKey).toBe(KEY);
    expect(cfg.user.auth).toEqual({ method: "none" });
  });

  it("reads basic auth, exec plugins and impersonation", () => {
    expect(load({ username: "admin", password: "pw-1234" }).user.auth).toEqual({
      method: "basic",
      username: "admin",
      password: "pw-1234",
    });
    const exec = load({
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: "kubelogin",
        args: ["get-token", "--login", "azurecli"],
        env: [{ name: "AAD_LOGIN_METHOD", value: "azurecli" }],
        installHint: "brew install Azure/kubelogin/kubelogin",
        interactiveMode: "Never",
        provideClusterInfo: true,
      },
    }).user.auth;
    expect(exec).toMatchObject({
      method: "exec",
      exec: {
        command: "kubelogin",
        args: ["get-token", "--login", "azurecli"],
        env: { AAD_LOGIN_METHOD: "azurecli" },
        interactiveMode: "Never",
        provideClusterInfo: true,
        installHint: "brew install Azure/kubelogin/kubelogin",
      },
    });
    expect(load({ token: "t-123456", as: "jane", "as-groups": ["devs"] }).user.impersonate).toEqual({
      user: "jane",
      uid: undefined,
      groups: ["devs"],
      extra: {},
    });
  });

  it.each([
    [{ token: "t", username: "u", password: "p" }, /more than one authentication method \(token, basic\)/],
    [
      { tokenFile: "/x", exec: { command: "c", apiVersion: "client.authentication.k8s.io/v1beta1" } },
      /token, exec/,
    ],
    [{ "client-certificate-data": b64(PEM) }, /client certificate without a key/],
    [{ "client-key-data": b64(KEY) }, /client key without a certificate/],
    [{ "auth-provider": { name: "azure" } }, /auth-provider "azure", which modeltrail does not support/],
    [{ exec: { command: "c" } }, /exec plugin without apiVersion/],
    [
      { exec: { command: "c", apiVersion: "client.authentication.k8s.io/v1alpha1" } },
      /v1alpha1", which is not supported/,
    ],
    [
      { exec: { command: "c", apiVersion: "client.authentication.k8s.io/v1" } },
      /v1 exec plugin without interactiveMode/,
    ],
    [
      { exec: { command: "c", apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "Sometimes" } },
      /invalid interactiveMode/,
    ],
    [{ exec: { apiVersion: "client.authentication.k8s.io/v1beta1" } }, /exec plugin without command/],
    [{ password: "p" }, /password but no username/],
    [{ "as-groups": ["g"] }, /without "as"/],
  ])("refuses a broken user %#, naming the user and file", (user, message) => {
    const err = configError(() => load(user));
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`user "test" in ${fx.dir}/k`);
  });

  it("defaults a v1beta1 exec plugin's interactiveMode to IfAvailable", () => {
    const auth = load({ exec: { command: "c", apiVersion: "client.authentication.k8s.io/v1beta1" } }).user
      .auth;
    expect(auth.method === "exec" && auth.exec.interactiveMode).toBe("IfAvailable");
  });

  it("keeps tokens, passwords and keys out of JSON and inspect output", () => {
    const cfg = load({
      token: "super-secret-token-value",
      "client-certificate-data": b64(PEM),
      "client-key-data": b64(KEY),
    });
    expect(JSON.stringify(cfg)).not.toContain("super-secret-token-value");
    expect(JSON.stringify(cfg)).not.toContain("secretkeymaterial");
    expect(inspect(cfg, { depth: 10 })).not.toContain("super-secret-token-value");
    expect(inspect(cfg, { depth: 10 })).not.toContain("secretkeymaterial");
  });
});

describe("in-cluster", () => {
  const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443", HOME: "/nonexistent" };

  it("reads the service account's token file, CA and namespace", () => {
    fx.write("sa/token", "sa-token");
    fx.write("sa/ca.crt", PEM);
    fx.write("sa/namespace", "serving\n");
    const cfg = loadKubeConfig({ env, serviceAccountDir: `${fx.dir}/sa` });
    expect(cfg).toMatchObject({
      source: "in-cluster",
      namespace: "serving",
      cluster: { server: "https://10.96.0.1:443", ca: PEM, insecureSkipTlsVerify: false },
    });
    expect(cfg.user.auth).toEqual({ method: "token-file", tokenFile: `${fx.dir}/sa/token` });
    expect(
      inClusterConfig({
        env: { ...env, KUBERNETES_SERVICE_HOST: "fd00::1" },
        serviceAccountDir: `${fx.dir}/sa`,
      }).cluster.server,
    ).toBe("https://[fd00::1]:443");
  });

  it("prefers a kubeconfig, and explains what is missing in a pod", () => {
    fx.write(".kube/config", simpleKubeconfig({ server: "https://home.example" }));
    expect(loadKubeConfig({ env: { ...env, HOME: fx.dir } }).source).toBe("kubeconfig");
    expect(configError(() => loadKubeConfig({ env, serviceAccountDir: `${fx.dir}/none` })).message).toContain(
      "service account token",
    );
    expect(configError(() => inClusterConfig({ env: {} })).message).toContain("KUBERNETES_SERVICE_HOST");
    fx.write("sa2/token", "t");
    fx.write("sa2/ca.crt", PEM);
    expect(inClusterConfig({ env, serviceAccountDir: `${fx.dir}/sa2` }).namespace).toBe("default");
  });
});

describe("a server URL that is not a clean URL", () => {
  it.each([
    ["a tab", "https://10.0.0.1:64\t43"],
    ["a newline", "https://kube.example\n.evil.example"],
  ])("with %s is refused, not repaired by the URL parser", (_, server) => {
    const file = fx.write("tab", simpleKubeconfig({ server }));
    const err = configError(() => loadKubeConfig({ kubeconfig: file, inCluster: false }));
    expect(err.message).toMatch(/server URL with control characters/);
  });

  it.each([
    ["a space and a second @", "https://admin:s3 cr@t-kube-pw@kube example"],
    ["a broken percent-encoding", "https://admin:s3cr%t-kube-pw@kube example"],
  ])("that is malformed, with %s in its password, is reported without the password", (_, server) => {
    const file = fx.write("bad", simpleKubeconfig({ server }));
    const err = configError(() => loadKubeConfig({ kubeconfig: file, inCluster: false }));
    expect(err.message).toMatch(/malformed server URL/);
    const all = `${err.message}\n${JSON.stringify(err)}\n${inspect(err)}\n${err.stack}`;
    expect(all).not.toContain("kube-pw");
    expect(all).not.toMatch(/s3 ?cr/);
  });
});
