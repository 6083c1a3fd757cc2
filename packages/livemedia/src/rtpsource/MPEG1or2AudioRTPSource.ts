import { MultiFramedRTPSource } from './MultiFramedRTPSource.js';
import type { RTPReceivedPacket, RTPSourceOptions } from './RTPSource.js';

const BITRATES_V1 = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BITRATES_V2 = [
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
const SAMPLE_RATES = [44_100, 48_000, 32_000];

/** Size and sample count of the MPEG audio frame whose header starts at `off`, or null. */
function mpegAudioFrameAt(b: Uint8Array, off: number): { size: number; samples: number; sampleRate: number } | null {
  if (off + 4 > b.length) return null;
  const h1 = b[off + 1]!;
  const h2 = b[off + 2]!;
  if (b[off] !== 0xff || (h1 & 0xe0) !== 0xe0) return null;
  const versionBits = (h1 >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
  const layerBits = (h1 >> 1) & 3; // 3: I, 2: II, 1: III
  if (versionBits === 1 || layerBits === 0) return null;
  const brIndex = h2 >> 4;
  const srIndex = (h2 >> 2) & 3;
  if (brIndex === 0 || brIndex === 15 || srIndex === 3) return null;
  const layer = 4 - layerBits; // 1, 2, 3
  const v1 = versionBits === 3;
  const kbps = (v1 ? BITRATES_V1 : BITRATES_V2)[layer - 1]![brIndex]!;
  const sampleRate = SAMPLE_RATES[srIndex]! / (v1 ? 1 : versionBits === 2 ? 2 : 4);
  const pad = (h2 >> 1) & 1;
  if (layer === 1) return { size: (Math.floor((12 * kbps * 1000) / sampleRate) + pad) * 4, samples: 384, sampleRate };
  const samples = layer === 3 && !v1 ? 576 : 1152;
  return { size: Math.floor(((samples / 8) * kbps * 1000) / sampleRate) + pad, samples, sampleRate };
}

/**
 * MPEG-1/2 audio depacketizer (RFC 2250 §3.5, payload type 14, e.g. MP3): strips the 4-byte
 * MPA header, splits packets holding several frames into one frame each (frame sizes from the
 * MPEG audio headers), and reassembles a frame fragmented over packets using the fragment offset.
 * A fragment missing or out of place means the frame is reported damaged and dropped. 90 kHz clock.
 */
export class MPEG1or2AudioRTPSource extends MultiFramedRTPSource {
  #fragmentSize = 0;
  #fragmentDurationUs = 0;

  constructor(options: RTPSourceOptions) {
    super(options, 90_000);
  }

  protected processPacket(packet: RTPReceivedPacket): void {
    const p = packet.payload;
    const ts = packet.timestamp;
    if (p.length < 4) {
      this.reportDamagedFrame(`MPA payload of ${p.length} bytes`, ts);
      return;
    }
    const fragOffset = (p[2]! << 8) | p[3]!;
    const data = p.subarray(4);
    if (fragOffset > 0) {
      if (!this.fragmentInProgress) {
        this.orphanFragment(ts, false);
        return;
      }
      if (fragOffset !== this.fragmentBytes) {
        this.abandonFragment(`fragment at offset ${fragOffset}, expected ${this.fragmentBytes}`);
        return;
      }
      if (!this.appendFragment(data)) return;
      if (this.fragmentBytes >= this.#fragmentSize) {
        const frame = this.finishFragment();
        this.deliverFrame(frame.subarray(0, this.#fragmentSize), ts, { durationUs: this.#fragmentDurationUs });
      }
      return;
    }
    this.abandonFragment('fragmented frame ended without its last fragment');
    let off = 0;
    let frameTs = ts;
    while (off < data.length) {
      const info = mpegAudioFrameAt(data, off);
      if (info === null) {
        // Free-format or unknown bytes: hand them on as they are rather than guess at boundaries.
        this.deliverFrame(data.subarray(off), frameTs);
        return;
      }
      const durationUs = Math.round((info.samples * 1_000_000) / info.sampleRate);
      if (off + info.size > data.length) {
        this.#fragmentSize = info.size;
        this.#fragmentDurationUs = durationUs;
        if (off > 0) {
          // A partial frame after whole ones can only be a truncated packet.
          this.reportDamagedFrame('MPEG audio frame truncated at the end of a packet', frameTs);
          return;
        }
        this.startFragment(frameTs, data.subarray(off));
        return;
      }
      this.deliverFrame(data.subarray(off, off + info.size), frameTs, { durationUs });
      off += info.size;
      frameTs = (frameTs + Math.round((info.samples * this.timestampFrequency) / info.sampleRate)) >>> 0;
    }
  }
}
