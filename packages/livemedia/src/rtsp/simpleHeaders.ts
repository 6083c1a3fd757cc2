import { DorsvrError } from '@dorsvr/scheduler';

/** Parses `CSeq:` (a non-negative integer). Throws `ERR_RTSP_CSEQ` (status 400). */
export function parseCSeq(value: string): number {
  const t = value.trim();
  if (!/^\d{1,15}$/.test(t)) throw new DorsvrError('ERR_RTSP_CSEQ', `invalid CSeq ${JSON.stringify(t.slice(0, 20))}`, { status: 400 });
  return Number(t);
}

/**
 * Parses a comma-separated token list: `Public:`/`Allow:` methods, `Require:`/`Proxy-Require:`/
 * `Unsupported:`/`Supported:` option tags. Empty items are dropped; case is kept.
 */
export function parseCommaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Formats a list as `A, B, C` (the `Public:` form players expect). */
export function formatCommaList(items: readonly string[]): string {
  return items.join(', ');
}

/**
 * Formats epoch milliseconds as an RFC 1123 date (`Tue, 24 Nov 2026 10:00:00 GMT`) for `Date:`.
 * The caller passes the time (from its scheduler's wall clock), keeping this function pure.
 */
export function formatRTSPDate(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new DorsvrError('ERR_RTSP_DATE', `invalid time ${epochMs}`);
  return new Date(epochMs).toUTCString();
}

/** Parses an RFC 1123 (or other Date-parsable) `Date:` value to epoch ms; undefined if invalid. */
export function parseRTSPDate(value: string): number | undefined {
  const ms = Date.parse(value.trim());
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Parses `Scale:` or `Speed:` (a decimal, may be negative for Scale, e.g. `-2.0`).
 * Throws `ERR_RTSP_SCALE` (status 400).
 */
export function parseScale(value: string): number {
  const t = value.trim();
  if (!/^-?\d{1,9}(?:\.\d{0,9})?$/.test(t)) throw new DorsvrError('ERR_RTSP_SCALE', `invalid Scale/Speed ${JSON.stringify(t.slice(0, 20))}`, { status: 400 });
  return Number(t);
}

/** Formats `Scale:`/`Speed:` with at least one decimal (`1.0`, `-2.5`). */
export function formatScale(n: number): string {
  if (!Number.isFinite(n)) throw new DorsvrError('ERR_RTSP_SCALE', `invalid Scale/Speed ${n}`);
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/**
 * Resolves a control URL (`a=control` or a track name) against a base (`Content-Base`,
 * `Content-Location` or the request URL), the way RTSP peers do rather than RFC 3986:
 * `*` or empty means the base itself; an absolute `rtsp://` URL is used as is; a path starting
 * with `/` replaces the base's path; anything else is appended to the base with one `/`
 * (`rtsp://h/s` + `track1` → `rtsp://h/s/track1`, keeping `rtsp://h/s?q=1` + `trackID=0` →
 * `rtsp://h/s?q=1/trackID=0` as ffmpeg and live555 do).
 */
export function resolveControlURL(base: string, control: string): string {
  const c = control.trim();
  if (c === '' || c === '*') return base;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(c)) return c;
  if (c.startsWith('/')) {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)/.exec(base);
    return m === null ? c : m[1]! + c;
  }
  return base.endsWith('/') ? base + c : `${base}/${c}`;
}
