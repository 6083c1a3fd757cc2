import type { Frame } from '../core/Frame.js';
import { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
import { parameterSetCopy } from './parameterSetCopy.js';
import type { RTPSinkOptions } from './RTPSink.js';
import { parseH265SPS, parseH265VPS, type H265ProfileTierLevel } from '../h26x/H265ParameterSets.js';
import { PayloadHeaderRing } from './PayloadHeaderRing.js';

/** Options of {@link H265VideoRTPSink}: the parameter sets for the SDP (else learnt in-band). */
export interface H265VideoRTPSinkOptions extends RTPSinkOptions {
  vps?: Uint8Array | undefined;
  sps?: Uint8Array | undefined;
  pps?: Uint8Array | undefined;
  /**
   * Send the parameter sets that precede a picture together in one aggregation packet (STAP-A /
   * AP) instead of one packet each (default false; the file subsessions turn it on).
   */
  aggregateParameterSets?: boolean;
}

function b64(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
}

/**
 * live555's H265VideoRTPSink (RFC 7798): a single NAL unit packet when it fits, else
 * fragmentation units (type 49), and VPS/SPS/PPS aggregated in one AP (type 48); the marker bit
 * on the last packet of an access unit. The SDP gives `profile-space`, `profile-id`, `tier-flag`,
 * `level-id` and `interop-constraints` (from the SPS's profile_tier_level, else the VPS's), and
 * `sprop-vps`, `sprop-sps` and `sprop-pps`.
 */
export class H265VideoRTPSink extends MultiFramedRTPSink {
  vps: Uint8Array | undefined;
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  /** Payload header and FU header of each fragment. */
  readonly #fu = new PayloadHeaderRing(3);

  constructor(options: H265VideoRTPSinkOptions) {
    super(options);
    this.#aggregate = options.aggregateParameterSets ?? false;
    this.vps = options.vps;
    this.sps = options.sps;
    this.pps = options.pps;
  }

  get rtpTimestampFrequency(): number {
    return 90_000;
  }
  get rtpPayloadFormatName(): string {
    return 'H265';
  }
  sdpMediaType(): string {
    return 'video';
  }

  override auxSDPLine(): string {
    const parts: string[] = [];
    const ptl = this.#profileTierLevel();
    if (ptl) {
      parts.push(
        `profile-space=${ptl.generalProfileSpace}`,
        `profile-id=${ptl.generalProfileIdc}`,
        `tier-flag=${ptl.generalTierFlag}`,
        `level-id=${ptl.generalLevelIdc}`,
        `interop-constraints=${Buffer.from(ptl.generalConstraintIndicatorFlags).toString('hex').toUpperCase()}`,
      );
    }
    if (this.vps) parts.push(`sprop-vps=${b64(this.vps)}`);
    if (this.sps) parts.push(`sprop-sps=${b64(this.sps)}`);
    if (this.pps) parts.push(`sprop-pps=${b64(this.pps)}`);
    return parts.length === 0 ? '' : `a=fmtp:${this.payloadType} ${parts.join(';')}`;
  }

  /** The general profile, tier and level (RFC 7798 §7.1) of the SPS, else the VPS; undefined when neither parses. */
  #profileTierLevel(): H265ProfileTierLevel | undefined {
    try {
      if (this.sps) return parseH265SPS(this.sps).profileTierLevel;
    } catch {
      /* try the VPS */
    }
    try {
      if (this.vps) return parseH265VPS(this.vps).profileTierLevel;
    } catch {
      /* none */
    }
    return undefined;
  }

  /** VPS/SPS/PPS waiting to go out together in one aggregation packet. */
  #pending: Frame[] = [];
  readonly #aggregate: boolean;
  #pendingBytes = 0;
  #pendingPt = 0;

  /** Send the parameter sets held back: alone as a single NAL unit packet, several as one AP. */
  #flush(): void {
    const frames = this.#pending;
    if (frames.length === 0) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    const retainedBefore = this.retainedSends;
    if (frames.length === 1) {
      this.sendPayload(frames[0]!.data, false, this.#pendingPt);
      this.releaseFrames(frames, retainedBefore);
      return;
    }
    const nals = frames.map((f) => f.data);
    const head = new Uint8Array(2 + 2 * nals.length);
    const chunks: Uint8Array[] = [head.subarray(0, 2)];
    let f = 0;
    let layer = 0x3f;
    let tid = 7;
    nals.forEach((n, i) => {
      f |= n[0]! & 0x80;
      layer = Math.min(layer, ((n[0]! & 1) << 5) | (n[1]! >> 3));
      tid = Math.min(tid, n[1]! & 7);
      const len = head.subarray(2 + 2 * i, 4 + 2 * i);
      len[0] = n.length >> 8;
      len[1] = n.length & 0xff;
      chunks.push(len, n);
    });
    head[0] = f | (48 << 1) | (layer >> 5); // AP (RFC 7798 4.4.2)
    head[1] = ((layer & 0x1f) << 3) | tid;
    this.sendPacket(chunks, false, this.#pendingPt);
    this.releaseFrames(frames, retainedBefore);
  }

  protected packetizeFrame(frame: Frame): void {
    const nal = frame.data;
    if (nal.length < 2) return;
    const type = (nal[0]! >> 1) & 0x3f;
    // Kept as copies: the frame's memory may be recycled once it is sent.
    if (type === 32) this.vps = parameterSetCopy(this.vps, nal);
    else if (type === 33) this.sps = parameterSetCopy(this.sps, nal);
    else if (type === 34) this.pps = parameterSetCopy(this.pps, nal);
    const last = frame.endOfAccessUnit !== false;
    const max = this.maxPayloadSize;
    if (this.#pending.length > 0 && frame.presentationTime !== this.#pendingPt) this.#flush();
    if (this.#aggregate && type >= 32 && type <= 34 && !last && 2 + this.#pendingBytes + 2 + nal.length <= max) {
      this.#pending.push(frame);
      this.keepFrame();
      this.#pendingBytes += 2 + nal.length;
      this.#pendingPt = frame.presentationTime;
      return;
    }
    this.#flush();
    if (nal.length <= max) {
      this.sendPayload(nal, last, frame.presentationTime);
      return;
    }
    // FU: payload header (type 49, the NAL's layer id and TID) + FU header (S, E, type).
    let pos = 2;
    const room = max - 3;
    // Fragments as plain views built directly (a subarray costs a species lookup each).
    const buffer = nal.buffer;
    const base = nal.byteOffset;
    while (pos < nal.length) {
      const end = Math.min(nal.length, pos + room);
      const fu = this.#fu.next();
      fu[0] = (nal[0]! & 0x81) | (49 << 1);
      fu[1] = nal[1]!;
      fu[2] = (pos === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      this.sendPayload(new Uint8Array(buffer, base + pos, end - pos), last && end === nal.length, frame.presentationTime, fu);
      if (this.lastPacketRetained) this.#fu.replace(); // the queued send keeps the old memory
      pos = end;
    }
  }
}
