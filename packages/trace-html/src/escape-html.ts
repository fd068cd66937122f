/**
 * Escapes text for HTML element content and for double- or single-quoted attribute values: `&`,
 * `<`, `>`, `"` and `'` become character references. Control characters (other than tab and line
 * feed) and lone surrogates, which a server may send but HTML cannot carry, become U+FFFD, so the
 * page stays well-formed whatever a tag value holds.
 */
export function escapeHtml(text: string): string {
  let out = "";
  for (const ch of text) {
    switch (ch) {
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case "'":
        out += "&#39;";
        break;
      default: {
        const code = ch.codePointAt(0) ?? 0;
        const control =
          (code < 0x20 && ch !== "\t" && ch !== "\n") ||
          (code >= 0x7f && code <= 0x9f) ||
          (code >= 0xd800 && code <= 0xdfff); // a lone surrogate (pairs come whole)
        out += control ? "\uFFFD" : ch;
      }
    }
  }
  return out;
}

/**
 * The URL as a link target when it is safe to follow: an absolute `http:` or `https:` URL without
 * credentials. Anything else (`javascript:`, `data:`, relative, credentials in it, unparseable) gives
 * `undefined` and the page shows no link. The result is normalized by the URL parser and still needs
 * {@link escapeHtml} in an attribute.
 */
export function safeLinkUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  if (parsed.username !== "" || parsed.password !== "") return undefined;
  return parsed.href;
}

/**
 * Shortens text longer than `max` characters (code points) to its start and end around an
 * ellipsis, so a digest keeps both ends readable: `sha256:b6056a7f…9530b3`.
 */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const tail = Math.max(4, Math.floor((max - 1) / 3));
  const head = max - 1 - tail;
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}
