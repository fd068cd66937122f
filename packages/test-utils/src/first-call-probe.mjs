// Makes the first call of each client from the built dist, with whatever `node` runs this script, and
// prints how each one failed, as JSON. The calls go to 127.0.0.1:9 (nothing listens there), so on a
// supported Node they fail with a NetworkError, and on an older Node with the ConfigError that names
// the versions. Usage: node first-call-probe.mjs <repo root> esm|cjs
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root, format] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const load = async (name, entry = "index") => {
  const file = join(root, "packages", name, "dist", `${entry}.${format === "cjs" ? "cjs" : "js"}`);
  return format === "cjs" ? require(file) : import(pathToFileURL(file).href);
};

const core = await load("core");
const coreInternal = await load("core", "internal");
const mlflow = await load("mlflow");
const databricks = await load("databricks");
const registry = await load("registry");
const k8s = await load("k8s");
const url = "http://127.0.0.1:9";
const noRetry = { maxRetries: 0 };

const calls = {
  "core HttpClient.request": () =>
    new coreInternal.HttpClient({ baseUrl: url, service: "probe", retry: noRetry }).request({ path: "/" }),
  "mlflow MlflowClient experiments.get": () =>
    new mlflow.MlflowClient({ trackingUri: url, retry: noRetry }).experiments.get("1"),
  "databricks DatabricksClient jobs.list": async () => {
    const client = new databricks.DatabricksClient({ host: url, token: "dapi-probe", retry: noRetry });
    for await (const _ of client.jobs.list()) break;
  },
  "registry RegistryClient tags": () =>
    new registry.RegistryClient({ plainHttp: true, retry: noRetry }).tags("127.0.0.1:9/team/model"),
  "k8s KubeClient deployments.list": async () => {
    const dir = mkdtempSync(join(tmpdir(), "modeltrail-first-call-"));
    try {
      const kubeconfig = join(dir, "config");
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          "current-context": "probe",
          clusters: [{ name: "probe", cluster: { server: url } }],
          users: [{ name: "probe", user: { token: "probe-token" } }],
          contexts: [{ name: "probe", context: { cluster: "probe", user: "probe" } }],
        }),
      );
      await new k8s.KubeClient({ kubeconfig, inCluster: false, retry: noRetry }).deployments.list();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const results = {};
for (const [name, call] of Object.entries(calls)) {
  try {
    await call();
    results[name] = { ok: true };
  } catch (err) {
    results[name] = {
      ok: false,
      name: err?.name,
      code: err?.code,
      isModelTrailError: core.isModelTrailError(err),
      message: err?.message,
    };
  }
}
process.stdout.write(JSON.stringify({ node: process.versions.node, results }));
