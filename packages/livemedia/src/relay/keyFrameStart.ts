/**
 * Whether an H.264 RTP payload (RFC 6184, the bytes after the RTP header, padding removed) starts a
 * key frame a late reader can begin with: an IDR slice that is the first of its picture
 * (`first_mb_in_slice` = 0), as a single NAL unit packet, inside a STAP-A, or as the first
 * fragment (S bit) of an FU-A. Never throws; a truncated payload is not a key frame start.
 */
export function isH264KeyFrameStart(payload: Uint8Array): boolean {
  const n = payload.length;
  if (n < 2) return false;
  const type = payload[0]! & 0x1f;
  if (type === 5) return (payload[1]! & 0x80) !== 0; // ue(v) first_mb_in_slice = 0 is a single 1 bit
  if (type === 28) {
    // FU-A: FU header S bit and original type, then the NAL unit's payload (its slice header).
    const fu = payload[1]!;
    return (fu & 0x80) !== 0 && (fu & 0x1f) === 5 && n > 2 && (payload[2]! & 0x80) !== 0;
  }
  if (type === 24) {
    // STAP-A: 16-bit size, NAL unit, repeated.
    let off = 1;
    while (off + 2 <= n) {
      const size = (payload[off]! << 8) | payload[off + 1]!;
      off += 2;
      if (size === 0 || off + size > n) return false;
      if ((payload[off]! & 0x1f) === 5 && size > 1 && (payload[off + 1]! & 0x80) !== 0) return true;
      off += size;
    }
  }
  return false;
}

function isIRAP(type: number): boolean {
  return type >= 16 && type <= 21;
}

/**
 * Whether an H.265 RTP payload (RFC 7798) starts a key frame: an IRAP picture's first slice
 * segment (types 16–21, `first_slice_segment_in_pic_flag` set) as a single NAL unit packet, inside
 * an aggregation packet (type 48), or as the first fragment of an FU (type 49). `donl` is true when
 * the stream carries decoding order numbers (`sprop-max-don-diff` > 0 in the SDP), which shift the
 * bytes after the payload header. Never throws.
 */
export function isH265KeyFrameStart(payload: Uint8Array, donl = false): boolean {
  const n = payload.length;
  if (n < 3) return false;
  const type = (payload[0]! >> 1) & 0x3f;
  const d = donl ? 2 : 0;
  if (type < 48) return isIRAP(type) && n > 2 + d && (payload[2 + d]! & 0x80) !== 0;
  if (type === 49) {
    const fu = payload[2]!;
    return (fu & 0x80) !== 0 && isIRAP(fu & 0x3f) && n > 3 + d && (payload[3 + d]! & 0x80) !== 0;
  }
  if (type === 48) {
    // AP: [DONL] size NAL, then [DOND] size NAL, …
    let off = 2 + d;
    let first = true;
    while (off + 2 <= n) {
      if (!first && donl) off += 1;
      first = false;
      if (off + 2 > n) return false;
      const size = (payload[off]! << 8) | payload[off + 1]!;
      off += 2;
      if (size < 2 || off + size > n) return false;
      if (isIRAP((payload[off]! >> 1) & 0x3f) && size > 2 && (payload[off + 2]! & 0x80) !== 0) return true;
      off += size;
    }
  }
  return false;
}
