/**
 * Progress bars for the demo's long transfers (the model download, the image build), drawn by the
 * `modeltrail` CLI's own bars (`Output.progress` of @modeltrail/cli, cli-progress underneath): on a
 * terminal only, never with `--json`, never when `CI` is set, on stderr so stdout stays readable.
 */
import { Output, type Progress } from "@modeltrail/cli";

let output: Output | undefined;

/** Sets up the bars once, from the demo's flags: `json` turns them off. */
export function configureProgress(options: { json: boolean }): void {
  output = new Output(
    { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
    { json: options.json, debug: false },
  );
}

/** A bar for one transfer (a no-op when bars are off or not configured). */
export function progress(
  label: string,
  options: { total?: number; unit?: "bytes" | "items" } = {},
): Progress {
  return (
    output?.progress(label, options) ?? {
      setTotal() {},
      update() {},
      stop() {},
    }
  );
}
