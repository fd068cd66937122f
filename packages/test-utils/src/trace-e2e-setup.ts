import type { TestProject } from "vitest/node";
import { startK8sControlPlane } from "./k8s-control-plane.js";
import { startMlflowServer } from "./mlflow-server.js";
import { startDistributionRegistry } from "./oci-registry.js";

/**
 * Global setup of the trace end-to-end tier: the servers of three tiers at once, as the other
 * setups start them: a local MLflow server (`mlflowUri`), an open distribution registry
 * (`openRegistry`) and the Kubernetes control plane (`kubeconfig`, `kubectl`). Teardown stops all.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => {
    await Promise.allSettled(stops.map((s) => s()));
  };
  try {
    const [mlflow, registry, plane] = await Promise.all([
      startMlflowServer().then((s) => {
        stops.push(() => s.stop());
        return s;
      }),
      startDistributionRegistry().then((r) => {
        stops.push(() => r.stop());
        return r;
      }),
      startK8sControlPlane().then((p) => {
        stops.push(() => p.stop());
        return p;
      }),
    ]);
    project.provide("mlflowUri", mlflow.url);
    project.provide("mlflowPython", mlflow.python);
    project.provide("mlflowArtifactsDir", mlflow.artifactsDir);
    project.provide("openRegistry", registry.host);
    project.provide("kubeconfig", plane.kubeconfig);
    project.provide("tokenKubeconfig", plane.tokenKubeconfig);
    project.provide("kubectl", plane.kubectl);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
