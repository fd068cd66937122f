/** One challenge of a `WWW-Authenticate` header: the scheme (lower-cased) and its parameters. */
export interface AuthChallenge {
  /** `basic`, `bearer`, ... (lower case). */
  scheme: string;
  /** Parameters with lower-cased names: `realm`, `service`, `scope`, `error`, ... */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Parses a `WWW-Authenticate` header value (RFC 7235) into its challenges, e.g.
 * `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"`.
 * Handles several challenges in one header, quoted strings with escapes and token68 values.
 * Never throws: unparsable text ends the parse and what was read so far is returned.
 */
export function parseWwwAuthenticate(header: string | undefined): AuthChallenge[] {
  if (!header) return [];
  const out: AuthChallenge[] = [];
  let s = header;
  let current: AuthChallenge | undefined;
  const skipSpaceAndCommas = () => {
    s = s.replace(/^[\s,]+/, "");
  };
  while (true) {
    skipSpaceAndCommas();
    if (s === "") break;
    const tok = TOKEN.exec(s);
    if (!tok) break;
    const word = tok[0];
    const afterWord = s.slice(word.length);
    const eq = /^\s*=\s*/.exec(afterWord);
    if (current && eq && isParamStart(afterWord)) {
      // auth-param of the current challenge
      s = afterWord.slice(eq[0].length);
      let value: string;
      if (s.startsWith('"')) {
        let i = 1;
        let v = "";
        while (i < s.length && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          v += s[i];
          i++;
        }
        value = v;
        s = s.slice(Math.min(i + 1, s.length));
      } else {
        const m = /^[^\s,]*/.exec(s);
        value = m ? m[0] : "";
        s = s.slice(value.length);
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    // a new challenge
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
    s = afterWord;
    // token68 (e.g. `Negotiate abc==`): a value not followed by '=' param syntax
    const t68 = /^\s+([A-Za-z0-9._~+/-]+=*)\s*(,|$)/.exec(s);
    if (t68) {
      current.params[""] = t68[1]!;
      s = s.slice(t68[0].length);
    }
  }
  return out;
}

/** After a token: `=` followed by a value (not `==`, which belongs to a token68). */
function isParamStart(afterWord: string): boolean {
  return /^\s*=\s*(?!=)/.test(afterWord);
}
