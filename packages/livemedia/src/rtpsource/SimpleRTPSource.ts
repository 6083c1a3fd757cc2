import { MultiFramedRTPSource } from './MultiFramedRTPSource.js';
import type { RTPReceivedPacket, RTPSourceOptions } from './RTPSource.js';

/** Options of {@link SimpleRTPSource}. */
export interface SimpleRTPSourceOptions extends RTPSourceOptions {
  /** The SDP encoding name: `L16`, `L8`, `PCMU`, `PCMA`, `MP2T`, … (case-insensitive). */
  encodingName: string;
  /** Audio channels (for frame durations). Default 1. */
  channels?: number;
}

/**
 * One frame per RTP payload, for formats that need no reassembly: L16 (big-endian PCM), L8,
 * PCMU/PCMA (G.711) and MPEG-2 transport streams (RFC 2250, whole 188-byte packets). Audio frames
 * get durations from their sample counts. Default clock: 90 kHz for MP2T, else 8 kHz (pass the
 * SDP rate).
 */
export class SimpleRTPSource extends MultiFramedRTPSource {
  readonly encodingName: string;
  readonly channels: number;
  readonly #bytesPerSampleFrame: number;

  constructor(options: SimpleRTPSourceOptions) {
    const name = options.encodingName.toUpperCase();
    super(options, name === 'MP2T' ? 90_000 : 8_000);
    this.encodingName = name;
    this.channels = Math.max(1, options.channels ?? 1);
    this.#bytesPerSampleFrame =
      name === 'L16' ? 2 * this.channels : name === 'L8' || name === 'PCMU' || name === 'PCMA' ? this.channels : 0;
  }

  protected processPacket(packet: RTPReceivedPacket): void {
    const p = packet.payload;
    if (p.length === 0) return;
    if (this.encodingName === 'MP2T' && p.length % 188 !== 0) {
      this.reportDamagedFrame(`MP2T payload of ${p.length} bytes is not whole 188-byte packets`, packet.timestamp);
      return;
    }
    const durationUs =
      this.#bytesPerSampleFrame > 0
        ? Math.round(((p.length / this.#bytesPerSampleFrame) * 1_000_000) / this.timestampFrequency)
        : 0;
    this.deliverFrame(p, packet.timestamp, { durationUs });
  }
}
