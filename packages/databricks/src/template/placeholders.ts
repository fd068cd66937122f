import { randomBytes } from "node:crypto";
import { ValidationError } from "@modeltrail/core";

/**
 * Placeholder tokens used while rendering a job template. Every `{{ expression }}` output and every
 * protected Databricks reference is first emitted as a token such as `MTPH3fa9c01b7d2eV12E`: only
 * letters and digits, so it is a valid part of a JSON string, a YAML plain/quoted/block scalar, a key or a
 * comment, and can never be mistaken for syntax. The 12-hex-digit nonce is random per render, so neither
 * the template nor a hostile value can forge a token. After parsing, tokens are replaced in the parsed data
 * (never in text), which is what makes any value safe.
 */
export class PlaceholderTable {
  readonly nonce = randomBytes(6).toString("hex");
  /** Values output by `{{ expression }}`, by id. */
  readonly values: unknown[] = [];
  /** Line of the output site of each value (for messages). */
  readonly valueLines: number[] = [];
  /** Original text of protected Databricks references, by id. */
  readonly references: string[] = [];
  private readonly re: RegExp;

  constructor() {
    this.re = new RegExp(`MTPH${this.nonce}([VR])(\\d+)E`, "g");
  }

  /** A fresh global pattern matching this table's tokens (group 1: kind, group 2: id). */
  pattern(): RegExp {
    return new RegExp(this.re.source, "g");
  }

  /** The token's common prefix, for quick scans. */
  get prefix(): string {
    return `MTPH${this.nonce}`;
  }

  /** Registers a value and returns its token. */
  value(v: unknown, line: number): string {
    this.values.push(v);
    this.valueLines.push(line);
    return `${this.prefix}V${this.values.length - 1}E`;
  }

  /** Registers a protected Databricks reference and returns its token. */
  reference(text: string): string {
    this.references.push(text);
    return `${this.prefix}R${this.references.length - 1}E`;
  }

  /** True when `s` contains a token of this table. */
  has(s: string): boolean {
    return s.includes(this.prefix);
  }

  /** If `s` is exactly one value token, its id. */
  soleValueId(s: string): number | undefined {
    const m = new RegExp(`^${this.re.source}$`).exec(s);
    return m && m[1] === "V" ? Number(m[2]) : undefined;
  }

  /**
   * Replaces every token in `s` with text: value tokens with the value's text form (see
   * {@link textForm}), reference tokens with the reference as written, or kept as tokens when
   * `keepReferences` (used while a captured string is still inside the template).
   */
  expand(s: string, keepReferences = false): string {
    // Values first (a value captured from a string literal may itself hold reference tokens), then references.
    const withValues = s.replace(this.pattern(), (whole, kind: string, id: string) =>
      kind === "R" ? whole : textForm(this.values[Number(id)], this.valueLines[Number(id)]!),
    );
    if (keepReferences) return withValues;
    return withValues.replace(this.pattern(), (whole, kind: string, id: string) =>
      kind === "R" ? this.references[Number(id)]! : whole,
    );
  }

  /** The value of a whole-value token as JSON data (see {@link dataForm}). */
  data(id: number): unknown {
    const v = this.values[id];
    if (typeof v === "string" && this.has(v)) return this.expand(v);
    return dataForm(v, this.valueLines[id]!);
  }
}

function unrepresentable(line: number, what: string): ValidationError {
  return new ValidationError("Invalid job template", {
    issues: [
      { path: `template:${line}`, message: `the expression's value ${what} cannot be written as JSON` },
    ],
  });
}

/** How a value reads when it is embedded in a larger string: strings as-is, scalars via String(), objects as compact JSON. */
export function textForm(v: unknown, line: number): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return v.toISOString();
  const d = dataForm(v, line);
  return typeof d === "string" ? d : JSON.stringify(d);
}

/** A value as plain JSON data: the type kept for strings, finite numbers, booleans, arrays and objects. */
export function dataForm(v: unknown, line: number): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) throw unrepresentable(line, String(v));
  if (typeof v === "bigint") throw unrepresentable(line, `${v}n (a bigint)`);
  if (typeof v === "function" || typeof v === "symbol") throw unrepresentable(line, `(a ${typeof v})`);
  if (v === null || typeof v !== "object") return v;
  try {
    return JSON.parse(JSON.stringify(v));
  } catch (err) {
    throw unrepresentable(line, `(${(err as Error).message})`);
  }
}
