import type { Frame } from '../core/Frame.js';
import { MultiFramedRTPSink } from './MultiFramedRTPSink.js';
import type { RTPSinkOptions } from './RTPSink.js';

/** Options of {@link SimpleRTPSink}. */
export interface SimpleRTPSinkOptions extends RTPSinkOptions {
  /** `audio` or `video` (SDP media type). */
  sdpMediaType: string;
  /** RTP clock rate. */
  rtpTimestampFrequency: number;
  /** Encoding name (`L16`, `PCMU`, `PCMA`, `MP2T`, …). */
  rtpPayloadFormatName: string;
  /** Audio channels (default 1). */
  numChannels?: number;
  /**
   * Split frames larger than a packet only at multiples of this many bytes (188 for MP2T, the
   * sample frame size for PCM), so no unit straddles two packets. Default 1.
   */
  unitSize?: number;
  /** Set the marker bit on the last packet of each frame (default false, as audio does). */
  markerOnFrameEnd?: boolean;
}

/**
 * live555's SimpleRTPSink: payload formats with no payload header — PCM (L16, PCMU, PCMA) and
 * MPEG-2 transport streams (RFC 2250: whole 188-byte packets, 7 per RTP packet at the default
 * payload size). A frame larger than a packet is split at unit boundaries.
 */
export class SimpleRTPSink extends MultiFramedRTPSink {
  readonly #mediaType: string;
  readonly #frequency: number;
  readonly #format: string;
  readonly #channels: number;
  readonly #unit: number;
  readonly #marker: boolean;

  constructor(options: SimpleRTPSinkOptions) {
    super(options);
    this.#mediaType = options.sdpMediaType;
    this.#frequency = options.rtpTimestampFrequency;
    this.#format = options.rtpPayloadFormatName;
    this.#channels = options.numChannels ?? 1;
    this.#unit = Math.max(1, options.unitSize ?? 1);
    this.#marker = options.markerOnFrameEnd ?? false;
  }

  get rtpTimestampFrequency(): number {
    return this.#frequency;
  }
  get rtpPayloadFormatName(): string {
    return this.#format;
  }
  override get numChannels(): number {
    return this.#channels;
  }
  sdpMediaType(): string {
    return this.#mediaType;
  }

  /** Always written, static payload types included (as live555 does: `a=rtpmap:33 MP2T/90000`). */
  override rtpmapLine(): string {
    const ch = this.#channels;
    return `a=rtpmap:${this.payloadType} ${this.#format}/${this.#frequency}${this.#mediaType === 'audio' && ch !== 1 ? `/${ch}` : ''}`;
  }

  protected packetizeFrame(frame: Frame): void {
    const data = frame.data;
    const room = Math.max(this.#unit, Math.floor(this.maxPayloadSize / this.#unit) * this.#unit);
    if (data.length <= room) {
      this.sendPayload(data, this.#marker, frame.presentationTime);
      return;
    }
    // Later parts of a split frame get the presentation time of their first byte, as far as the
    // frame's duration tells (PCM); transport streams are timed by their PCRs anyway.
    for (let pos = 0; pos < data.length; pos += room) {
      const end = Math.min(data.length, pos + room);
      const pt = frame.presentationTime + (frame.duration * pos) / data.length;
      this.sendPayload(data.subarray(pos, end), this.#marker && end === data.length, pt);
    }
  }
}
