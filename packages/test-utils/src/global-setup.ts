/**
 * Global setup for the integration project. Each service that integration tests need adds its
 * start-up here (see `mlflow-server.ts` once the MLflow package lands). With no integration tests
 * yet it does nothing.
 */
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
