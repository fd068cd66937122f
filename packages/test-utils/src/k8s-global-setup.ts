import type { TestProject } from "vitest/node";
import { startK8sControlPlane } from "./k8s-control-plane.js";

declare module "vitest" {
  interface ProvidedContext {
    /** Path of an admin kubeconfig (client certificate) of the local control plane. */
    kubeconfig: string;
    /** Path of an admin kubeconfig with a bearer token instead of the certificate. */
    tokenKubeconfig: string;
    /** kubectl of the same Kubernetes version, for cross-checks. */
    kubectl: string;
  }
}

/**
 * Global setup of the k8s integration project: starts a local Kubernetes control plane (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler, kwok) built by scripts/install-k8s.sh and
 * provides its kubeconfig and kubectl to the tests. Teardown stops it by pid.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const plane = await startK8sControlPlane();
  project.provide("kubeconfig", plane.kubeconfig);
  project.provide("tokenKubeconfig", plane.tokenKubeconfig);
  project.provide("kubectl", plane.kubectl);
  return async () => {
    await plane.stop();
  };
}
