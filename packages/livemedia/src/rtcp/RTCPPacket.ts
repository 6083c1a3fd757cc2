import { DorsvrError } from '@dorsvr/scheduler';
import type { NTPTimestamp } from './NTPTime.js';

/** RTCP packet types (RFC 3550 §12.1). */
export const RTCP_PT_SR = 200;
/** Receiver report. */
export const RTCP_PT_RR = 201;
/** Source description. */
export const RTCP_PT_SDES = 202;
/** Goodbye. */
export const RTCP_PT_BYE = 203;
/** Application-defined. */
export const RTCP_PT_APP = 204;

/** SDES item types (RFC 3550 §6.5). */
export const SDES_CNAME = 1;
/** SDES NAME item. */
export const SDES_NAME = 2;
/** SDES EMAIL item. */
export const SDES_EMAIL = 3;
/** SDES PHONE item. */
export const SDES_PHONE = 4;
/** SDES LOC item. */
export const SDES_LOC = 5;
/** SDES TOOL item. */
export const SDES_TOOL = 6;
/** SDES NOTE item. */
export const SDES_NOTE = 7;
/** SDES PRIV item. */
export const SDES_PRIV = 8;

/** One reception report block of an SR or RR (RFC 3550 §6.4.1), all fields as on the wire. */
export interface RTCPReportBlock {
  /** SSRC of the source this block reports on. */
  readonly ssrc: number;
  /** Fraction of packets lost since the previous report, in 1/256 units (0–255). */
  readonly fractionLost: number;
  /** Cumulative packets lost: signed 24-bit (negative when duplicates outnumber losses). */
  readonly cumulativeLost: number;
  /** Extended highest sequence number received: cycles << 16 | highest seq (uint32). */
  readonly extendedHighestSeq: number;
  /** Interarrival jitter in RTP timestamp units (uint32). */
  readonly jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source, or 0. */
  readonly lastSR: number;
  /** Delay since that SR was received, in units of 1/65536 s, or 0. */
  readonly delaySinceLastSR: number;
}

/** SR: a sender's NTP/RTP timestamp pair and counts, plus reception reports (RFC 3550 §6.4.1). */
export interface RTCPSenderReport {
  readonly type: 'sr';
  readonly ssrc: number;
  /** Wall-clock time at which this report was sent. */
  readonly ntp: NTPTimestamp;
  /** The RTP timestamp corresponding to {@link ntp}, on the media clock. */
  readonly rtpTimestamp: number;
  /** RTP data packets sent since the start of transmission (uint32). */
  readonly packetCount: number;
  /** RTP payload octets sent since the start of transmission (uint32). */
  readonly octetCount: number;
  readonly reports: readonly RTCPReportBlock[];
  /** Profile-specific extension after the report blocks (length a multiple of 4), if any. */
  readonly extension?: Uint8Array;
}

/** RR: reception reports from a participant that is not sending (RFC 3550 §6.4.2). */
export interface RTCPReceiverReport {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly RTCPReportBlock[];
  /** Profile-specific extension after the report blocks (length a multiple of 4), if any. */
  readonly extension?: Uint8Array;
}

/** One SDES item: type (e.g. {@link SDES_CNAME}) and its UTF-8 text (at most 255 bytes). */
export interface RTCPSDESItem {
  readonly type: number;
  readonly value: string;
}

/** The SDES items of one source. */
export interface RTCPSDESChunk {
  readonly ssrc: number;
  readonly items: readonly RTCPSDESItem[];
}

/** SDES: source descriptions, CNAME first by convention (RFC 3550 §6.5). */
export interface RTCPSourceDescription {
  readonly type: 'sdes';
  readonly chunks: readonly RTCPSDESChunk[];
}

/** BYE: the listed sources leave the session, optionally with a reason (RFC 3550 §6.6). */
export interface RTCPBye {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason?: string;
}

/** APP: application-defined data under a four-character name (RFC 3550 §6.7). */
export interface RTCPApp {
  readonly type: 'app';
  /** 5-bit subtype. */
  readonly subtype: number;
  readonly ssrc: number;
  /** Four ASCII characters. */
  readonly name: string;
  /** Application data, a multiple of 4 bytes. */
  readonly data: Uint8Array;
}

/**
 * A packet type this codec does not interpret (RTPFB/PSFB feedback, XR, …), kept whole so a
 * compound packet that carries one still parses.
 */
export interface RTCPUnknownPacket {
  readonly type: 'unknown';
  readonly packetType: number;
  /** The 5-bit count/format field of the header. */
  readonly count: number;
  /** Everything after the 4-byte header (padding removed); a multiple of 4 bytes when serialized. */
  readonly body: Uint8Array;
}

/** Any RTCP packet of a compound packet. */
export type RTCPPacket =
  | RTCPSenderReport
  | RTCPReceiverReport
  | RTCPSourceDescription
  | RTCPBye
  | RTCPApp
  | RTCPUnknownPacket;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function parseError(message: string): DorsvrError {
  return new DorsvrError('ERR_RTCP_PARSE', `RTCP: ${message}`);
}

function invalid(message: string): DorsvrError {
  return new DorsvrError('ERR_RTCP_INVALID', `RTCP: ${message}`);
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function parseReportBlocks(b: Uint8Array, off: number, count: number): RTCPReportBlock[] {
  const blocks: RTCPReportBlock[] = [];
  for (let i = 0; i < count; i++, off += 24) {
    const lostRaw = (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
    blocks.push({
      ssrc: u32(b, off),
      fractionLost: b[off + 4]!,
      cumulativeLost: lostRaw & 0x800000 ? lostRaw - 0x1000000 : lostRaw,
      extendedHighestSeq: u32(b, off + 8),
      jitter: u32(b, off + 12),
      lastSR: u32(b, off + 16),
      delaySinceLastSR: u32(b, off + 20),
    });
  }
  return blocks;
}

function parseSDES(b: Uint8Array, start: number, end: number, count: number): RTCPSourceDescription {
  const chunks: RTCPSDESChunk[] = [];
  let off = start;
  for (let c = 0; c < count; c++) {
    if (off + 4 > end) throw parseError(`SDES chunk ${c} truncated`);
    const ssrc = u32(b, off);
    off += 4;
    const items: RTCPSDESItem[] = [];
    for (;;) {
      if (off >= end) throw parseError('SDES chunk without its terminating null item');
      const type = b[off]!;
      if (type === 0) {
        // The null item ends the chunk; zero octets pad to the next 32-bit boundary.
        off = (off + 4) & ~3;
        if (off > end) throw parseError('SDES chunk padding runs past the packet');
        break;
      }
      if (off + 2 > end) throw parseError('SDES item header truncated');
      const len = b[off + 1]!;
      if (off + 2 + len > end) throw parseError(`SDES item of ${len} bytes runs past the packet`);
      items.push({ type, value: utf8Decoder.decode(b.subarray(off + 2, off + 2 + len)) });
      off += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return { type: 'sdes', chunks };
}

/**
 * Parse a compound RTCP packet (one UDP datagram or one interleaved frame) into its packets.
 * Every length is checked against the buffer; malformed input throws a {@link DorsvrError} with
 * code `ERR_RTCP_PARSE` (never a RangeError). Unknown packet types come back as
 * {@link RTCPUnknownPacket}. Returned `Uint8Array`s are views into `buf`.
 *
 * @example
 * ```ts
 * import { parseRTCP, serializeRTCP } from '@dorsvr/livemedia';
 *
 * const compound = serializeRTCP([{ type: 'rr', ssrc: 0x1234, reports: [] }]);
 * for (const packet of parseRTCP(compound)) console.log(packet.type); // rr
 * ```
 */
export function parseRTCP(buf: Uint8Array): RTCPPacket[] {
  const packets: RTCPPacket[] = [];
  if (buf.length < 4) throw parseError(`compound packet of ${buf.length} bytes is shorter than a header`);
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) throw parseError(`${buf.length - off} trailing bytes after the last packet`);
    const b0 = buf[off]!;
    if (b0 >> 6 !== 2) throw parseError(`packet at offset ${off} has version ${b0 >> 6}, not 2`);
    const padding = (b0 & 0x20) !== 0;
    const count = b0 & 0x1f;
    const pt = buf[off + 1]!;
    const size = (((buf[off + 2]! << 8) | buf[off + 3]!) + 1) * 4;
    if (off + size > buf.length) {
      throw parseError(`packet type ${pt} at offset ${off} claims ${size} bytes, only ${buf.length - off} left`);
    }
    let end = off + size;
    if (padding) {
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > size - 4) throw parseError(`invalid padding count ${pad} in a ${size}-byte packet`);
      end -= pad;
    }
    const body = off + 4;
    switch (pt) {
      case RTCP_PT_SR: {
        const need = body + 24 + count * 24;
        if (need > end) throw parseError(`SR with ${count} report blocks needs ${need - off} bytes, has ${end - off}`);
        const sr: {
          -readonly [K in keyof RTCPSenderReport]: RTCPSenderReport[K];
        } = {
          type: 'sr',
          ssrc: u32(buf, body),
          ntp: { seconds: u32(buf, body + 4), fraction: u32(buf, body + 8) },
          rtpTimestamp: u32(buf, body + 12),
          packetCount: u32(buf, body + 16),
          octetCount: u32(buf, body + 20),
          reports: parseReportBlocks(buf, body + 24, count),
        };
        if (need < end) sr.extension = buf.subarray(need, end);
        packets.push(sr);
        break;
      }
      case RTCP_PT_RR: {
        const need = body + 4 + count * 24;
        if (need > end) throw parseError(`RR with ${count} report blocks needs ${need - off} bytes, has ${end - off}`);
        const rr: { -readonly [K in keyof RTCPReceiverReport]: RTCPReceiverReport[K] } = {
          type: 'rr',
          ssrc: u32(buf, body),
          reports: parseReportBlocks(buf, body + 4, count),
        };
        if (need < end) rr.extension = buf.subarray(need, end);
        packets.push(rr);
        break;
      }
      case RTCP_PT_SDES:
        packets.push(parseSDES(buf, body, end, count));
        break;
      case RTCP_PT_BYE: {
        const need = body + count * 4;
        if (need > end) throw parseError(`BYE with ${count} sources needs ${need - off} bytes, has ${end - off}`);
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(u32(buf, body + i * 4));
        if (need < end) {
          const len = buf[need]!;
          if (need + 1 + len > end) throw parseError(`BYE reason of ${len} bytes runs past the packet`);
          packets.push({ type: 'bye', ssrcs, reason: utf8Decoder.decode(buf.subarray(need + 1, need + 1 + len)) });
        } else {
          packets.push({ type: 'bye', ssrcs });
        }
        break;
      }
      case RTCP_PT_APP: {
        if (body + 8 > end) throw parseError(`APP packet of ${end - off} bytes is shorter than 12`);
        packets.push({
          type: 'app',
          subtype: count,
          ssrc: u32(buf, body),
          name: String.fromCharCode(buf[body + 4]!, buf[body + 5]!, buf[body + 6]!, buf[body + 7]!),
          data: buf.subarray(body + 8, end),
        });
        break;
      }
      default:
        packets.push({ type: 'unknown', packetType: pt, count, body: buf.subarray(body, end) });
    }
    off += size;
  }
  return packets;
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalid(`${what} ${v} is not an unsigned 32-bit integer`);
}

function checkCount(n: number, what: string): void {
  if (n > 31) throw invalid(`${n} ${what} do not fit the 5-bit count (max 31)`);
}

function sdesChunkSize(chunk: RTCPSDESChunk, encoded: Uint8Array[]): number {
  let n = 4;
  for (const item of chunk.items) {
    if (!Number.isInteger(item.type) || item.type < 1 || item.type > 255) throw invalid(`SDES item type ${item.type}`);
    const bytes = utf8Encoder.encode(item.value);
    if (bytes.length > 255) throw invalid(`SDES item of ${bytes.length} bytes exceeds 255`);
    encoded.push(bytes);
    n += 2 + bytes.length;
  }
  // At least one null octet, then pad to a multiple of 4.
  return (n + 4) & ~3;
}

/** Size in bytes of `p` once serialized (a multiple of 4). Throws `ERR_RTCP_INVALID` if it cannot be. */
export function rtcpPacketSize(p: RTCPPacket): number {
  switch (p.type) {
    case 'sr':
      return 28 + 24 * p.reports.length + (p.extension?.length ?? 0);
    case 'rr':
      return 8 + 24 * p.reports.length + (p.extension?.length ?? 0);
    case 'sdes': {
      let n = 4;
      for (const c of p.chunks) n += sdesChunkSize(c, []);
      return n;
    }
    case 'bye': {
      const reason = p.reason === undefined ? 0 : 1 + utf8Encoder.encode(p.reason).length;
      return 4 + 4 * p.ssrcs.length + ((reason + 3) & ~3);
    }
    case 'app':
      return 12 + p.data.length;
    case 'unknown':
      return 4 + p.body.length;
  }
}

function writeHeader(out: Uint8Array, off: number, count: number, pt: number, size: number): void {
  if (size > 0x40000) throw invalid(`packet of ${size} bytes exceeds the 16-bit length field`);
  out[off] = 0x80 | count;
  out[off + 1] = pt;
  const words = size / 4 - 1;
  out[off + 2] = words >> 8;
  out[off + 3] = words;
}

function writeReportBlocks(out: Uint8Array, off: number, blocks: readonly RTCPReportBlock[]): void {
  for (const r of blocks) {
    checkU32(r.ssrc, 'report block SSRC');
    if (!Number.isInteger(r.fractionLost) || r.fractionLost < 0 || r.fractionLost > 255) {
      throw invalid(`fraction lost ${r.fractionLost} is not in 0–255`);
    }
    if (!Number.isInteger(r.cumulativeLost) || r.cumulativeLost < -0x800000 || r.cumulativeLost > 0x7fffff) {
      throw invalid(`cumulative lost ${r.cumulativeLost} does not fit a signed 24-bit field`);
    }
    checkU32(r.extendedHighestSeq, 'extended highest sequence number');
    checkU32(r.jitter, 'jitter');
    checkU32(r.lastSR, 'LSR');
    checkU32(r.delaySinceLastSR, 'DLSR');
    put32(out, off, r.ssrc);
    const lost = r.cumulativeLost & 0xffffff;
    out[off + 4] = r.fractionLost;
    out[off + 5] = lost >> 16;
    out[off + 6] = lost >> 8;
    out[off + 7] = lost;
    put32(out, off + 8, r.extendedHighestSeq);
    put32(out, off + 12, r.jitter);
    put32(out, off + 16, r.lastSR);
    put32(out, off + 20, r.delaySinceLastSR);
    off += 24;
  }
}

function checkExtension(ext: Uint8Array | undefined): void {
  if (ext !== undefined && ext.length % 4 !== 0) throw invalid(`extension of ${ext.length} bytes is not a multiple of 4`);
}

/** Write one packet at `off` of `out`; returns the offset after it. */
function writePacket(p: RTCPPacket, out: Uint8Array, off: number): number {
  switch (p.type) {
    case 'sr': {
      checkCount(p.reports.length, 'report blocks');
      checkExtension(p.extension);
      checkU32(p.ssrc, 'SSRC');
      checkU32(p.ntp.seconds, 'NTP seconds');
      checkU32(p.ntp.fraction, 'NTP fraction');
      checkU32(p.rtpTimestamp, 'RTP timestamp');
      checkU32(p.packetCount, 'packet count');
      checkU32(p.octetCount, 'octet count');
      const size = rtcpPacketSize(p);
      writeHeader(out, off, p.reports.length, RTCP_PT_SR, size);
      put32(out, off + 4, p.ssrc);
      put32(out, off + 8, p.ntp.seconds);
      put32(out, off + 12, p.ntp.fraction);
      put32(out, off + 16, p.rtpTimestamp);
      put32(out, off + 20, p.packetCount);
      put32(out, off + 24, p.octetCount);
      writeReportBlocks(out, off + 28, p.reports);
      if (p.extension) out.set(p.extension, off + 28 + 24 * p.reports.length);
      return off + size;
    }
    case 'rr': {
      checkCount(p.reports.length, 'report blocks');
      checkExtension(p.extension);
      checkU32(p.ssrc, 'SSRC');
      const size = rtcpPacketSize(p);
      writeHeader(out, off, p.reports.length, RTCP_PT_RR, size);
      put32(out, off + 4, p.ssrc);
      writeReportBlocks(out, off + 8, p.reports);
      if (p.extension) out.set(p.extension, off + 8 + 24 * p.reports.length);
      return off + size;
    }
    case 'sdes': {
      checkCount(p.chunks.length, 'SDES chunks');
      const size = rtcpPacketSize(p);
      writeHeader(out, off, p.chunks.length, RTCP_PT_SDES, size);
      let o = off + 4;
      for (const c of p.chunks) {
        checkU32(c.ssrc, 'SDES SSRC');
        const encoded: Uint8Array[] = [];
        const chunkEnd = o + sdesChunkSize(c, encoded);
        put32(out, o, c.ssrc);
        o += 4;
        c.items.forEach((item, i) => {
          const bytes = encoded[i]!;
          out[o] = item.type;
          out[o + 1] = bytes.length;
          out.set(bytes, o + 2);
          o += 2 + bytes.length;
        });
        out.fill(0, o, chunkEnd);
        o = chunkEnd;
      }
      return o;
    }
    case 'bye': {
      checkCount(p.ssrcs.length, 'BYE sources');
      const size = rtcpPacketSize(p);
      writeHeader(out, off, p.ssrcs.length, RTCP_PT_BYE, size);
      let o = off + 4;
      for (const s of p.ssrcs) {
        checkU32(s, 'BYE SSRC');
        put32(out, o, s);
        o += 4;
      }
      if (p.reason !== undefined) {
        const bytes = utf8Encoder.encode(p.reason);
        if (bytes.length > 255) throw invalid(`BYE reason of ${bytes.length} bytes exceeds 255`);
        out[o] = bytes.length;
        out.set(bytes, o + 1);
        out.fill(0, o + 1 + bytes.length, off + size);
      }
      return off + size;
    }
    case 'app': {
      if (!Number.isInteger(p.subtype) || p.subtype < 0 || p.subtype > 31) throw invalid(`APP subtype ${p.subtype}`);
      if (!/^[\x20-\x7e]{4}$/.test(p.name)) throw invalid(`APP name ${JSON.stringify(p.name)} is not 4 ASCII characters`);
      if (p.data.length % 4 !== 0) throw invalid(`APP data of ${p.data.length} bytes is not a multiple of 4`);
      checkU32(p.ssrc, 'SSRC');
      const size = rtcpPacketSize(p);
      writeHeader(out, off, p.subtype, RTCP_PT_APP, size);
      put32(out, off + 4, p.ssrc);
      for (let i = 0; i < 4; i++) out[off + 8 + i] = p.name.charCodeAt(i);
      out.set(p.data, off + 12);
      return off + size;
    }
    case 'unknown': {
      if (!Number.isInteger(p.count) || p.count < 0 || p.count > 31) throw invalid(`count ${p.count}`);
      if (!Number.isInteger(p.packetType) || p.packetType < 0 || p.packetType > 255) throw invalid(`packet type ${p.packetType}`);
      if (p.body.length % 4 !== 0) throw invalid(`body of ${p.body.length} bytes is not a multiple of 4`);
      const size = rtcpPacketSize(p);
      writeHeader(out, off, p.count, p.packetType, size);
      out.set(p.body, off + 4);
      return off + size;
    }
  }
}

/**
 * Serialize packets into one compound RTCP packet (no padding). Throws `ERR_RTCP_INVALID` when a
 * field does not fit its wire width (more than 31 report blocks, an SDES item over 255 bytes, …).
 */
export function serializeRTCP(packets: readonly RTCPPacket[]): Uint8Array {
  let total = 0;
  for (const p of packets) total += rtcpPacketSize(p);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of packets) off = writePacket(p, out, off);
  return out;
}
