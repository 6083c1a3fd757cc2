import { DorsvrError } from '@dorsvr/scheduler';

/** The fields of a received RTP packet the depacketizers use. */
export interface ReceivedRTPHeader {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** Payload without CSRCs, header extension or padding: a view into the packet. */
  readonly payload: Uint8Array;
}

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTP_PARSE', `RTP: ${message}`);
}

/**
 * Reads an RTP packet's fixed header (RFC 3550 §5.1) and locates its payload past CSRCs, header
 * extension and padding, checking every length.
 *
 * Stop-gap: area rtp/ is to provide `parseRTPHeader` in rtp/RTPPacket.ts, which this reception path
 * should use once it exists; until then the source must not depend on a file that is not there.
 * Internal to rtpsource/ (not exported from the package).
 */
export function readRTPPacket(b: Uint8Array): ReceivedRTPHeader {
  if (b.length < 12) throw bad(`packet of ${b.length} bytes is shorter than the 12-byte header`);
  const b0 = b[0]!;
  if (b0 >> 6 !== 2) throw bad(`version ${b0 >> 6}, not 2`);
  let off = 12 + (b0 & 0x0f) * 4;
  if (off > b.length) throw bad('CSRC list runs past the packet');
  if (b0 & 0x10) {
    if (off + 4 > b.length) throw bad('header extension header runs past the packet');
    off += 4 + ((b[off + 2]! << 8) | b[off + 3]!) * 4;
    if (off > b.length) throw bad('header extension runs past the packet');
  }
  let end = b.length;
  if (b0 & 0x20) {
    const pad = b[end - 1]!;
    if (pad === 0 || off + pad > end) throw bad(`invalid padding count ${pad}`);
    end -= pad;
  }
  return {
    marker: (b[1]! & 0x80) !== 0,
    payloadType: b[1]! & 0x7f,
    sequenceNumber: (b[2]! << 8) | b[3]!,
    timestamp: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    ssrc: ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0,
    payload: b.subarray(off, end),
  };
}
