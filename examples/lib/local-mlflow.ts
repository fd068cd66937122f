/**
 * The demo's MLflow tracking server: the same launcher the integration tests use (one place that
 * knows how to start, health-check and stop `mlflow server` from `.tools/mlflow-venv`), imported
 * by path because the test-utils package is private and not built.
 */
import { type MlflowServer, startMlflowServer } from "../../packages/test-utils/src/mlflow-server.ts";

/** A running MLflow tracking server: one this process started, or the one MLFLOW_TRACKING_URI names. */
export type LocalMlflow = MlflowServer;

/** Options of {@link startLocalMlflow}. */
export interface StartLocalMlflowOptions {
  /** Aborts the wait for `/health` (the server is then stopped). */
  signal?: AbortSignal;
}

/**
 * Starts `mlflow server` on 127.0.0.1 with a sqlite backend and served artifacts in a temporary
 * directory and warms up its stores, or uses (and health-checks) the server MLFLOW_TRACKING_URI
 * names. Throws when MLflow is not installed (run `bash scripts/install-mlflow.sh`, or use
 * `./scripts/dev pnpm demo`), when the server does not come up, or when the external one does not answer.
 */
export function startLocalMlflow(options: StartLocalMlflowOptions = {}): Promise<LocalMlflow> {
  return startMlflowServer({
    checkExternal: true,
    warmUp: true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
