export {
  type PublishedPackage,
  publishedEntries,
  publishedPackages,
  REPO_ROOT,
  staleBuilds,
} from "./built-packages.js";
export {
  type CallOptionsProbe,
  callOptionsProbe,
  expectAbortReachesTransport,
  expectProbeReachedTransport,
  PROBE_HEADER,
  type PublicMethodName,
  recordTransport,
  type TransportCall,
} from "./call-options-probe.js";
export {
  K8S_BIN_DIR,
  K8S_VERSION,
  type K8sControlPlane,
  type StartK8sControlPlaneOptions,
  startK8sControlPlane,
} from "./k8s-control-plane.js";
export { type LocalProcess, startLocalProcess, waitUntilReady } from "./local-process.js";
export { loopbackDispatcher } from "./loopback-dispatcher.js";
export {
  freePort,
  MLFLOW_PYTHON,
  MLFLOW_VENV,
  type MlflowServer,
  type StartMlflowServerOptions,
  startMlflowServer,
} from "./mlflow-server.js";
export { type MswServer, type RecordedRequest, startMswServer } from "./msw-server.js";
export {
  DOCKER_REGISTRY_BIN,
  startDistributionRegistry,
  type TestRegistry,
  type TestRegistryAuth,
} from "./oci-registry.js";
export {
  assertDatabricksSdkInstalled,
  DATABRICKS_SDK_VERSION,
  installedPythonPackageVersion,
  type RunPythonJsonOptions,
  runPythonJson,
  TEST_PYTHON_DIR,
} from "./python-runner.js";
export { COSIGN_VERSION, ORAS_VERSION, ociToolPath, REGISTRY_TEST_USERS } from "./registry-global-setup.js";
export {
  type RegistryTokenServer,
  type RegistryTokenServerOptions,
  startRegistryTokenServer,
  type TokenRequestRecord,
} from "./registry-token-server.js";
export {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  DBX_VENV,
  type EmulatorServer,
  startAzurite,
  startMotoServer,
} from "./storage-emulators.js";
export { createTestCa, type TestCa, type TestCert, type TestCertRequest } from "./test-pki.js";
