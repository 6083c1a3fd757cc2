/**
 * Parses a `text/parameters` body (RFC 2326 sections 10.8–10.9) of GET_PARAMETER or
 * SET_PARAMETER: one `name: value` per line (CRLF or LF), or just `name` in a GET_PARAMETER
 * request. Names keep their case; blank lines are skipped; the value is undefined without a colon.
 */
export function parseTextParameters(body: Uint8Array | string): Array<[string, string | undefined]> {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const out: Array<[string, string | undefined]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const colon = line.indexOf(':');
    if (colon < 0) out.push([line, undefined]);
    else out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/**
 * Formats a `text/parameters` body: `name: value\r\n` per entry, `name\r\n` when the value is
 * undefined (a GET_PARAMETER request naming what it wants).
 */
export function formatTextParameters(params: Iterable<readonly [string, string | number | undefined]>): string {
  let out = '';
  for (const [name, value] of params) {
    const n = name.replace(/[\r\n]/g, ' ');
    out += value === undefined ? `${n}\r\n` : `${n}: ${String(value).replace(/[\r\n]/g, ' ')}\r\n`;
  }
  return out;
}
