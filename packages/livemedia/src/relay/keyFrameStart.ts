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

/**
 * How an RTP payload that does not start a key frame may still belong before one in the same
 * access unit: 0 not a prefix (a slice, or anything else: the access unit so far is not a key
 * frame's), 1 a prefix a late reader's first access unit should carry (an SEI or access unit
 * delimiter, alone, fragmented, or aggregated with parameter sets), 2 parameter sets only (the
 * relay sends its own, learnt ones: nothing to keep, but the prefix goes on).
 */
export type KeyFramePrefixKind = 0 | 1 | 2;

/** {@link KeyFramePrefixKind} of one H.264 NAL unit type: SEI (6) and AUD (9) are kept, SPS/PPS (7, 8) are parameter sets. */
function h264Kind(type: number): KeyFramePrefixKind {
  return type === 6 || type === 9 ? 1 : type === 7 || type === 8 ? 2 : 0;
}

/** {@link KeyFramePrefixKind} of one H.265 NAL unit type: AUD (35) and prefix SEI (39) are kept, VPS/SPS/PPS (32–34) are parameter sets. */
function h265Kind(type: number): KeyFramePrefixKind {
  return type === 35 || type === 39 ? 1 : type >= 32 && type <= 34 ? 2 : 0;
}

/** The kind of an aggregate: 0 when any unit is not a prefix, else 1 when any is kept, else 2. */
function worst(a: KeyFramePrefixKind, b: KeyFramePrefixKind): KeyFramePrefixKind {
  return a === 0 || b === 0 ? 0 : a === 1 || b === 1 ? 1 : 2;
}

/** {@link KeyFramePrefixKind} of an H.264 RTP payload (RFC 6184: single NAL unit, STAP-A, FU-A). Never throws. */
export function h264KeyFramePrefix(payload: Uint8Array): KeyFramePrefixKind {
  const n = payload.length;
  if (n < 1) return 0;
  const type = payload[0]! & 0x1f;
  if (type === 28) return n < 2 ? 0 : h264Kind(payload[1]! & 0x1f);
  if (type !== 24) return h264Kind(type);
  let kind: KeyFramePrefixKind = 2;
  let off = 1;
  let units = 0;
  while (off + 2 <= n) {
    const size = (payload[off]! << 8) | payload[off + 1]!;
    off += 2;
    if (size === 0 || off + size > n) return 0;
    kind = worst(kind, h264Kind(payload[off]! & 0x1f));
    units++;
    off += size;
  }
  return units === 0 ? 0 : kind;
}

/** {@link KeyFramePrefixKind} of an H.265 RTP payload (RFC 7798: single NAL unit, AP, FU; `donl` as in {@link isH265KeyFrameStart}). Never throws. */
export function h265KeyFramePrefix(payload: Uint8Array, donl = false): KeyFramePrefixKind {
  const n = payload.length;
  if (n < 2) return 0;
  const type = (payload[0]! >> 1) & 0x3f;
  if (type === 49) return n < 3 ? 0 : h265Kind(payload[2]! & 0x3f);
  if (type !== 48) return h265Kind(type);
  const d = donl ? 2 : 0;
  let kind: KeyFramePrefixKind = 2;
  let off = 2 + d;
  let units = 0;
  while (off + 2 <= n) {
    if (units > 0 && donl) off += 1;
    if (off + 2 > n) return 0;
    const size = (payload[off]! << 8) | payload[off + 1]!;
    off += 2;
    if (size < 2 || off + size > n) return 0;
    kind = worst(kind, h265Kind((payload[off]! >> 1) & 0x3f));
    units++;
    off += size;
  }
  return units === 0 ? 0 : kind;
}
