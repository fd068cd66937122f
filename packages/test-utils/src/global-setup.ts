import type { TestProject } from "vitest/node";
import { startMlflowServer } from "./mlflow-server.js";

declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the MLflow tracking server the integration tests use. */
    mlflowUri: string;
    /** Python of the MLflow virtualenv, for cross-checks with MLflow's own client ("" when absent). */
    mlflowPython: string;
    /** Directory where the local MLflow server stores proxied artifacts ("" for an external server). */
    mlflowArtifactsDir: string;
  }
}

/**
 * Global setup of the integration project: starts a local MLflow server (or uses
 * MLFLOW_TRACKING_URI) and provides its URL to tests (`inject("mlflowUri")`). Teardown stops it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mlflow = await startMlflowServer();
  project.provide("mlflowUri", mlflow.url);
  project.provide("mlflowPython", mlflow.python);
  project.provide("mlflowArtifactsDir", mlflow.artifactsDir);
  return async () => {
    await mlflow.stop();
  };
}
