import { DorsvrError } from '@dorsvr/scheduler';

/** The fixed RTP header (RFC 3550 section 5.1) plus CSRCs and the extension, as plain data. */
export interface RTPHeader {
  /** Always 2. */
  version?: number;
  padding?: boolean;
  marker: boolean;
  payloadType: number;
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit RTP timestamp (unsigned). */
  timestamp: number;
  /** 32-bit SSRC (unsigned). */
  ssrc: number;
  csrcs?: readonly number[];
  /** Header extension: profile-defined 16 bits and data (a multiple of 4 bytes). */
  extension?: { profile: number; data: Uint8Array } | undefined;
}

/** A parsed RTP packet: the header and views of the payload (padding removed). */
export interface ParsedRTPPacket extends Required<Omit<RTPHeader, 'extension'>> {
  extension: { profile: number; data: Uint8Array } | undefined;
  /** Bytes of header (fixed + CSRCs + extension). */
  headerLength: number;
  /** The payload, a view of the input. */
  payload: Uint8Array;
  /** Padding bytes removed from the end. */
  paddingLength: number;
}

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTP_PACKET', message);
}

/**
 * Parses an RTP packet (RFC 3550): version 2, CSRCs, extension, padding. Every length is checked
 * against the buffer; malformed input throws `ERR_RTP_PACKET`, never a RangeError.
 *
 * @example
 * ```ts
 * import { parseRTPHeader, writeRTPHeader } from '@dorsvr/livemedia';
 *
 * const packet = new Uint8Array(12 + 3);
 * writeRTPHeader({ marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 90_000, ssrc: 0x1234 }, packet);
 * packet.set([1, 2, 3], 12);
 * const p = parseRTPHeader(packet); // malformed input throws ERR_RTP_PACKET
 * console.log(p.payloadType, p.sequenceNumber, p.payload.length); // 96 1 3
 * ```
 */
export function parseRTPHeader(buf: Uint8Array): ParsedRTPPacket {
  if (buf.length < 12) throw bad(`RTP packet of ${buf.length} bytes is shorter than its 12-byte header`);
  const b0 = buf[0]!;
  const version = b0 >> 6;
  if (version !== 2) throw bad(`RTP version ${version}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 12 + cc * 4;
  if (off > buf.length) throw bad('RTP packet truncated in its CSRC list');
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(view.getUint32(12 + i * 4));
  let extension: ParsedRTPPacket['extension'];
  if (hasExtension) {
    if (off + 4 > buf.length) throw bad('RTP packet truncated in its extension header');
    const profile = view.getUint16(off);
    const words = view.getUint16(off + 2);
    const end = off + 4 + words * 4;
    if (end > buf.length) throw bad('RTP header extension longer than the packet');
    extension = { profile, data: buf.subarray(off + 4, end) };
    off = end;
  }
  let paddingLength = 0;
  if (padding) {
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || off + paddingLength > buf.length) throw bad(`invalid RTP padding length ${paddingLength}`);
  }
  return {
    version,
    padding,
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    extension,
    headerLength: off,
    payload: buf.subarray(off, buf.length - paddingLength),
    paddingLength,
  };
}

/** Bytes {@link writeRTPHeader} writes for `h`. */
export function rtpHeaderLength(h: RTPHeader): number {
  return 12 + (h.csrcs?.length ?? 0) * 4 + (h.extension ? 4 + h.extension.data.length : 0);
}

/**
 * Writes the header of `h` into `buf` at `off` (preallocated headers are rewritten in place per
 * packet); returns the bytes written. Throws `ERR_RTP_PACKET` for out-of-range fields or no room.
 */
export function writeRTPHeader(h: RTPHeader, buf: Uint8Array, off = 0): number {
  const len = rtpHeaderLength(h);
  if (off < 0 || off + len > buf.length) throw bad('no room for the RTP header');
  const csrcs = h.csrcs ?? [];
  if (csrcs.length > 15) throw bad('more than 15 CSRCs');
  if (!Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 127) throw bad(`payload type ${h.payloadType}`);
  if (h.extension && h.extension.data.length % 4 !== 0) throw bad('RTP header extension data must be a multiple of 4 bytes');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[off] = 0x80 | (h.padding ? 0x20 : 0) | (h.extension ? 0x10 : 0) | csrcs.length;
  buf[off + 1] = (h.marker ? 0x80 : 0) | h.payloadType;
  view.setUint16(off + 2, h.sequenceNumber & 0xffff);
  view.setUint32(off + 4, h.timestamp >>> 0);
  view.setUint32(off + 8, h.ssrc >>> 0);
  let p = off + 12;
  for (const c of csrcs) {
    view.setUint32(p, c >>> 0);
    p += 4;
  }
  if (h.extension) {
    view.setUint16(p, h.extension.profile & 0xffff);
    view.setUint16(p + 2, h.extension.data.length / 4);
    buf.set(h.extension.data, p + 4);
  }
  return len;
}
