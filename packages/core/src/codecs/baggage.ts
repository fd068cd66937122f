import { ValidationError } from "../errors/validation-error.js";
import { SCALAR_FIELDS, type ScalarField } from "../trace/conventions.js";
import type { TraceContext } from "../trace/trace-context.js";
import {
  type CodecOptions,
  conventionsOf,
  DecodeCollector,
  describeValue,
  fieldString,
  getField,
} from "./codec-support.js";

/** Options of {@link toBaggage} / {@link encodeBaggage}. Limits come from `conventions.baggage`. */
export interface BaggageOptions extends CodecOptions {}

/** What {@link encodeBaggage} produced and what it had to leave out. */
export interface BaggageEncoding {
  /** The `baggage` header value (empty string when there is nothing to send). */
  header: string;
  /** Keys of the list-members left out because of the size limits, in the order they were considered. */
  dropped: string[];
}

/** W3C baggage-octet: printable ASCII except space, `"`, `,`, `;` and `\`. `%` is always encoded too. */
function isBaggageOctet(b: number): boolean {
  return (
    b === 0x21 ||
    (b >= 0x23 && b <= 0x2b && b !== 0x25) ||
    (b >= 0x2d && b <= 0x3a) ||
    (b >= 0x3c && b <= 0x5b) ||
    (b >= 0x5d && b <= 0x7e)
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Percent-encodes a value as the W3C baggage spec requires (UTF-8, `%XX` for everything outside baggage-octet). */
export function encodeBaggageValue(value: string): string {
  let out = "";
  for (const b of encoder.encode(value)) {
    out += isBaggageOctet(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Decodes a percent-encoded baggage value; invalid UTF-8 becomes U+FFFD as the spec requires.
 * Returns `undefined` when the value holds characters baggage does not allow or a broken `%` escape.
 */
export function decodeBaggageValue(raw: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (isBaggageOctet(code)) {
      bytes.push(code);
    } else {
      return undefined;
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

/**
 * Encodes a context as a W3C `baggage` header value, reporting what did not fit. Members are, in
 * priority order: one per scalar field (`modeltrail.<section>.<field>`, in `SCALAR_FIELDS` order: git
 * SHA, MLflow run id, job id, job run id, model name and version, image digest, environment name,
 * then the rest), one per runtime key and per extra key (sorted), then `modeltrail.data` (JSON).
 * Values are UTF-8 percent-encoded. Members are taken greedily in that order; one is dropped when
 * it is longer than `maxMemberBytes` (4096), or when it would take the header past `maxMembers` (64)
 * or `maxBytes` (8192 bytes), so what is lost is always the lowest-priority data that does not fit.
 * Never throws.
 */
export function encodeBaggage(ctx: TraceContext, options?: BaggageOptions): BaggageEncoding {
  const c = conventionsOf(options).baggage;
  const members: Array<[string, string]> = [];
  for (const field of SCALAR_FIELDS) {
    const value = getField(ctx, field);
    if (value === undefined) continue;
    for (const name of c.fields[field]) members.push([name, fieldString(value)]);
  }
  const runtime = ctx.environment?.runtime;
  if (c.runtimePrefix && runtime) {
    for (const k of Object.keys(runtime).sort())
      members.push([`${c.runtimePrefix}${k}`, runtime[k] as string]);
  }
  if (c.extraPrefix && ctx.extra) {
    for (const k of Object.keys(ctx.extra).sort())
      members.push([`${c.extraPrefix}${k}`, ctx.extra[k] as string]);
  }
  if (c.data && ctx.data) members.push([c.data, JSON.stringify(ctx.data)]);

  const kept: string[] = [];
  const dropped: string[] = [];
  let bytes = 0;
  for (const [key, value] of members) {
    const member = `${key}=${encodeBaggageValue(value)}`;
    const added = member.length + (kept.length > 0 ? 1 : 0);
    if (member.length > c.maxMemberBytes || kept.length >= c.maxMembers || bytes + added > c.maxBytes) {
      dropped.push(key);
      continue;
    }
    kept.push(member);
    bytes += added;
  }
  return { header: kept.join(","), dropped };
}

/**
 * Encodes a context as a W3C `baggage` header value; see {@link encodeBaggage} for the rules and
 * for which members are dropped when the context is too large. Never throws.
 */
export function toBaggage(ctx: TraceContext, options?: BaggageOptions): string {
  return encodeBaggage(ctx, options).header;
}

/**
 * Decodes a context from `baggage` header value(s). Members that are not modeltrail's are ignored
 * (whatever their syntax); properties (`;k=v`) are ignored. Modeltrail members with characters
 * baggage does not allow, broken `%` escapes, invalid values or disagreeing duplicates make it throw
 * ValidationError naming the member keys. An absent or empty header gives an empty context.
 */
export function fromBaggage(
  header: string | ReadonlyArray<string> | undefined | null,
  options?: BaggageOptions,
): TraceContext {
  const c = conventionsOf(options).baggage;
  const collector = new DecodeCollector("TraceContext in baggage");
  const input: unknown = header;
  let text: string;
  if (input === undefined || input === null) text = "";
  else if (typeof input === "string") text = input;
  else if (Array.isArray(input) && input.every((h) => typeof h === "string")) text = input.join(",");
  else {
    throw new ValidationError("Invalid TraceContext in baggage", {
      issues: [
        {
          path: "(root)",
          message: `must be a baggage header value (a string) or a list of them, got ${Array.isArray(input) ? "a list holding something else" : describeValue(input)}`,
        },
      ],
    });
  }
  const byName = new Map<string, ScalarField>();
  for (const field of SCALAR_FIELDS) for (const name of c.fields[field]) byName.set(name, field);
  let data: string | undefined;
  for (const item of text.split(",")) {
    const eq = item.indexOf("=");
    if (eq === -1) continue;
    const key = item.slice(0, eq).trim();
    const field = byName.get(key);
    const isRuntime = c.runtimePrefix !== null && key.startsWith(c.runtimePrefix);
    const isExtra = c.extraPrefix !== null && key.startsWith(c.extraPrefix);
    const isData = c.data !== null && key === c.data;
    if (!field && !isRuntime && !isExtra && !isData) continue;
    const rawValue = (item.slice(eq + 1).split(";")[0] ?? "").trim();
    const value = decodeBaggageValue(rawValue);
    if (value === undefined) {
      collector.issue(key, "value has characters baggage does not allow or a broken %-escape");
      continue;
    }
    if (field) collector.scalar(field, value, key);
    else if (isRuntime)
      collector.mapEntry("environment.runtime", key.slice((c.runtimePrefix ?? "").length), value, key);
    else if (isExtra) collector.mapEntry("extra", key.slice((c.extraPrefix ?? "").length), value, key);
    else if (data !== undefined && data !== value) collector.issue(key, "given twice with different values");
    else data = value;
  }
  if (c.data && data !== undefined) collector.dataJson(data, c.data);
  return collector.finish();
}
