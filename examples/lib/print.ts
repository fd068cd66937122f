import type { TraceContext } from "@modeltrail/core";

/** ANSI styling only on a terminal, and never with NO_COLOR set. */
const COLOR = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";

const style =
  (open: number, close: number) =>
  (text: string): string =>
    COLOR ? `\u001b[${open}m${text}\u001b[${close}m` : text;

/** Bold text. */
export const bold: (text: string) => string = style(1, 22);
/** Dimmed text (explanations). */
export const dim: (text: string) => string = style(2, 22);
/** Green text (success). */
export const green: (text: string) => string = style(32, 39);
/** Yellow text (warnings). */
export const yellow: (text: string) => string = style(33, 39);
/** Red text (errors). */
export const red: (text: string) => string = style(31, 39);
/** Cyan text (headers). */
export const cyan: (text: string) => string = style(36, 39);

/** Prints lines, each indented by `indent` spaces. */
export function say(text = "", indent = 2): void {
  const pad = " ".repeat(indent);
  for (const line of text.split("\n")) console.log(line === "" ? "" : `${pad}${line}`);
}

/** Prints the header of a step: its number, title and a sentence about what it shows. */
export function stepHeader(n: number, total: number, title: string, what: string): void {
  console.log("");
  console.log(cyan(bold(`━━ Step ${n}/${total} · ${title} ${"━".repeat(Math.max(3, 72 - title.length))}`)));
  say(dim(what));
}

/** Prints a sub-heading inside a step. */
export function heading(text: string): void {
  console.log("");
  say(bold(text));
}

/** Prints `label  value` rows with the labels aligned; undefined values are left out. */
export function table(rows: ReadonlyArray<readonly [string, unknown]>, indent = 4): void {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== "");
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  for (const [k, v] of shown)
    say(`${k.padEnd(width)}  ${typeof v === "string" ? v : JSON.stringify(v)}`, indent);
}

/** Prints a record of strings (env vars, tags, labels) as `key=value` lines, sorted by key. */
export function keyValues(record: Readonly<Record<string, string>>, indent = 4, sep = "="): void {
  for (const key of Object.keys(record).sort()) say(`${key}${sep}${record[key]}`, indent);
}

/** Prints a TraceContext section by section (`code: gitSha=... branch=...`). */
export function printTrace(ctx: TraceContext, indent = 4): void {
  const json = ctx.toJSON() as Record<string, unknown>;
  const rows: Array<[string, string]> = [];
  for (const [section, value] of Object.entries(json)) {
    if (section === "schemaVersion" || value === undefined) continue;
    if (Array.isArray(value)) {
      for (const [i, entry] of value.entries()) rows.push([`${section}[${i}]`, flat(entry)]);
    } else if (value && typeof value === "object") {
      rows.push([section, flat(value)]);
    }
  }
  table(rows, indent);
}

function flat(value: unknown): string {
  if (!value || typeof value !== "object") return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => (v && typeof v === "object" ? `${k}={${flat(v)}}` : `${k}=${String(v)}`))
    .join(" ");
}

/** Shortens a 40-hex commit or a 32-hex MLflow run id for prose (`0123456789ab`). */
export function short(id: string | undefined, length = 12): string {
  return id === undefined ? "-" : id.slice(0, length);
}

/** Formats milliseconds as seconds with one decimal (`12.3 s`). */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
