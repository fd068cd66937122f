/** A stream the CLI writes to: `process.stdout`, `process.stderr`, or a capture in tests and the action. */
export interface CliStream {
  write(chunk: string): unknown;
  /** True when the stream is a terminal (progress bars are drawn only then). */
  isTTY?: boolean | undefined;
  /** Terminal width, when a terminal. */
  columns?: number | undefined;
}

/**
 * What one invocation of the CLI reads and writes. `runCli` defaults each to the real process;
 * tests and the GitHub Action pass their own.
 */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** Environment variables (the same ones the libraries read: `MLFLOW_*`, `DATABRICKS_*`, `KUBECONFIG`, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory that relative paths are resolved against. */
  cwd: string;
  /** Aborts the running command (Ctrl-C). */
  signal?: AbortSignal | undefined;
}
