import type { Frame } from '../core/Frame.js';
import { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
import { parameterSetCopy } from './parameterSetCopy.js';
import type { RTPSinkOptions } from './RTPSink.js';
import { PayloadHeaderRing } from './PayloadHeaderRing.js';

/** Options of {@link H264VideoRTPSink}: the parameter sets for the SDP (else learnt in-band). */
export interface H264VideoRTPSinkOptions extends RTPSinkOptions {
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
 * live555's H264VideoRTPSink (RFC 6184, packetization-mode=1): one NAL unit per frame in, a single
 * NAL unit packet when it fits, else FU-A fragments, and SPS/PPS aggregated in one STAP-A; the
 * marker bit on the last packet of an access unit. The SDP gives `profile-level-id` and `sprop-parameter-sets`.
 */
export class H264VideoRTPSink extends MultiFramedRTPSink {
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  /** FU indicator and header of each fragment. */
  readonly #fu = new PayloadHeaderRing(2);

  constructor(options: H264VideoRTPSinkOptions) {
    super(options);
    this.#aggregate = options.aggregateParameterSets ?? false;
    this.sps = options.sps;
    this.pps = options.pps;
  }

  get rtpTimestampFrequency(): number {
    return 90_000;
  }
  get rtpPayloadFormatName(): string {
    return 'H264';
  }
  sdpMediaType(): string {
    return 'video';
  }

  override auxSDPLine(): string {
    const sps = this.sps;
    const pps = this.pps;
    if (!sps || sps.length < 4) return '';
    const pli = Buffer.from(sps.subarray(1, 4)).toString('hex').toUpperCase();
    const sprop = pps ? `${b64(sps)},${b64(pps)}` : b64(sps);
    return `a=fmtp:${this.payloadType} packetization-mode=1;profile-level-id=${pli};sprop-parameter-sets=${sprop}`;
  }

  /** SPS/PPS waiting to go out together in one STAP-A. */
  #pending: Frame[] = [];
  readonly #aggregate: boolean;
  #pendingBytes = 0;
  #pendingPt = 0;

  /** Send the parameter sets held back: alone as a single NAL unit packet, several as one STAP-A. */
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
    let f = 0;
    let nri = 0;
    const chunks: Uint8Array[] = [];
    const head = new Uint8Array(1 + 2 * nals.length);
    chunks.push(head.subarray(0, 1));
    nals.forEach((n, i) => {
      f |= n[0]! & 0x80;
      nri = Math.max(nri, n[0]! & 0x60);
      const len = head.subarray(1 + 2 * i, 3 + 2 * i);
      len[0] = n.length >> 8;
      len[1] = n.length & 0xff;
      chunks.push(len, n);
    });
    head[0] = f | nri | 24; // STAP-A
    this.sendPacket(chunks, false, this.#pendingPt);
    this.releaseFrames(frames, retainedBefore);
  }

  protected packetizeFrame(frame: Frame): void {
    const nal = frame.data;
    if (nal.length === 0) return;
    const type = nal[0]! & 0x1f;
    // Kept as copies: the frame's memory may be recycled once it is sent.
    if (type === 7) this.sps = parameterSetCopy(this.sps, nal);
    else if (type === 8) this.pps = parameterSetCopy(this.pps, nal);
    const last = frame.endOfAccessUnit !== false;
    const max = this.maxPayloadSize;
    if (this.#pending.length > 0 && frame.presentationTime !== this.#pendingPt) this.#flush();
    if (this.#aggregate && (type === 7 || type === 8) && !last && 1 + this.#pendingBytes + 2 + nal.length <= max) {
      // Parameter sets travel together in one STAP-A (RFC 6184 5.7.1) with the picture after them.
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
    // FU-A: indicator (F, NRI, type 28) + header (S, E, type), then a slice of the NAL payload.
    const indicator = (nal[0]! & 0xe0) | 28;
    let pos = 1;
    const room = max - 2;
    // Fragments as plain views built directly (a subarray costs a species lookup each).
    const buffer = nal.buffer;
    const base = nal.byteOffset;
    while (pos < nal.length) {
      const end = Math.min(nal.length, pos + room);
      const fu = this.#fu.next();
      fu[0] = indicator;
      fu[1] = (pos === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      this.sendPayload(new Uint8Array(buffer, base + pos, end - pos), last && end === nal.length, frame.presentationTime, fu);
      if (this.lastPacketRetained) this.#fu.replace(); // the queued send keeps the old memory
      pos = end;
    }
  }
}
