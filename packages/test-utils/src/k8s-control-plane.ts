import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Agent, request } from "undici";
import { freePort } from "./mlflow-server.ts";
import { createTestCa } from "./test-pki.ts";

const run = promisify(execFile);

/** Root of the repository (two levels above packages/test-utils/src). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The Kubernetes version scripts/install-k8s.sh builds. */
export const K8S_VERSION = "1.37.2";

/** Where scripts/install-k8s.sh puts the binaries (`$K8S_TIER_DIR/bin`). */
export const K8S_BIN_DIR = join(
  process.env.K8S_TIER_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "modeltrail", `k8s-tier-${K8S_VERSION}`),
  "bin",
);

const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok"];

/** A running local control plane. */
export interface K8sControlPlane {
  /** API server URL, `https://127.0.0.1:<port>`. */
  server: string;
  /** A kubeconfig (admin client certificate, context `modeltrail-test`, namespace `default`). */
  kubeconfig: string;
  /** The same cluster with the admin bearer token instead of the certificate. */
  tokenKubeconfig: string;
  /** The kubectl binary of the same Kubernetes version. */
  kubectl: string;
  /** PEM of the cluster CA. */
  ca: string;
  /** Directory holding PKI, etcd data and logs (removed by `stop`). */
  dir: string;
  /** Process ids by component. */
  pids: Record<string, number>;
  /** The last lines of a component's log. */
  logTail(component: string, lines?: number): string;
  /** Stops every component (by pid, in reverse start order) and removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startK8sControlPlane}. */
export interface StartK8sControlPlaneOptions {
  /** Directory of the binaries (default {@link K8S_BIN_DIR}). */
  binDir?: string;
  /** How long to wait for the whole control plane, in ms (default 180 000). */
  startTimeoutMs?: number;
}

/**
 * Starts a real Kubernetes control plane on 127.0.0.1 with no container runtime: etcd,
 * kube-apiserver (generated certificates, RBAC, a static admin token), kube-controller-manager,
 * kube-scheduler and kwok playing one node (`kwok-node-0`, Stages in scripts/k8s-tier/kwok-stages.yaml),
 * on free ports, each in its own process group. Waits until the node is Ready and the `default`
 * service account exists. Throws when a binary is missing ("run scripts/install-k8s.sh") or a
 * component does not come up (with the tail of its log); what was started is stopped then.
 */
export async function startK8sControlPlane(
  options: StartK8sControlPlaneOptions = {},
): Promise<K8sControlPlane> {
  const bin = options.binDir ?? K8S_BIN_DIR;
  const missing = BINARIES.filter((b) => !existsSync(join(bin, b)));
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes binaries missing in ${bin} (${missing.join(", ")}): run scripts/install-k8s.sh`,
    );
  }
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  const dir = await mkdtemp(join(tmpdir(), "modeltrail-k8s-"));
  const children: Array<{ name: string; child: ChildProcess }> = [];
  const logFile = (name: string) => join(dir, `${name}.log`);
  const logTail = (name: string, lines = 30) => {
    try {
      return readFileSync(logFile(name), "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const { child } of [...children].reverse()) await killGroup(child);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    // PKI: a CA, the API server's serving certificate, an admin client certificate, the service
    // account signing key pair, and a static admin token.
    const pki = join(dir, "pki");
    const ca = createTestCa(pki, "modeltrail-k8s-ca");
    const serving = ca.issue({
      name: "apiserver",
      cn: "kube-apiserver",
      usage: "server",
      ips: ["127.0.0.1", "10.96.0.1"],
      dns: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
      ],
    });
    const admin = ca.issue({ name: "admin", cn: "admin", orgs: ["system:masters"], usage: "client" });
    execFileSync("openssl", ["genrsa", "-out", join(pki, "sa.key"), "2048"], { stdio: "ignore" });
    execFileSync("openssl", ["rsa", "-in", join(pki, "sa.key"), "-pubout", "-out", join(pki, "sa.pub")], {
      stdio: "ignore",
    });
    const token = randomBytes(24).toString("hex");
    writeFileSync(join(pki, "tokens.csv"), `${token},admin-token,admin-token-uid,"system:masters"\n`, {
      mode: 0o600,
    });

    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigOf = (user: Record<string, string>) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "modeltrail-test",
        clusters: [
          { name: "modeltrail-test", cluster: { server, "certificate-authority-data": b64(ca.cert) } },
        ],
        users: [{ name: "admin", user }],
        contexts: [
          {
            name: "modeltrail-test",
            context: { cluster: "modeltrail-test", user: "admin", namespace: "default" },
          },
        ],
      });
    const kubeconfig = join(dir, "admin.kubeconfig");
    writeFileSync(
      kubeconfig,
      kubeconfigOf({ "client-certificate-data": b64(admin.cert), "client-key-data": b64(admin.key) }),
      {
        mode: 0o600,
      },
    );
    const tokenKubeconfig = join(dir, "token.kubeconfig");
    writeFileSync(tokenKubeconfig, kubeconfigOf({ token }), { mode: 0o600 });

    const start = (name: string, args: string[]) => {
      const fd = openSync(logFile(name), "a");
      try {
        const child = spawn(join(bin, name), args, { detached: true, stdio: ["ignore", fd, fd] });
        child.on("error", () => {});
        children.push({ name, child });
      } finally {
        closeSync(fd);
      }
    };
    const waitFor = async (name: string, probe: () => Promise<boolean>) => {
      while (!(await probe().catch(() => false))) {
        const entry = children.find((c) => c.name === name);
        if (entry && entry.child.exitCode !== null) {
          throw new Error(`${name} exited with code ${entry.child.exitCode}. Log tail:\n${logTail(name)}`);
        }
        if (Date.now() > deadline)
          throw new Error(`${name} did not become ready in time. Log tail:\n${logTail(name)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    const trusted = new Agent({ connect: { ca: ca.cert } });
    const ok = async (url: string, dispatcher?: Agent, headers: Record<string, string> = {}) => {
      const res = await request(url, { dispatcher, headers, headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.dump();
      return res.statusCode === 200;
    };

    start("etcd", [
      "--name=modeltrail-test",
      `--data-dir=${join(dir, "etcd-data")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=modeltrail-test=http://127.0.0.1:${etcdPeerPort}`,
      "--unsafe-no-fsync",
      "--quota-backend-bytes=2147483648",
      "--log-level=warn",
    ]);
    await waitFor("etcd", () => ok(`http://127.0.0.1:${etcdPort}/health`));

    start("kube-apiserver", [
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--client-ca-file=${ca.certFile}`,
      `--tls-cert-file=${serving.certFile}`,
      `--tls-private-key-file=${serving.keyFile}`,
      `--token-auth-file=${join(pki, "tokens.csv")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(pki, "sa.pub")}`,
      `--service-account-signing-key-file=${join(pki, "sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      "--endpoint-reconciler-type=none",
      "--profiling=false",
    ]);
    await waitFor("kube-apiserver", () =>
      ok(`${server}/readyz`, trusted, { authorization: `Bearer ${token}` }),
    );

    const kc = [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
    ];
    start("kube-controller-manager", [
      ...kc,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      "--leader-elect=false",
      `--root-ca-file=${ca.certFile}`,
      `--service-account-private-key-file=${join(pki, "sa.key")}`,
      `--cluster-signing-cert-file=${ca.certFile}`,
      `--cluster-signing-key-file=${ca.keyFile}`,
      "--profiling=false",
    ]);
    start("kube-scheduler", [
      ...kc,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedPort}`,
      "--leader-elect=false",
      "--profiling=false",
    ]);
    start("kwok", [
      `--config=${join(REPO_ROOT, "scripts", "k8s-tier", "kwok-stages.yaml")}`,
      `--kubeconfig=${kubeconfig}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--cidr=10.244.0.0/16",
      "--node-ip=10.0.0.1",
    ]);
    await waitFor("kube-controller-manager", () => ok(`https://127.0.0.1:${kcmPort}/healthz`, insecure));
    await waitFor("kube-scheduler", () => ok(`https://127.0.0.1:${schedPort}/healthz`, insecure));
    await waitFor("kwok", () => ok(`http://127.0.0.1:${kwokPort}/healthz`));
    await Promise.all([insecure.close(), trusted.close()]);

    const kubectl = join(bin, "kubectl");
    const node = JSON.stringify({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: "kwok-node-0",
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          type: "kwok",
          "kubernetes.io/hostname": "kwok-node-0",
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
        },
      },
    });
    const nodeFile = join(dir, "node.json");
    writeFileSync(nodeFile, node);
    await run(kubectl, ["--kubeconfig", kubeconfig, "apply", "--server-side", "-f", nodeFile], {
      timeout: 60_000,
    });
    const kubectlOk = (args: string[]) => () =>
      run(kubectl, ["--kubeconfig", kubeconfig, ...args], { timeout: 10_000 }).then(() => true);
    await waitFor("kwok", kubectlOk(["wait", "--for=condition=Ready", "node/kwok-node-0", "--timeout=2s"]));
    await waitFor(
      "kube-controller-manager",
      kubectlOk(["get", "serviceaccount", "default", "-n", "default"]),
    );

    const pids: Record<string, number> = {};
    for (const { name, child } of children) if (child.pid !== undefined) pids[name] = child.pid;
    return { server, kubeconfig, tokenKubeconfig, kubectl, ca: ca.cert, dir, pids, logTail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

/** SIGTERM to the process group, SIGKILL after 10 s; bounded. */
async function killGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 10_000);
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (giveUp = setTimeout(r, 15_000)))]);
  clearTimeout(timer);
  clearTimeout(giveUp);
}
