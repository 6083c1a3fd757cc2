import type { Frame } from '../core/Frame.js';
import { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
import type { RTPSinkOptions } from './RTPSink.js';
import { PayloadHeaderRing } from './PayloadHeaderRing.js';

/** Options of {@link MPEG4GenericRTPSink}. */
export interface MPEG4GenericRTPSinkOptions extends RTPSinkOptions {
  /** RTP clock rate: the audio sampling rate. */
  samplingFrequency: number;
  numChannels: number;
  /** AudioSpecificConfig in hex (`config=` of the fmtp). */
  configHex: string;
}

/** Largest access unit AAC-hbr can describe (a 13-bit AU-size). */
const MAX_AU_SIZE = 8191;

/**
 * live555's MPEG4GenericRTPSink for AAC (RFC 3640, mode AAC-hbr): one access unit per packet,
 * after a 2-byte AU-headers-length and one 16-bit AU header (13-bit size, 3-bit index). An access
 * unit larger than a packet is fragmented (RFC 3640 §3.2.3): each fragment carries the same AU
 * header, whose AU-size is the whole access unit's, and the same timestamp; the marker bit is set
 * on the last fragment only. An access unit above 8191 bytes (which AU-size cannot express, and
 * ADTS cannot carry) is dropped and counted in {@link droppedAccessUnits}.
 */
export class MPEG4GenericRTPSink extends MultiFramedRTPSink {
  readonly #freq: number;
  readonly #channels: number;
  readonly #config: string;
  /** AU header section of each packet. */
  readonly #headers = new PayloadHeaderRing(4);
  /** Access units dropped because AU-size cannot express them (above 8191 bytes) or they were empty. */
  droppedAccessUnits = 0;

  constructor(options: MPEG4GenericRTPSinkOptions) {
    super(options);
    this.#freq = options.samplingFrequency;
    this.#channels = options.numChannels;
    this.#config = options.configHex;
  }

  get rtpTimestampFrequency(): number {
    return this.#freq;
  }
  get rtpPayloadFormatName(): string {
    return 'MPEG4-GENERIC';
  }
  override get numChannels(): number {
    return this.#channels;
  }
  sdpMediaType(): string {
    return 'audio';
  }

  override auxSDPLine(): string {
    return `a=fmtp:${this.payloadType} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${this.#config}`;
  }

  protected packetizeFrame(frame: Frame): void {
    const au = frame.data;
    if (au.length === 0 || au.length > MAX_AU_SIZE) {
      this.droppedAccessUnits++;
      return;
    }
    const room = this.maxPayloadSize - 4;
    for (let pos = 0; pos < au.length; pos += room) {
      const end = Math.min(au.length, pos + room);
      const h = this.#headers.next();
      h[0] = 0;
      h[1] = 16; // AU-headers-length in bits
      h[2] = au.length >> 5; // AU-size: the whole access unit, in every fragment
      h[3] = (au.length & 0x1f) << 3; // AU-Index 0
      this.sendPayload(pos === 0 && end === au.length ? au : au.subarray(pos, end), end === au.length, frame.presentationTime, h);
      if (this.lastPacketRetained) this.#headers.replace(); // the queued send keeps the old memory
    }
  }
}
