import type { SDPMediaDescription } from '../sdp/SDPTypes.js';
import { parseSpropParameterSets } from '../sdp/SpropParameterSets.js';

/** The codecs the relay knows enough of to start a late reader at a key frame. */
export type RelayCodec = 'h264' | 'h265' | 'other';

/** Distinct parameter sets kept per kind (SPS with different ids, several PPS, …). */
const MAX_PER_KIND = 4;
/** Larger NAL units are not taken for parameter sets. */
const MAX_PARAMETER_SET_BYTES = 4096;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The parameter sets (H.264 SPS/PPS, H.265 VPS/SPS/PPS) of a relayed stream, which a late reader
 * needs before its first key frame: first those of the SDP (`sprop-parameter-sets`,
 * `sprop-vps`/`sprop-sps`/`sprop-pps`), then those learnt in-band from the RTP payloads (single
 * NAL unit packets and aggregation packets), the latest last. Kept as copies (the packets they came
 * in are the publisher's), at most 4 distinct ones per kind.
 */
export class RelayParameterSets {
  readonly codec: RelayCodec;
  /** H.265 decoding order numbers in the payloads (`sprop-max-don-diff` > 0). */
  readonly donl: boolean;
  /** Per kind (VPS, SPS, PPS order), oldest first. */
  readonly #kinds: Uint8Array[][] = [[], [], []];

  constructor(codec: RelayCodec, donl = false) {
    this.codec = codec;
    this.donl = donl;
  }

  /** The codec of one `m=` section (its first payload type's rtpmap) and its SDP parameter sets. */
  static fromMedia(media: SDPMediaDescription): RelayParameterSets {
    const pt = media.payloadTypes[0];
    const rtpmap = media.rtpmaps.find((m) => m.payloadType === pt);
    const name = rtpmap?.encodingName.toUpperCase();
    const codec: RelayCodec = name === 'H264' ? 'h264' : name === 'H265' || name === 'HEVC' ? 'h265' : 'other';
    const params = media.fmtps.find((f) => f.payloadType === pt)?.parameters ?? {};
    const donl = codec === 'h265' && Number(params['sprop-max-don-diff'] ?? '0') > 0;
    const sets = new RelayParameterSets(codec, donl);
    if (codec === 'h264') {
      for (const nal of parseSpropParameterSets(params['sprop-parameter-sets'] ?? '')) sets.#take(nal);
    } else if (codec === 'h265') {
      for (const key of ['sprop-vps', 'sprop-sps', 'sprop-pps']) {
        for (const nal of parseSpropParameterSets(params[key] ?? '')) sets.#take(nal);
      }
    }
    return sets;
  }

  /** The parameter sets to send a new reader, in decoding order (VPS, SPS, PPS; oldest first). */
  list(): Uint8Array[] {
    return [...this.#kinds[0]!, ...this.#kinds[1]!, ...this.#kinds[2]!];
  }

  /** Kind index of a NAL unit (0 VPS, 1 SPS, 2 PPS) or -1. */
  #kindOf(nal: Uint8Array): number {
    if (nal.length < 2) return -1;
    if (this.codec === 'h264') {
      const t = nal[0]! & 0x1f;
      return t === 7 ? 1 : t === 8 ? 2 : -1;
    }
    if (this.codec === 'h265') {
      const t = (nal[0]! >> 1) & 0x3f;
      return t >= 32 && t <= 34 ? t - 32 : -1;
    }
    return -1;
  }

  #take(nal: Uint8Array): void {
    const k = this.#kindOf(nal);
    if (k < 0 || nal.length > MAX_PARAMETER_SET_BYTES) return;
    const list = this.#kinds[k]!;
    const i = list.findIndex((p) => sameBytes(p, nal));
    if (i === list.length - 1 && i >= 0) return; // already the latest: the common case, no copy
    const kept = i >= 0 ? list.splice(i, 1)[0]! : nal.slice();
    list.push(kept);
    if (list.length > MAX_PER_KIND) list.shift();
  }

  /**
   * Learn the parameter sets an RTP payload carries (a single NAL unit packet or an aggregation
   * packet; fragments are not reassembled). Cheap for other payloads: one type test. Never throws.
   */
  learn(payload: Uint8Array): void {
    const n = payload.length;
    if (n < 2) return;
    if (this.codec === 'h264') {
      const t = payload[0]! & 0x1f;
      if (t === 7 || t === 8) this.#take(payload);
      else if (t === 24) {
        for (let off = 1; off + 2 <= n; ) {
          const size = (payload[off]! << 8) | payload[off + 1]!;
          off += 2;
          if (size === 0 || off + size > n) return;
          this.#take(payload.subarray(off, off + size));
          off += size;
        }
      }
    } else if (this.codec === 'h265') {
      const t = (payload[0]! >> 1) & 0x3f;
      if (t >= 32 && t <= 34) {
        this.#take(this.donl ? withoutDONL(payload) : payload);
      } else if (t === 48) {
        let off = 2 + (this.donl ? 2 : 0);
        for (let first = true; off + 2 <= n; first = false) {
          if (!first && this.donl) off += 1;
          if (off + 2 > n) return;
          const size = (payload[off]! << 8) | payload[off + 1]!;
          off += 2;
          if (size < 2 || off + size > n) return;
          this.#take(payload.subarray(off, off + size));
          off += size;
        }
      }
    }
  }
}

/** A single NAL unit packet's NAL unit without its DONL field (header, then the rest). */
function withoutDONL(payload: Uint8Array): Uint8Array {
  if (payload.length < 4) return payload;
  const out = new Uint8Array(payload.length - 2);
  out[0] = payload[0]!;
  out[1] = payload[1]!;
  out.set(payload.subarray(4), 2);
  return out;
}
