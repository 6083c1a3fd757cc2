import { DorsvrError } from '@dorsvr/scheduler';

/**
 * One `m=` section to write, as a server subsession describes its stream. Line-valued fields
 * accept what an `RTPSink` returns (`rtpmapLine()`, `auxSDPLine()`): with or without the leading
 * `a=`, with or without a trailing CRLF; an empty string writes nothing.
 */
export interface SDPMediaInit {
  /** `video`, `audio`, `application`, `text`. */
  mediaType: string;
  /** RTP payload type (or several) on the `m=` line. */
  payloadType: number | readonly number[];
  /** Port on the `m=` line (default 0, as live555 for unicast: the port comes from SETUP). */
  port?: number;
  /** Default `RTP/AVP`. */
  protocol?: string;
  /** `c=` address (default `0.0.0.0`, or `::` when `ipv6`). */
  connectionAddress?: string;
  /** Multicast TTL, written as `c=IN IP4 addr/ttl`. */
  ttl?: number;
  /** `b=AS:` in kbit/s; omitted when 0 or undefined. */
  bandwidthKbps?: number;
  /** `a=rtpmap:…` line (empty for static payload types). */
  rtpmapLine?: string;
  /** `a=fmtp:…` line (or any extra codec line(s), as live555's auxSDPLine). */
  fmtpLine?: string;
  /** Per-track `a=range` duration in seconds (used when tracks differ; see {@link SDPSessionInit.durationSeconds}). */
  durationSeconds?: number;
  /** `a=control:` value, e.g. `track1`. */
  control: string;
  /** Further lines, each written as given (a missing `a=` is not added: give whole lines). */
  extraLines?: readonly string[];
}

/** A whole session description to write (live555's `generateSDPDescription`). */
export interface SDPSessionInit {
  /** `o=` session id (live555 uses the creation time in µs). */
  sessionId: string | number | bigint;
  /** `o=` version (default 1). */
  sessionVersion?: string | number | bigint;
  /** `o=` username (default `-`). */
  username?: string;
  /** `o=` and default `c=` address: the server's address as the client sees it (default `0.0.0.0`). */
  originAddress?: string;
  /** `s=` session name (stream description). */
  name: string;
  /** `i=` session information (stream info, e.g. the file name). */
  info?: string;
  /** `a=tool:` (e.g. `dorsvr 0.1.0`). */
  tool?: string;
  /** Write `a=type:broadcast` (default true, as live555). */
  broadcast?: boolean;
  /**
   * Whole-session duration: > 0 writes `a=range:npt=0-<d>`, 0 writes `a=range:npt=now-` (live),
   * undefined or negative writes no session range (then each media's `durationSeconds` is used).
   */
  durationSeconds?: number;
  /** Extra session-level lines (e.g. `a=source-filter: …`), written before the `m=` sections. */
  extraLines?: readonly string[];
  media: readonly SDPMediaInit[];
}

function normalizeLine(s: string | undefined, prefix: string): string[] {
  if (s === undefined) return [];
  const out: string[] = [];
  for (const raw of s.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    if (/[\r\n\0]/.test(line)) throw new DorsvrError('ERR_SDP_INVALID', 'SDP line contains CR, LF or NUL');
    out.push(line.startsWith(prefix) ? line : `${prefix}${line}`);
  }
  return out;
}

function checkText(what: string, s: string): string {
  if (/[\r\n\0]/.test(s)) throw new DorsvrError('ERR_SDP_INVALID', `${what} contains CR, LF or NUL`);
  return s;
}

function ipVersion(addr: string): 'IP4' | 'IP6' {
  return addr.includes(':') ? 'IP6' : 'IP4';
}

function rangeLine(d: number): string {
  return d === 0 ? 'a=range:npt=now-' : `a=range:npt=0-${d.toFixed(3)}`;
}

/**
 * Writes a session description the way live555's server does: `v=`, `o=`, `s=`, `i=`, `t=0 0`,
 * `a=tool`, `a=type:broadcast`, `a=control:*`, `a=range`, `a=x-qt-text-nam/inf`, then per media
 * `m=`, `c=`, `b=AS:`, rtpmap, fmtp, `a=control:trackN`. Lines end in CRLF. Throws
 * `ERR_SDP_INVALID` for text that would break the line structure.
 *
 * @example
 * ```ts
 * import { formatSDP } from '@dorsvr/livemedia';
 *
 * const text = formatSDP({
 *   sessionId: 1,
 *   name: 'demo',
 *   media: [{ mediaType: 'audio', payloadType: 0, control: 'track1' }], // PCMU: a static payload type
 * });
 * ```
 */
export function formatSDP(s: SDPSessionInit): string {
  const origin = s.originAddress ?? '0.0.0.0';
  const lines: string[] = [
    'v=0',
    `o=${checkText('username', s.username ?? '-')} ${String(s.sessionId)} ${String(s.sessionVersion ?? 1)} IN ${ipVersion(origin)} ${origin}`,
    `s=${checkText('name', s.name)}`,
  ];
  if (s.info !== undefined) lines.push(`i=${checkText('info', s.info)}`);
  lines.push('t=0 0');
  if (s.tool !== undefined) lines.push(`a=tool:${checkText('tool', s.tool)}`);
  if (s.broadcast !== false) lines.push('a=type:broadcast');
  lines.push('a=control:*');
  const sessionRange = s.durationSeconds !== undefined && s.durationSeconds >= 0 && Number.isFinite(s.durationSeconds);
  if (sessionRange) lines.push(rangeLine(s.durationSeconds!));
  lines.push(`a=x-qt-text-nam:${s.name}`);
  if (s.info !== undefined) lines.push(`a=x-qt-text-inf:${s.info}`);
  for (const l of s.extraLines ?? []) lines.push(...normalizeLine(l, ''));
  for (const m of s.media) {
    const pts = typeof m.payloadType === 'number' ? [m.payloadType] : m.payloadType;
    for (const pt of pts) {
      if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new DorsvrError('ERR_SDP_INVALID', `payload type ${pt} outside 0-127`);
    }
    lines.push(`m=${checkText('media type', m.mediaType)} ${m.port ?? 0} ${m.protocol ?? 'RTP/AVP'} ${pts.join(' ')}`);
    const addr = m.connectionAddress ?? (ipVersion(origin) === 'IP6' ? '::' : '0.0.0.0');
    lines.push(`c=IN ${ipVersion(addr)} ${addr}${m.ttl !== undefined ? `/${m.ttl}` : ''}`);
    if (m.bandwidthKbps !== undefined && m.bandwidthKbps > 0) lines.push(`b=AS:${Math.round(m.bandwidthKbps)}`);
    lines.push(...normalizeLine(m.rtpmapLine, 'a='));
    lines.push(...normalizeLine(m.fmtpLine, 'a='));
    if (!sessionRange && m.durationSeconds !== undefined && m.durationSeconds >= 0 && Number.isFinite(m.durationSeconds)) {
      lines.push(rangeLine(m.durationSeconds));
    }
    for (const l of m.extraLines ?? []) lines.push(...normalizeLine(l, ''));
    lines.push(`a=control:${checkText('control', m.control)}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Formats an rtpmap attribute line: `a=rtpmap:96 H264/90000`, `a=rtpmap:97 MPEG4-GENERIC/44100/2`. */
export function formatRtpmapLine(payloadType: number, encodingName: string, clockRate: number, channels?: number): string {
  return `a=rtpmap:${payloadType} ${encodingName}/${clockRate}${channels !== undefined ? `/${channels}` : ''}`;
}

/** Formats an fmtp attribute line from parameters in order: `a=fmtp:96 packetization-mode=1;profile-level-id=42E01E`. */
export function formatFmtpLine(payloadType: number, parameters: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(parameters)) if (v !== undefined) parts.push(`${k}=${v}`);
  return `a=fmtp:${payloadType} ${parts.join(';')}`;
}
