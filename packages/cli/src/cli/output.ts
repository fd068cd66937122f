import { redactText } from "@modeltrail/core/internal";
import cliProgress from "cli-progress";
import type { CliIo } from "./cli-io.js";

/** A progress bar, or nothing when the output is not a terminal. */
export interface Progress {
  /** Sets the total (bytes or steps), when it becomes known. */
  setTotal(total: number): void;
  /** Sets how much is done. */
  update(done: number, detail?: string): void;
  /** Removes the bar. */
  stop(): void;
}

const NO_PROGRESS: Progress = { setTotal() {}, update() {}, stop() {} };

/** How a command prints: `--json` or human text, and whether progress bars may be drawn. */
export interface OutputOptions {
  json: boolean;
  debug: boolean;
}

/**
 * Everything a command prints goes through here, redacted (core's `redactText`: registered secrets,
 * tokens, credentials in URLs), so no output can carry a secret. Results go to stdout (one JSON
 * document with `--json`, readable text otherwise); status lines, warnings, progress and errors go
 * to stderr, so stdout stays parseable. Progress bars are drawn only when stderr is a terminal,
 * `--json` is off and `CI` is not set.
 */
export class Output {
  readonly json: boolean;
  readonly debug: boolean;
  private readonly io: CliIo;
  private active: cliProgress.SingleBar | undefined;

  constructor(io: CliIo, options: OutputOptions) {
    this.io = io;
    this.json = options.json;
    this.debug = options.debug;
  }

  /** True when progress bars are drawn (stderr is a terminal, not `--json`, not CI). */
  get interactive(): boolean {
    const ci = this.io.env.CI;
    return this.io.stderr.isTTY === true && !this.json && (ci === undefined || ci === "" || ci === "false");
  }

  /** Prints result text on stdout (human mode only). */
  print(text = ""): void {
    if (this.json) return;
    this.write("stdout", `${text}\n`);
  }

  /** Prints the JSON document of the result on stdout (`--json` only). */
  printJson(value: unknown): void {
    this.write("stdout", `${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  /** Prints a status line on stderr (what is happening now). Suppressed with `--json`. */
  status(text: string): void {
    if (this.json) return;
    this.write("stderr", `${text}\n`);
  }

  /** Prints a warning on stderr, in both modes. */
  warn(text: string): void {
    this.write("stderr", `warning: ${text}\n`);
  }

  /** Prints a debug line on stderr (only with `--debug`). */
  debugLine(text: string): void {
    if (this.debug) this.write("stderr", `debug: ${text}\n`);
  }

  /** Prints aligned `key: value` lines on stdout (human mode only); undefined values are skipped. */
  keyValues(entries: ReadonlyArray<readonly [string, unknown]>, indent = 0): void {
    const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== "");
    const width = Math.max(0, ...shown.map(([k]) => k.length));
    for (const [k, v] of shown) this.print(`${" ".repeat(indent)}${`${k}:`.padEnd(width + 2)}${String(v)}`);
  }

  /** Prints a table with a header row on stdout (human mode only). */
  table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): void {
    const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? "" : String(c))));
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
    const line = (r: readonly string[]) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd();
    this.print(line(header));
    for (const r of cells) this.print(line(r));
  }

  /**
   * A progress bar on stderr for a long transfer or wait, when {@link interactive}; otherwise a
   * no-op (CI logs get the command's final status line instead). One bar at a time.
   */
  progress(label: string, options: { total?: number | undefined; unit?: "bytes" | "items" } = {}): Progress {
    if (!this.interactive) return NO_PROGRESS;
    this.active?.stop();
    const bytes = options.unit === "bytes";
    const stream = this.io.stderr as unknown as NodeJS.WritableStream;
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% {shown}{detail}`,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 24,
        etaBuffer: 20,
        formatValue: (v, _o, type) => String(v ?? (type === "percentage" ? 0 : "")),
      },
      cliProgress.Presets.shades_classic,
    );
    let total = Math.max(1, options.total ?? 1);
    const shown = (done: number) =>
      bytes ? `${formatBytes(done)} / ${formatBytes(total)}` : `${done} / ${total}`;
    bar.start(total, 0, { shown: shown(0), detail: "" });
    this.active = bar;
    return {
      setTotal: (t) => {
        total = Math.max(1, t);
        bar.setTotal(total);
      },
      update: (done, detail) =>
        bar.update(Math.min(done, total), {
          shown: shown(done),
          detail: detail ? ` ${redactText(detail).slice(0, 40)}` : "",
        }),
      stop: () => {
        bar.stop();
        if (this.active === bar) this.active = undefined;
      },
    };
  }

  /** Stops a progress bar left running (before an error is printed). */
  stopProgress(): void {
    this.active?.stop();
    this.active = undefined;
  }

  /** Writes redacted text to a stream. */
  write(stream: "stdout" | "stderr", text: string): void {
    this.io[stream].write(redactText(text));
  }
}

/** Byte counts as people read them: `512 B`, `3.4 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** JSON output: TraceContexts and errors by their toJSON, bigints as strings, Buffers left out. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return undefined;
  return value;
}
