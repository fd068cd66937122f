import nunjucks from "nunjucks";

/**
 * What rendering produces before it becomes a document: a list of segments, each either template text
 * (written by the template's author: the document's structure) or an output value (data, encoded later
 * for the place where it lands). The root output, a macro's output and a `{% filter %}` block's output
 * are {@link Fragment}s; template code only ever sees their text.
 */

/** Template text: the template's own characters, which make the document's structure. */
export interface TextSegment {
  kind: "text";
  text: string;
}

/** An output value: JSON data for a whole value, and the text it reads as inside a string. */
export interface ValueSegment {
  kind: "value";
  data: unknown;
  text: string;
  /** 1-based template line of the `{{ }}` that output it. */
  line: number;
}

/** One piece of rendered output. */
export type Segment = TextSegment | ValueSegment;

const SafeString = nunjucks.runtime.SafeString;
const SEGMENTS: unique symbol = Symbol("modeltrail.segments");

/**
 * Rendered output that keeps template text and values apart. To template code it is a nunjucks safe
 * string holding the real text (so filters, tests, comparisons and `length` see real characters); when it
 * is output unchanged, its segments are spliced where it is output. Its segments sit behind a symbol, out
 * of reach of template expressions.
 */
export class Fragment extends SafeString {
  readonly [SEGMENTS]: Segment[] = [];

  constructor() {
    super("");
  }
}

/** JSON text made by the `tojson` / `dump` filters: output whole, it is the JSON value it spells. */
export class JsonText extends SafeString {}

/** The segments of a fragment (not a copy: do not change them). */
export function segmentsOf(fragment: Fragment): readonly Segment[] {
  return fragment[SEGMENTS];
}

function grow(fragment: Fragment, text: string): void {
  fragment.val += text;
  fragment.length = fragment.val.length;
}

/** Appends template text to a fragment under construction. */
export function appendText(fragment: Fragment, text: string): void {
  if (text === "") return;
  const segments = fragment[SEGMENTS];
  const last = segments[segments.length - 1];
  if (last?.kind === "text") last.text += text;
  else segments.push({ kind: "text", text });
  grow(fragment, text);
}

/** Appends an output value to a fragment under construction. */
export function appendValue(fragment: Fragment, segment: ValueSegment): void {
  fragment[SEGMENTS].push(segment);
  grow(fragment, segment.text);
}

/** Appends every segment of `other` to a fragment under construction. */
export function appendFragment(fragment: Fragment, other: Fragment): void {
  for (const segment of other[SEGMENTS]) {
    if (segment.kind === "text") appendText(fragment, segment.text);
    else appendValue(fragment, segment);
  }
}

/** A new fragment from segments (merged as {@link appendText} does). */
export function fragmentOf(segments: readonly Segment[]): Fragment {
  const out = new Fragment();
  for (const s of segments) {
    if (s.kind === "text") appendText(out, s.text);
    else appendValue(out, s);
  }
  return out;
}
