import { DorsvrError } from '@dorsvr/scheduler';

/** An HTTP request's start line and headers (names lower-cased, first value of each kept). */
export interface HTTPRequestHead {
  readonly method: string;
  readonly target: string;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  readonly version: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** Most header lines read from one HTTP request head. */
const MAX_HEADERS = 64;

/**
 * Where the head of an HTTP request ends in `buf`: the index just past its blank line (`\r\n\r\n`,
 * or `\n\n` from lax clients), or -1 while it is not complete.
 */
export function findHeadEnd(buf: Uint8Array): number {
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/**
 * Parses the head of an HTTP/1.x request (what the RTSP-over-HTTP tunnel's GET and POST send):
 * `METHOD SP target SP HTTP/1.x`, then `Name: value` lines. Throws `ERR_HTTP_REQUEST` (status 400)
 * for anything else: another protocol version, a line without a colon, a control character, more
 * than 64 headers.
 */
export function parseHTTPRequestHead(head: string): HTTPRequestHead {
  const lines = head.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const m = /^([A-Z_-]{1,32}) (\S{1,8192}) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (!m) throw bad(`not an HTTP/1.x request line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  if (lines.length - 1 > MAX_HEADERS) throw bad(`more than ${MAX_HEADERS} header lines`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw bad(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // eslint-disable-next-line no-control-regex
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw bad('invalid header line');
    if (!headers.has(name)) headers.set(name, value);
  }
  return { method: m[1]!, target: m[2]!, version: m[3]!, headers };
}

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_HTTP_REQUEST', message, { status: 400 });
}
