import type { Frame } from '../core/Frame.js';
import { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
import type { RTPSinkOptions } from './RTPSink.js';

/** Options of {@link H265VideoRTPSink}: the parameter sets for the SDP (else learnt in-band). */
export interface H265VideoRTPSinkOptions extends RTPSinkOptions {
  vps?: Uint8Array | undefined;
  sps?: Uint8Array | undefined;
  pps?: Uint8Array | undefined;
}

function b64(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
}

/**
 * live555's H265VideoRTPSink (RFC 7798): a single NAL unit packet when it fits, else
 * fragmentation units (type 49); the marker bit on the last packet of an access unit. The SDP
 * gives `sprop-vps`, `sprop-sps` and `sprop-pps`.
 */
export class H265VideoRTPSink extends MultiFramedRTPSink {
  vps: Uint8Array | undefined;
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  readonly #fuHeader = new Uint8Array(3 * 64);
  #fuIndex = 0;

  constructor(options: H265VideoRTPSinkOptions) {
    super(options);
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
    if (this.vps) parts.push(`sprop-vps=${b64(this.vps)}`);
    if (this.sps) parts.push(`sprop-sps=${b64(this.sps)}`);
    if (this.pps) parts.push(`sprop-pps=${b64(this.pps)}`);
    return parts.length === 0 ? '' : `a=fmtp:${this.payloadType} ${parts.join(';')}`;
  }

  protected packetizeFrame(frame: Frame): void {
    const nal = frame.data;
    if (nal.length < 2) return;
    const type = (nal[0]! >> 1) & 0x3f;
    if (type === 32) this.vps = nal;
    else if (type === 33) this.sps = nal;
    else if (type === 34) this.pps = nal;
    const last = frame.endOfAccessUnit !== false;
    const max = this.maxPayloadSize;
    if (nal.length <= max) {
      this.sendPacket([nal], last, frame.presentationTime);
      return;
    }
    // FU: payload header (type 49, the NAL's layer id and TID) + FU header (S, E, type).
    let pos = 2;
    const room = max - 3;
    while (pos < nal.length) {
      const end = Math.min(nal.length, pos + room);
      const off = this.#fuIndex * 3;
      this.#fuIndex = (this.#fuIndex + 1) % 64;
      const fu = this.#fuHeader.subarray(off, off + 3);
      fu[0] = (nal[0]! & 0x81) | (49 << 1);
      fu[1] = nal[1]!;
      fu[2] = (pos === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      this.sendPacket([fu, nal.subarray(pos, end)], last && end === nal.length, frame.presentationTime);
      pos = end;
    }
  }
}
