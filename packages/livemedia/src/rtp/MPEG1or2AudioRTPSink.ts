import type { Frame } from '../core/Frame.js';
import { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
import type { RTPSinkOptions } from './RTPSink.js';
import { PayloadHeaderRing } from './PayloadHeaderRing.js';

/**
 * live555's MPEG1or2AudioRTPSink (RFC 2250, payload type 14, 90 kHz clock): each MPEG audio frame
 * after a 4-byte header (MBZ, fragment offset); frames larger than a packet are fragmented.
 */
export class MPEG1or2AudioRTPSink extends MultiFramedRTPSink {
  /** MPEG audio-specific header of each packet. */
  readonly #headers = new PayloadHeaderRing(4);

  constructor(options: Omit<RTPSinkOptions, 'payloadType'> & { payloadType?: number }) {
    super({ ...options, payloadType: options.payloadType ?? 14 });
  }

  get rtpTimestampFrequency(): number {
    return 90_000;
  }
  get rtpPayloadFormatName(): string {
    return 'MPA';
  }
  sdpMediaType(): string {
    return 'audio';
  }
  override rtpmapLine(): string {
    return `a=rtpmap:${this.payloadType} MPA/90000`;
  }

  protected packetizeFrame(frame: Frame): void {
    const d = frame.data;
    const room = this.maxPayloadSize - 4;
    for (let pos = 0; pos < d.length; pos += room) {
      const h = this.#headers.next();
      h[0] = 0;
      h[1] = 0;
      h[2] = pos >> 8;
      h[3] = pos & 0xff;
      this.sendPayload(d.subarray(pos, Math.min(d.length, pos + room)), false, frame.presentationTime, h);
      if (this.lastPacketRetained) this.#headers.replace(); // the queued send keeps the old memory
    }
  }
}
