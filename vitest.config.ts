import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string, entry = "index") =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

/**
 * Workspace packages resolve to their sources, so tests never depend on a stale build. A subpath
 * entry comes before its package: the first alias whose key prefixes the import wins.
 */
const alias = {
  "@modeltrail/core/internal": pkg("core", "internal"),
  "@modeltrail/core": pkg("core"),
  "@modeltrail/mlflow": pkg("mlflow"),
  "@modeltrail/databricks": pkg("databricks"),
  "@modeltrail/registry": pkg("registry"),
  "@modeltrail/k8s": pkg("k8s"),
  "@modeltrail/cli": pkg("cli"),
  "@modeltrail/openlineage": pkg("openlineage"),
  "@modeltrail/trace-html": pkg("trace-html"),
  "@modeltrail/test-utils": pkg("test-utils"),
};

/** CI asks for a machine-readable report next to the console output (`VITEST_JSON_REPORT=path`). */
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: jsonReport ? ["default", ["json", { outputFile: jsonReport }]] : ["default"],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "examples/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.dist.test.ts", "**/*.browser.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
          // set-ups that make test CAs and certificates with openssl (TLS tests) outlast the default 10 s under load
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.int.test.ts"],
          exclude: [
            "**/*.storage.int.test.ts",
            "packages/registry/**",
            "packages/k8s/**",
            "**/node_modules/**",
          ],
          globalSetup: ["packages/test-utils/src/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // What users install: each package's built dist (ESM and CJS), loaded with plain Node.
          // The global setup rebuilds a missing or stale dist first (CI has just run `pnpm build`).
          name: "dist",
          include: ["packages/*/test/**/*.dist.test.ts"],
          globalSetup: ["packages/test-utils/src/built-packages.ts"],
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "k8s-int",
          include: ["packages/k8s/test/**/*.int.test.ts"],
          globalSetup: ["packages/test-utils/src/k8s-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // Databricks-hosted MLflow against real storage emulators (Azurite, moto) on loopback ports
          name: "dbx-storage-int",
          include: ["packages/*/test/**/*.storage.int.test.ts"],
          globalSetup: ["packages/test-utils/src/dbx-storage-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // examples/serving (Python: FastAPI + MLflow in .tools/mlflow-venv, scripts/install-serving.sh),
          // and the step scripts of examples/steps end to end on the local deploy target (that app served)
          name: "serving",
          include: ["examples/serving/test/**/*.test.ts", "examples/test/**/*.int.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // trace() and verify() end to end: MLflow, a registry and the Kubernetes control plane at once
          name: "trace-e2e",
          include: ["e2e/**/*.e2e.test.ts"],
          globalSetup: ["packages/test-utils/src/trace-e2e-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // pages rendered in headless Chromium (Debian's chromium, scripts/install-chromium.sh;
          // driven by playwright-core): the trace page of @modeltrail/trace-html
          name: "browser",
          include: ["packages/*/test/**/*.browser.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "registry-int",
          include: ["packages/registry/test/**/*.int.test.ts"],
          globalSetup: ["packages/test-utils/src/registry-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
