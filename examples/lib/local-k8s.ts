/**
 * The demo's Kubernetes control plane for `--k8s`: the same launcher the k8s integration tests use
 * (etcd, kube-apiserver, controller-manager, scheduler, and kwok playing the node, so pods "run"
 * without a container runtime), imported by path because the test-utils package is private and not
 * built. The binaries come from `scripts/install-k8s.sh` (cached under ~/.cache/modeltrail).
 */
import {
  K8S_BIN_DIR,
  type K8sControlPlane,
  startK8sControlPlane,
} from "../../packages/test-utils/src/k8s-control-plane.ts";

/** A running local control plane: `kubeconfig` is an admin kubeconfig for it. */
export type LocalK8s = K8sControlPlane;

/** Where the control plane's binaries are expected. */
export const LOCAL_K8S_BIN_DIR: string = K8S_BIN_DIR;

/**
 * Starts the local control plane on 127.0.0.1 (free ports, a temporary directory) and waits until
 * its node is Ready. Throws when the binaries are missing ("run scripts/install-k8s.sh") or a
 * component does not come up (with its log tail). Stop it with `stop()`.
 */
export function startLocalK8s(): Promise<LocalK8s> {
  return startK8sControlPlane({ startTimeoutMs: 240_000 });
}
