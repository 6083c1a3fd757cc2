import { DorsvrError } from '@dorsvr/scheduler';

/**
 * One challenge of a `WWW-Authenticate:` header, or the credentials of an `Authorization:` header:
 * a scheme and its parameters (names lower-cased, values unquoted and unescaped), or a token68
 * (Basic credentials).
 */
export interface AuthChallenge {
  /** Scheme as sent, e.g. `Digest`, `Basic` (compare case-insensitively). */
  scheme: string;
  /** Parameters by lower-case name; repeated names keep the first value. */
  params: Record<string, string>;
  /** The token68 form (`Basic dXNlcjpwYXNz`), when used instead of parameters. */
  token68?: string | undefined;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTSP_AUTH_HEADER', message, { status: 400 });
}

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  skipWs(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  skipWsAndCommas(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }
  quoted(): string {
    // at '"'
    this.pos++;
    let out = '';
    while (!this.done) {
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\' && !this.done) out += this.s[this.pos++]!;
      else out += c;
    }
    throw bad('unterminated quoted string in authentication header');
  }
  /** A parameter value: quoted string, or everything up to the next comma/space. */
  value(): string {
    if (this.peek() === '"') return this.quoted();
    const start = this.pos;
    while (!this.done && this.peek() !== ',' && this.peek() !== ' ' && this.peek() !== '\t') this.pos++;
    return this.s.slice(start, this.pos);
  }
}

/**
 * Parses a `WWW-Authenticate:` / `Proxy-Authenticate:` value into its challenges (one header may
 * carry several, comma-separated, RFC 7235), or an `Authorization:` value (one element). Quoted
 * strings may contain commas and backslash-escaped quotes. Throws `ERR_RTSP_AUTH_HEADER` (400).
 */
export function parseAuthHeader(value: string): AuthChallenge[] {
  const sc = new Scanner(value);
  const out: AuthChallenge[] = [];
  sc.skipWsAndCommas();
  while (!sc.done) {
    const scheme = sc.token();
    if (scheme === '') throw bad(`expected an authentication scheme at ${JSON.stringify(value.slice(sc.pos, sc.pos + 30))}`);
    const ch: AuthChallenge = { scheme, params: {} };
    out.push(ch);
    sc.skipWs();
    // token68 form: the whole rest up to a comma is one token (e.g. base64 with '=' padding).
    const rest = value.slice(sc.pos);
    const t68 = TOKEN68.exec(rest);
    if (t68 !== null && /^\s*(,|$)/.test(rest.slice(t68[0].length)) && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=\s*[^=\s,]/.test(rest)) {
      ch.token68 = t68[0];
      sc.pos += t68[0].length;
      sc.skipWsAndCommas();
      continue;
    }
    // auth-params until a token that is not followed by '=' (the next challenge's scheme).
    for (;;) {
      sc.skipWsAndCommas();
      if (sc.done) break;
      const save = sc.pos;
      const name = sc.token();
      if (name === '') throw bad(`unexpected ${JSON.stringify(sc.peek())} in authentication header`);
      sc.skipWs();
      if (sc.peek() !== '=') {
        sc.pos = save; // next challenge
        break;
      }
      sc.pos++;
      sc.skipWs();
      const v = sc.value();
      const key = name.toLowerCase();
      if (!Object.hasOwn(ch.params, key)) {
        // defineProperty: names such as `__proto__` from a peer must stay plain data.
        Object.defineProperty(ch.params, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      sc.skipWs();
      if (!sc.done && sc.peek() !== ',') throw bad(`expected "," after parameter ${name}`);
    }
  }
  return out;
}

/** Quotes a value for an auth parameter, escaping `\` and `"`. */
export function quoteAuthParam(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Formats `Scheme name="value", …`. Values are quoted unless their name is in `unquoted`
 * (default: `algorithm`, `stale`, `nc` — RFC 7616 sends those as tokens; pass `qop` too when
 * writing an Authorization header). CR/LF in values throw `ERR_RTSP_AUTH_HEADER`.
 */
export function formatAuthHeader(
  scheme: string,
  params: Readonly<Record<string, string | undefined>>,
  unquoted: readonly string[] = ['algorithm', 'stale', 'nc'],
): string {
  const parts: string[] = [];
  for (const [name, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (/[\r\n]/.test(v)) throw bad(`auth parameter ${name} contains CR or LF`);
    parts.push(unquoted.includes(name.toLowerCase()) ? `${name}=${v}` : `${name}=${quoteAuthParam(v)}`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}
