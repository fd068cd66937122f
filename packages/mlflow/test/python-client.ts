import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./python/crosscheck.py", import.meta.url));

/**
 * Runs one command of `python/crosscheck.py` with MLflow's own Python client against `trackingUri`
 * and returns its JSON answer. Bounded by `timeoutMs` (default 120 s); stderr is included in errors.
 */
export function runPython<T>(
  python: string,
  trackingUri: string,
  command: string,
  args: unknown,
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [SCRIPT, command, JSON.stringify(args)],
      {
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri, PYTHONUNBUFFERED: "1" },
      },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`python ${command} failed: ${err.message}\n${stderr.slice(-4000)}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as T);
        } catch {
          reject(
            new Error(`python ${command} printed no JSON: ${stdout.slice(0, 500)}\n${stderr.slice(-2000)}`),
          );
        }
      },
    );
  });
}
