import type { WAVAudioFormat } from '../audio/WAVAudioFileSource.js';
import type { Frame } from '../core/Frame.js';
import { FileSink, type FileSinkOptions, type FileSinkPatch } from './FileSink.js';
import { makeWAVHeader, wavBitsPerSample } from './makeWAVHeader.js';

/** Options of {@link WAVAudioFileSink}: the stream's format from its SDP rtpmap. */
export interface WAVAudioFileSinkOptions extends FileSinkOptions {
  /** RTP payload format of the frames: `L16`, `L24` (big-endian), `L8`, `PCMU` or `PCMA`. */
  format: WAVAudioFormat;
  /** Samples per second per channel (the rtpmap clock rate). */
  sampleRate: number;
  /** Channels (default 1). */
  channels?: number;
}

/**
 * live555's WAVAudioFileSink: a `.wav` file from RTP audio frames. L16 and L24 arrive big-endian
 * (RFC 3551/3190) and are byte-swapped to WAV's little-endian; L8 (offset-128 unsigned, as WAV's
 * 8-bit PCM), µ-law and A-law are written as they are. The header is written at open with zero
 * sizes and patched at {@link close}, so a file cut short by a crash is still readable to its end
 * by tolerant players. A sample split across two frames is reassembled.
 */
export class WAVAudioFileSink extends FileSink {
  readonly format: WAVAudioFormat;
  readonly sampleRate: number;
  readonly channels: number;
  readonly #bytesPerSample: number;
  readonly #headerLength: number;
  /** Bytes of sample data written. */
  #dataBytes = 0;
  /** The first bytes of a sample whose rest is in the next frame. */
  #carry = new Uint8Array(0);

  constructor(path: string, options: WAVAudioFileSinkOptions) {
    super(path, options);
    this.format = options.format;
    this.sampleRate = options.sampleRate;
    this.channels = options.channels ?? 1;
    this.#bytesPerSample = wavBitsPerSample(this.format) / 8;
    this.#headerLength = this.#header().length; // validates rate and channels now
  }

  /** Bytes of sample data so far. */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  #header(): Uint8Array {
    return makeWAVHeader({ format: this.format, sampleRate: this.sampleRate, channels: this.channels, dataBytes: this.#dataBytes });
  }

  protected override fileHeader(): Uint8Array {
    return this.#header();
  }

  protected override finalPatches(): FileSinkPatch[] {
    const patches: FileSinkPatch[] = [{ position: 0, data: this.#header() }];
    if (this.#dataBytes & 1) patches.push({ position: this.#headerLength + this.#dataBytes, data: Uint8Array.of(0) });
    return patches;
  }

  protected override writeFrame(frame: Frame): void {
    const n = this.#bytesPerSample;
    if (n === 1) {
      this.write(frame.data);
      this.#dataBytes += frame.data.length;
      return;
    }
    let d = frame.data;
    if (this.#carry.length > 0) {
      const joined = new Uint8Array(this.#carry.length + d.length);
      joined.set(this.#carry);
      joined.set(d, this.#carry.length);
      d = joined;
    }
    const whole = d.length - (d.length % n);
    this.#carry = d.slice(whole);
    if (whole === 0) return;
    // A copy: frames belong to their producer and must not be changed in place.
    const out = Buffer.from(d.subarray(0, whole));
    if (n === 2) out.swap16();
    else {
      for (let i = 0; i < whole; i += 3) {
        const t = out[i]!;
        out[i] = out[i + 2]!;
        out[i + 2] = t;
      }
    }
    this.write(out);
    this.#dataBytes += whole;
  }
}
