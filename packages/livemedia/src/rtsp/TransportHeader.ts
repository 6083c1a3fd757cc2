import { DorsvrError } from '@dorsvr/scheduler';

/**
 * A pair of ports (client_port, server_port, port) or interleaved channels: the first carries
 * RTP, the second RTCP. `rtcp` is undefined when the header gave a single number.
 */
export interface TransportPortPair {
  rtp: number;
  rtcp?: number | undefined;
}

/** One transport-spec of an RTSP `Transport:` header (RFC 2326 section 12.39). */
export interface TransportSpec {
  /** Transport protocol and profile, e.g. `RTP/AVP` (also `RTP/SAVP`, `RTP/AVPF`). */
  profile: string;
  /** `UDP` for `RTP/AVP` and `RTP/AVP/UDP`, `TCP` for `RTP/AVP/TCP` (`$`-interleaved). */
  lowerTransport: 'UDP' | 'TCP';
  /** `unicast` or `multicast`, undefined when the spec said neither. */
  delivery?: 'unicast' | 'multicast' | undefined;
  /** `destination=` address; '' when the bare `destination` flag was given. */
  destination?: string | undefined;
  /** `source=` address. */
  source?: string | undefined;
  /** Client's RTP/RTCP ports (`client_port=a-b`; `0-0` is kept as sent, meaning "none"). */
  clientPort?: TransportPortPair | undefined;
  /** Server's RTP/RTCP ports. */
  serverPort?: TransportPortPair | undefined;
  /** Multicast RTP/RTCP ports (`port=a-b`). */
  port?: TransportPortPair | undefined;
  /** `$`-interleaved channels (`interleaved=a-b`, or a single channel). */
  interleaved?: TransportPortPair | undefined;
  /** Multicast time-to-live (0–255). */
  ttl?: number | undefined;
  /** Number of multicast layers. */
  layers?: number | undefined;
  /** Synchronization source, unsigned 32-bit (written as 8 hex digits). */
  ssrc?: number | undefined;
  /** Upper-case mode without quotes: `PLAY`, `RECORD` (`receive` is read as `RECORD`), or another. */
  mode?: string | undefined;
  /** The `append` flag (RECORD). */
  append?: boolean | undefined;
  /** Parameters this parser does not model, in order, value undefined for a bare flag. */
  extra?: Array<[string, string | undefined]> | undefined;
}

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTSP_TRANSPORT', message, { status: 400 });
}

function parseInteger(name: string, v: string, max: number): number {
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t)) throw bad(`Transport ${name}=${JSON.stringify(v)} is not a number`);
  const n = Number(t);
  if (n > max) throw bad(`Transport ${name}=${n} exceeds ${max}`);
  return n;
}

function parsePair(name: string, v: string, max: number): TransportPortPair {
  const dash = v.indexOf('-');
  if (dash < 0) return { rtp: parseInteger(name, v, max) };
  return { rtp: parseInteger(name, v.slice(0, dash), max), rtcp: parseInteger(name, v.slice(dash + 1), max) };
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (c === sep && !inQuotes) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Parses one transport-spec (no commas). */
export function parseTransportSpec(spec: string): TransportSpec {
  const parts = splitOutsideQuotes(spec, ';').map((p) => p.trim());
  const proto = parts[0]!;
  const m = /^([A-Za-z0-9_.+-]+\/[A-Za-z0-9_.+-]+)(?:\/([A-Za-z]+))?$/.exec(proto);
  if (m === null) throw bad(`Transport spec ${JSON.stringify(spec.slice(0, 80))} has no protocol/profile`);
  const lower = (m[2] ?? 'UDP').toUpperCase();
  if (lower !== 'UDP' && lower !== 'TCP') throw bad(`Transport lower transport ${JSON.stringify(m[2])} is neither UDP nor TCP`);
  const t: TransportSpec = { profile: m[1]!.toUpperCase(), lowerTransport: lower };
  for (const p of parts.slice(1)) {
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : p.slice(eq + 1).trim();
    const lname = name.toLowerCase();
    const need = (): string => {
      if (value === undefined || value.length === 0) throw bad(`Transport parameter ${name} needs a value`);
      return value;
    };
    switch (lname) {
      case 'unicast':
      case 'multicast':
        t.delivery = lname;
        break;
      case 'destination':
        t.destination = value === undefined ? '' : unquote(value);
        break;
      case 'source':
        t.source = unquote(need());
        break;
      case 'client_port':
        t.clientPort = parsePair(name, need(), 65535);
        break;
      case 'server_port':
        t.serverPort = parsePair(name, need(), 65535);
        break;
      case 'port':
        t.port = parsePair(name, need(), 65535);
        break;
      case 'interleaved':
        t.interleaved = parsePair(name, need(), 255);
        break;
      case 'ttl':
        t.ttl = parseInteger(name, need(), 255);
        break;
      case 'layers':
        t.layers = parseInteger(name, need(), 0xffff);
        break;
      case 'ssrc': {
        // 8 hex digits per RFC 2326; some cameras send fewer digits or pad with spaces. An ssrc we
        // cannot read is kept in `extra` rather than failing the whole header: it is only a hint.
        const s = unquote(need());
        if (/^[0-9A-Fa-f]{1,8}$/.test(s)) t.ssrc = parseInt(s, 16) >>> 0;
        else (t.extra ??= []).push([name, value]);
        break;
      }
      case 'mode': {
        const mode = unquote(need()).toUpperCase();
        t.mode = mode === 'RECEIVE' ? 'RECORD' : mode;
        break;
      }
      case 'append':
        t.append = true;
        break;
      default:
        (t.extra ??= []).push([name, value]);
    }
  }
  return t;
}

/**
 * Parses a `Transport:` header: one or more comma-separated transport-specs, in preference order.
 * Throws `ERR_RTSP_TRANSPORT` (status 400) for a spec it cannot read; unknown parameters are kept
 * in `extra`, and unknown profiles are returned as-is for the caller to refuse with 461.
 */
export function parseTransportHeader(value: string): TransportSpec[] {
  const specs = splitOutsideQuotes(value, ',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0) throw bad('empty Transport header');
  return specs.map(parseTransportSpec);
}

function formatPair(p: TransportPortPair): string {
  return p.rtcp === undefined ? String(p.rtp) : `${p.rtp}-${p.rtcp}`;
}

/** Formats one transport-spec; `RTP/AVP` for UDP, `RTP/AVP/TCP` for TCP. */
export function formatTransportSpec(t: TransportSpec): string {
  const out: string[] = [t.lowerTransport === 'TCP' ? `${t.profile}/TCP` : t.profile];
  if (t.delivery !== undefined) out.push(t.delivery);
  if (t.destination !== undefined) out.push(t.destination === '' ? 'destination' : `destination=${t.destination}`);
  if (t.source !== undefined) out.push(`source=${t.source}`);
  if (t.port !== undefined) out.push(`port=${formatPair(t.port)}`);
  if (t.clientPort !== undefined) out.push(`client_port=${formatPair(t.clientPort)}`);
  if (t.serverPort !== undefined) out.push(`server_port=${formatPair(t.serverPort)}`);
  if (t.interleaved !== undefined) out.push(`interleaved=${formatPair(t.interleaved)}`);
  if (t.ttl !== undefined) out.push(`ttl=${t.ttl}`);
  if (t.layers !== undefined) out.push(`layers=${t.layers}`);
  if (t.ssrc !== undefined) out.push(`ssrc=${(t.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (t.mode !== undefined) out.push(`mode=${t.mode}`);
  if (t.append === true) out.push('append');
  for (const [n, v] of t.extra ?? []) out.push(v === undefined ? n : `${n}=${v}`);
  return out.join(';');
}

/** Formats a `Transport:` header from one spec or several (comma-separated). */
export function formatTransportHeader(specs: TransportSpec | readonly TransportSpec[]): string {
  return (Array.isArray(specs) ? (specs as readonly TransportSpec[]) : [specs as TransportSpec]).map(formatTransportSpec).join(',');
}
