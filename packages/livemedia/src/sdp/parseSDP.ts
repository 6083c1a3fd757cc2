import { DorsvrError, limitOption } from '@dorsvr/scheduler';
import { parseRangeHeader } from '../rtsp/RangeHeader.js';
import type { RangeHeader } from '../rtsp/RangeHeader.js';
import type {
  SDPAttribute,
  SDPBandwidth,
  SDPConnection,
  SDPDirection,
  SDPFmtp,
  SDPMediaDescription,
  SDPOrigin,
  SDPRtpMap,
  SDPSessionDescription,
} from './SDPTypes.js';

/**
 * Limits of {@link parseSDP}. Each must be a positive integer: anything else (a string, NaN, 0, -1,
 * Infinity) throws `ERR_SDP_INVALID` (the caller's mistake, unlike `ERR_SDP_PARSE` for bad input).
 */
export interface SDPParseOptions {
  /** Largest description accepted, in bytes/characters (default 65536; refused unless a positive integer). */
  maxLength?: number;
  /** Most `m=` sections accepted (default 64; refused unless a positive integer). */
  maxMedia?: number;
}

const STATIC_PAYLOAD_TYPES: Readonly<Record<number, readonly [string, number, number?]>> = {
  0: ['PCMU', 8000, 1],
  3: ['GSM', 8000, 1],
  4: ['G723', 8000, 1],
  5: ['DVI4', 8000, 1],
  6: ['DVI4', 16000, 1],
  7: ['LPC', 8000, 1],
  8: ['PCMA', 8000, 1],
  9: ['G722', 8000, 1],
  10: ['L16', 44100, 2],
  11: ['L16', 44100, 1],
  12: ['QCELP', 8000, 1],
  13: ['CN', 8000, 1],
  14: ['MPA', 90000],
  15: ['G728', 8000, 1],
  16: ['DVI4', 11025, 1],
  17: ['DVI4', 22050, 1],
  18: ['G729', 8000, 1],
  25: ['CelB', 90000],
  26: ['JPEG', 90000],
  28: ['nv', 90000],
  31: ['H261', 90000],
  32: ['MPV', 90000],
  33: ['MP2T', 90000],
  34: ['H263', 90000],
};

/** The RFC 3551 rtpmap of a static payload type (0–34), or undefined. */
export function staticPayloadTypeRtpMap(payloadType: number): SDPRtpMap | undefined {
  const e = STATIC_PAYLOAD_TYPES[payloadType];
  if (e === undefined) return undefined;
  return { payloadType, encodingName: e[0], clockRate: e[1], channels: e[2] };
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_SDP_PARSE', message);
}

function parseConnection(v: string): SDPConnection | undefined {
  const f = v.trim().split(/\s+/);
  if (f.length < 3) return undefined;
  const [address, a, b] = f[2]!.split('/');
  const c: SDPConnection = { netType: f[0]!, addrType: f[1]!, address: address! };
  // IP4 multicast: addr/ttl[/count]; IP6 has no ttl: addr[/count].
  if (f[1]!.toUpperCase() === 'IP4') {
    if (a !== undefined && /^\d{1,3}$/.test(a)) c.ttl = Number(a);
    if (b !== undefined && /^\d{1,5}$/.test(b)) c.numAddresses = Number(b);
  } else if (a !== undefined && /^\d{1,5}$/.test(a)) {
    c.numAddresses = Number(a);
  }
  return c;
}

function parseBandwidth(v: string): SDPBandwidth | undefined {
  const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(\d{1,12})\s*$/.exec(v);
  return m === null ? undefined : { type: m[1]!, value: Number(m[2]) };
}

function parseOrigin(v: string): SDPOrigin | undefined {
  const f = v.trim().split(/\s+/);
  if (f.length < 3) return undefined;
  return {
    username: f[0]!,
    sessionId: f[1]!,
    sessionVersion: f[2]!,
    netType: f[3] ?? 'IN',
    addrType: f[4] ?? 'IP4',
    address: f[5],
  };
}

function parseAttribute(v: string): SDPAttribute {
  const colon = v.indexOf(':');
  return colon < 0 ? { name: v.trim(), value: undefined } : { name: v.slice(0, colon).trim(), value: v.slice(colon + 1).trim() };
}

/**
 * Parses an `a=rtpmap` value (`96 H264/90000`, `97 MPEG4-GENERIC/44100/2`); undefined if malformed,
 * a clock rate of 0 included (every time computed from it would be NaN or infinite).
 */
export function parseRtpmap(value: string): SDPRtpMap | undefined {
  const m = /^\s*(\d{1,3})\s+([^/\s]+)\s*\/\s*(\d{1,10})(?:\s*\/\s*(\d{1,3}))?\s*$/.exec(value);
  if (m === null || Number(m[1]) > 127 || Number(m[3]) === 0) return undefined;
  return { payloadType: Number(m[1]), encodingName: m[2]!, clockRate: Number(m[3]), channels: m[4] === undefined ? undefined : Number(m[4]) };
}

/**
 * Parses an `a=fmtp` value (`96 packetization-mode=1;profile-level-id=42e01e;sprop-parameter-sets=Z0…=,aM…`):
 * parameters split on `;`, names lower-cased, values kept whole (base64 `=` included). Undefined
 * if there is no payload type.
 */
export function parseFmtp(value: string): SDPFmtp | undefined {
  const m = /^\s*(\d{1,3})(?:\s+(.*?))?\s*$/.exec(value);
  if (m === null || Number(m[1]) > 127) return undefined;
  const raw = m[2] ?? '';
  const parameters: Record<string, string> = {};
  for (const part of raw.split(';')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name.length === 0) continue;
    if (!Object.hasOwn(parameters, name)) defineOwn(parameters, name, eq < 0 ? '' : p.slice(eq + 1).trim());
  }
  return { payloadType: Number(m[1]), parameters, raw };
}

/** Sets an own property even for names like `__proto__` or `constructor` (input is untrusted). */
function defineOwn(o: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
}

function parseRangeAttr(v: string | undefined): RangeHeader | undefined {
  if (v === undefined) return undefined;
  try {
    return parseRangeHeader(v);
  } catch {
    return undefined; // tolerant: a bad a=range is ignored, as players do
  }
}

/**
 * Parses a session description tolerantly, for the client side: CRLF or LF, blank lines and
 * unknown lines are accepted (unknown ones kept in `unknownLines`), `o=` may lack its address,
 * several payload types may share an `m=` line, static payload types get their RFC 3551 rtpmap.
 * Throws `ERR_SDP_PARSE` only for input that is not SDP at all (no `v=`/`m=` line, or over the limits).
 *
 * @example
 * ```ts
 * import { parseSDP } from '@dorsvr/livemedia';
 *
 * const sdp = parseSDP('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=demo\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n');
 * const video = sdp.media[0]!;
 * console.log(video.type, video.rtpmaps[0]?.encodingName, video.control); // video H264 track1
 * ```
 */
export function parseSDP(input: string | Uint8Array, options: SDPParseOptions = {}): SDPSessionDescription {
  const maxLength = limitOption(options.maxLength, 65536, 'maxLength', 'ERR_SDP_INVALID');
  const maxMedia = limitOption(options.maxMedia, 64, 'maxMedia', 'ERR_SDP_INVALID');
  if (input.length > maxLength) throw bad(`SDP of ${input.length} bytes exceeds ${maxLength}`);
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const session: SDPSessionDescription = {
    version: 0,
    name: '',
    emails: [],
    phones: [],
    bandwidths: [],
    timings: [],
    attributes: [],
    media: [],
    unknownLines: [],
  };
  let sawVersion = false;
  let media: SDPMediaDescription | undefined;
  let mediaDirection: SDPDirection | undefined;
  const finishMedia = (): void => {
    if (media === undefined) return;
    media.direction = mediaDirection ?? session.direction ?? 'sendrecv';
    for (const pt of media.payloadTypes) {
      if (!media.rtpmaps.some((r) => r.payloadType === pt)) {
        const s = staticPayloadTypeRtpMap(pt);
        if (s !== undefined) media.rtpmaps.push(s);
      }
    }
    session.media.push(media);
    media = undefined;
    mediaDirection = undefined;
  };

  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim().length === 0) continue;
    const m = /^\s*([a-zA-Z])\s*=(.*)$/.exec(line);
    if (m === null) {
      (media ?? session).unknownLines.push(line);
      continue;
    }
    const type = m[1]!;
    const v = m[2]!;
    if (type === 'm') {
      finishMedia();
      if (session.media.length >= maxMedia) throw bad(`more than ${maxMedia} media sections`);
      const f = v.trim().split(/\s+/);
      const pm = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(f[1] ?? '');
      if (f.length < 3 || pm === null) {
        session.unknownLines.push(line);
        continue;
      }
      const formats = f.slice(3);
      media = {
        type: f[0]!,
        port: Number(pm[1]),
        portCount: pm[2] === undefined ? undefined : Number(pm[2]),
        protocol: f[2]!,
        formats,
        payloadTypes: formats.filter((x) => /^\d{1,3}$/.test(x) && Number(x) <= 127).map(Number),
        connections: [],
        bandwidths: [],
        attributes: [],
        rtpmaps: [],
        fmtps: [],
        direction: 'sendrecv',
        unknownLines: [],
      };
      continue;
    }
    if (media !== undefined) {
      switch (type) {
        case 'i':
          media.info = v;
          break;
        case 'c': {
          const c = parseConnection(v);
          if (c === undefined) media.unknownLines.push(line);
          else media.connections.push(c);
          break;
        }
        case 'b': {
          const b = parseBandwidth(v);
          if (b === undefined) media.unknownLines.push(line);
          else media.bandwidths.push(b);
          break;
        }
        case 'a': {
          const a = parseAttribute(v);
          media.attributes.push(a);
          const name = a.name.toLowerCase();
          if (name === 'rtpmap' && a.value !== undefined) {
            const r = parseRtpmap(a.value);
            if (r !== undefined && !media.rtpmaps.some((x) => x.payloadType === r.payloadType)) media.rtpmaps.push(r);
          } else if (name === 'fmtp' && a.value !== undefined) {
            const fm = parseFmtp(a.value);
            if (fm !== undefined && !media.fmtps.some((x) => x.payloadType === fm.payloadType)) media.fmtps.push(fm);
          } else if (name === 'control' && a.value !== undefined) {
            media.control ??= a.value;
          } else if (name === 'range') {
            media.range ??= parseRangeAttr(a.value);
          } else if (DIRECTIONS.has(name) && a.value === undefined) {
            mediaDirection = name as SDPDirection;
          }
          break;
        }
        default:
          media.unknownLines.push(line);
      }
      continue;
    }
    switch (type) {
      case 'v':
        sawVersion = true;
        session.version = /^\s*\d{1,5}\s*$/.test(v) ? Number(v) : 0;
        break;
      case 'o':
        session.origin = parseOrigin(v);
        if (session.origin === undefined) session.unknownLines.push(line);
        break;
      case 's':
        session.name = v;
        break;
      case 'i':
        session.info = v;
        break;
      case 'u':
        session.uri = v;
        break;
      case 'e':
        session.emails.push(v);
        break;
      case 'p':
        session.phones.push(v);
        break;
      case 'c': {
        const c = parseConnection(v);
        if (c === undefined) session.unknownLines.push(line);
        else session.connection = c;
        break;
      }
      case 'b': {
        const b = parseBandwidth(v);
        if (b === undefined) session.unknownLines.push(line);
        else session.bandwidths.push(b);
        break;
      }
      case 't': {
        const f = v.trim().split(/\s+/);
        session.timings.push({ start: f[0] ?? '0', stop: f[1] ?? '0', repeats: [] });
        break;
      }
      case 'r': {
        const t = session.timings[session.timings.length - 1];
        if (t === undefined) session.unknownLines.push(line);
        else t.repeats.push(v);
        break;
      }
      case 'a': {
        const a = parseAttribute(v);
        session.attributes.push(a);
        const name = a.name.toLowerCase();
        if (name === 'control' && a.value !== undefined) session.control ??= a.value;
        else if (name === 'range') session.range ??= parseRangeAttr(a.value);
        else if (DIRECTIONS.has(name) && a.value === undefined) session.direction = name as SDPDirection;
        break;
      }
      default:
        session.unknownLines.push(line);
    }
  }
  finishMedia();
  if (!sawVersion && session.media.length === 0) throw bad('not a session description: no v= or m= line');
  return session;
}

/** The value of the first attribute `name` (case-insensitive) of a session or media section. */
export function getSDPAttribute(where: { attributes: readonly SDPAttribute[] }, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const a of where.attributes) if (a.name.toLowerCase() === lower) return a.value ?? '';
  return undefined;
}
