import { DorsvrError } from '@dorsvr/scheduler';

/** `Range: npt=…` (normal play time, seconds). `start` is `'now'` for live streams (`npt=now-`). */
export interface NptRange {
  unit: 'npt';
  /** Start in seconds, `'now'`, or undefined for the `npt=-end` form. */
  start: number | 'now' | undefined;
  /** End in seconds, or undefined for an open range (`npt=5-`). */
  end?: number | undefined;
  /** The `;time=` parameter (when to start), as sent. */
  time?: string | undefined;
}

/** `Range: clock=…` (absolute UTC, ISO 8601 basic form `YYYYMMDDThhmmss[.frac]Z`). */
export interface ClockRange {
  unit: 'clock';
  start: string;
  end?: string | undefined;
  time?: string | undefined;
}

/** `Range: smpte=…`, `smpte-30-drop=…`, `smpte-25=…`: timecodes kept as strings. */
export interface SmpteRange {
  unit: 'smpte' | 'smpte-30-drop' | 'smpte-25';
  start: string;
  end?: string | undefined;
  time?: string | undefined;
}

/** A parsed RTSP `Range:` header (RFC 2326 section 12.29 / 3.5–3.7). */
export type RangeHeader = NptRange | ClockRange | SmpteRange;

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTSP_RANGE', message, { status: 457 });
}

/**
 * Parses an npt-time: seconds (`12`, `1.5`, `.5` is rejected), `h:mm:ss[.frac]`, or `now`.
 * Throws `ERR_RTSP_RANGE` (status 457).
 */
export function parseNptTime(s: string): number | 'now' {
  const t = s.trim();
  if (t === 'now') return 'now';
  let m = /^(\d{1,12})(?:\.(\d{0,9}))?$/.exec(t);
  if (m !== null) return Number(`${m[1]}.${m[2] || '0'}`);
  m = /^(\d{1,9}):([0-5]?\d):([0-5]?\d)(?:\.(\d{0,9}))?$/.exec(t);
  if (m !== null) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(`${m[3]}.${m[4] || '0'}`);
  throw bad(`invalid npt time ${JSON.stringify(t.slice(0, 40))}`);
}

/** Formats seconds as npt with millisecond precision (`12.500`), the form live555 answers. */
export function formatNptTime(t: number | 'now'): string {
  if (t === 'now') return 'now';
  if (!Number.isFinite(t) || t < 0) throw bad(`npt time ${t} is not a finite non-negative number`);
  return t.toFixed(3);
}

/**
 * Parses a `Range:` header. Accepts `npt=0-`, `npt=1.5-10`, `npt=now-`, `npt=-20`, `npt=0:01:02.5-`,
 * `clock=19961108T142300Z-…`, smpte forms, and a `;time=` parameter. Throws `ERR_RTSP_RANGE`
 * (status 457 Invalid Range) for anything else, including an end before the start.
 */
export function parseRangeHeader(value: string): RangeHeader {
  const [spec, ...params] = value.split(';');
  let time: string | undefined;
  for (const p of params) {
    const m = /^\s*time\s*=\s*(.+?)\s*$/i.exec(p);
    if (m !== null) time = m[1];
  }
  const m = /^\s*(npt|clock|smpte|smpte-30-drop|smpte-25)\s*=\s*([^-]*?)\s*-\s*(.*?)\s*$/i.exec(spec!);
  if (m === null) throw bad(`invalid Range ${JSON.stringify(value.slice(0, 80))}`);
  const unit = m[1]!.toLowerCase() as RangeHeader['unit'];
  const a = m[2]!;
  const b = m[3]!;
  if (unit === 'npt') {
    const start = a === '' ? undefined : parseNptTime(a);
    let end: number | undefined;
    if (b !== '') {
      const e = parseNptTime(b);
      if (e === 'now') throw bad('npt range cannot end at now');
      end = e;
    }
    if (start === undefined && end === undefined) throw bad('npt range has neither start nor end');
    if (typeof start === 'number' && end !== undefined && end < start) throw bad(`npt range ends (${end}) before it starts (${start})`);
    return { unit, start, end, time };
  }
  if (unit === 'clock') {
    const clock = /^\d{8}T\d{6}(?:\.\d+)?Z$/;
    if (!clock.test(a) || (b !== '' && !clock.test(b))) throw bad(`invalid clock range ${JSON.stringify(value.slice(0, 80))}`);
    return { unit, start: a, end: b === '' ? undefined : b, time };
  }
  const smpte = /^\d{1,2}:\d{2}:\d{2}(?::\d{1,2}(?:\.\d{1,2})?)?$/;
  if (!smpte.test(a) || (b !== '' && !smpte.test(b))) throw bad(`invalid smpte range ${JSON.stringify(value.slice(0, 80))}`);
  return { unit, start: a, end: b === '' ? undefined : b, time };
}

/** Formats a `Range:` header: `npt=0.000-`, `npt=1.500-10.000`, `npt=now-`, `clock=…-…`. */
export function formatRangeHeader(r: RangeHeader): string {
  let s: string;
  if (r.unit === 'npt') {
    const start = r.start === undefined ? '' : formatNptTime(r.start);
    s = `npt=${start}-${r.end === undefined ? '' : formatNptTime(r.end)}`;
  } else {
    s = `${r.unit}=${r.start}-${r.end ?? ''}`;
  }
  return r.time === undefined ? s : `${s};time=${r.time}`;
}

/** Converts an RTSP clock time (`19961108T142300.25Z`) to epoch milliseconds. */
export function clockTimeToEpochMs(clock: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(clock);
  if (m === null) throw bad(`invalid clock time ${JSON.stringify(clock.slice(0, 40))}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return ms + Math.round(Number(`0${m[7] ?? ''}`) * 1000);
}

/** Formats epoch milliseconds as an RTSP clock time (`YYYYMMDDThhmmss[.mmm]Z`). */
export function epochMsToClockTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T10:00:00.000Z
  const frac = iso.slice(20, 23);
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${frac === '000' ? '' : `.${frac}`}Z`;
}
