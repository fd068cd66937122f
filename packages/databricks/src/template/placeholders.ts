import { randomBytes } from "node:crypto";
import { type Fragment, segmentsOf, type ValueSegment } from "./fragment.js";

/**
 * Placeholder tokens for decoding a rendered job template. Rendering is over when they are made: the
 * template never sees them. To parse the rendered output as JSON or YAML, each output value is written as a
 * token such as `MTPH3fa9c01b7d2eV12E` (letters and digits only, so it is a valid part of a JSON string, a
 * YAML plain, quoted or block scalar, a key or a comment, and is never syntax); once the document is
 * parsed, tokens are replaced in the parsed tree by the value (a whole value) or its text (inside a
 * string). The nonce is random per render, so neither template text nor a value can forge a token.
 */
export class PlaceholderTable {
  readonly nonce = randomBytes(6).toString("hex");
  private readonly values: ValueSegment[] = [];
  private readonly re: RegExp;

  constructor() {
    this.re = new RegExp(`MTPH${this.nonce}V(\\d+)E`, "g");
  }

  /** A fresh global pattern matching this table's tokens (group 1: the value's id). */
  pattern(): RegExp {
    return new RegExp(this.re.source, "g");
  }

  /** The tokens' common prefix. */
  get prefix(): string {
    return `MTPH${this.nonce}`;
  }

  /** Registers an output value and returns its token. */
  token(value: ValueSegment): string {
    this.values.push(value);
    return `${this.prefix}V${this.values.length - 1}E`;
  }

  /** True when `s` contains a token of this table. */
  has(s: string): boolean {
    return s.includes(this.prefix);
  }

  /** If `s` is exactly one token, its value. */
  sole(s: string): ValueSegment | undefined {
    const m = new RegExp(`^${this.re.source}$`).exec(s);
    return m ? this.values[Number(m[1])] : undefined;
  }

  /** The first value whose token is in `s`. */
  first(s: string): ValueSegment | undefined {
    const m = this.pattern().exec(s);
    return m ? this.values[Number(m[1])] : undefined;
  }

  /** `s` with every token replaced by its value's text. */
  expand(s: string): string {
    return s.replace(this.pattern(), (_, id: string) => this.values[Number(id)]!.text);
  }

  /** The text of a rendered fragment, with a token for each value. */
  documentText(output: Fragment): string {
    let text = "";
    for (const segment of segmentsOf(output))
      text += segment.kind === "text" ? segment.text : this.token(segment);
    return text;
  }
}
