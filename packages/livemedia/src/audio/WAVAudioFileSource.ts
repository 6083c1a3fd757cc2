import { open, type FileHandle } from 'node:fs/promises';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';

/**
 * How a {@link WAVAudioFileSource} delivers its samples, which is also its RTP payload format name
 * (RFC 3551: L16/L8/PCMU/PCMA; RFC 3190: L24).
 */
export type WAVAudioFormat = 'L16' | 'L8' | 'L24' | 'PCMU' | 'PCMA';

/** The `fmt ` chunk of a WAV file, decoded. */
export interface WAVFormatChunk {
  /** wFormatTag: 1 PCM, 3 float, 6 A-law, 7 µ-law (the sub-format's for WAVE_FORMAT_EXTENSIBLE). */
  formatCode: number;
  /** True when the chunk was WAVE_FORMAT_EXTENSIBLE (0xFFFE). */
  extensible: boolean;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** nBlockAlign: bytes per sample frame (all channels). */
  blockAlign: number;
}

/**
 * Decode a `fmt ` chunk body (without its 8-byte chunk header). Throws `ERR_WAV_FORMAT` when it is
 * shorter than the 16 bytes every WAV format has.
 */
export function parseWAVFormatChunk(body: Uint8Array): WAVFormatChunk {
  if (body.length < 16) throw new DorsvrError('ERR_WAV_FORMAT', `fmt chunk too short (${body.length} bytes)`);
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let formatCode = v.getUint16(0, true);
  const extensible = formatCode === 0xfffe;
  // WAVE_FORMAT_EXTENSIBLE: cbSize, valid bits, channel mask, then the sub-format GUID whose first
  // two bytes are the format code.
  if (extensible && body.length >= 26) formatCode = v.getUint16(24, true);
  return {
    formatCode,
    extensible,
    channels: v.getUint16(2, true),
    sampleRate: v.getUint32(4, true),
    bitsPerSample: v.getUint16(14, true),
    blockAlign: v.getUint16(12, true),
  };
}

/** Options of {@link WAVAudioFileSource}. */
export interface WAVAudioFileSourceOptions {
  /** Milliseconds of audio per frame (default 20); frames are also kept within `maxFrameBytes`. */
  frameMs?: number;
  /** Largest frame in bytes (default 1440: one RTP payload in a 1452-byte packet). */
  maxFrameBytes?: number;
  /**
   * How 8-bit (unsigned) PCM is delivered: widened to `'L16'` (default, what every player takes) or
   * as it is, `'L8'` (RFC 3551: unsigned, offset 128).
   */
  eightBit?: 'L16' | 'L8';
}

function bad(path: string, why: string): DorsvrError {
  return new DorsvrError('ERR_WAV_FORMAT', `${path}: ${why}`);
}

/**
 * live555's WAVAudioFileSource: PCM from a RIFF/WAVE file (plain or WAVE_FORMAT_EXTENSIBLE), any
 * rate and channel count. 16-bit samples are delivered big-endian (RTP's L16, in a fresh buffer),
 * 24-bit ones big-endian as L24, 8-bit ones widened to L16 (or as L8 by option); µ-law and A-law
 * files are delivered as they are (PCMU / PCMA). Unknown chunks (LIST, fact, bext, …) are skipped
 * wherever they are, before or after `fmt `/`data`. Frames are `frameMs` of audio (within
 * `maxFrameBytes`), timed from the sample count; seeking is exact to a sample.
 */
export class WAVAudioFileSource extends FramedSource {
  readonly path: string;
  /** Samples per second. */
  readonly sampleRate: number;
  /** Channels. */
  readonly numChannels: number;
  /** Payload format of the frames (= {@link rtpPayloadFormatName}). */
  readonly format: WAVAudioFormat;
  /** Bits per sample as stored in the file. */
  readonly sourceBitsPerSample: number;
  /** Bytes per sample frame (all channels) as delivered. */
  readonly bytesPerFrameOut: number;
  readonly #fh: FileHandle;
  readonly #dataOffset: number;
  readonly #dataBytes: number;
  readonly #bytesPerFrameIn: number;
  readonly #bitsIn: number;
  readonly #samplesPerRead: number;
  #sample = 0;
  readonly #totalSamples: number;

  private constructor(
    path: string,
    fh: FileHandle,
    info: { rate: number; channels: number; bits: number; code: number; dataOffset: number; dataBytes: number },
    options: WAVAudioFileSourceOptions,
  ) {
    super();
    this.path = path;
    this.#fh = fh;
    this.sampleRate = info.rate;
    this.numChannels = info.channels;
    this.#bitsIn = info.bits;
    this.sourceBitsPerSample = info.bits;
    this.format =
      info.code === 7 ? 'PCMU' : info.code === 6 ? 'PCMA' : info.bits === 24 ? 'L24' : info.bits === 8 && options.eightBit === 'L8' ? 'L8' : 'L16';
    this.#bytesPerFrameIn = (info.bits / 8) * info.channels;
    this.bytesPerFrameOut = (this.bitsPerSample / 8) * info.channels;
    this.#dataOffset = info.dataOffset;
    this.#dataBytes = info.dataBytes - (info.dataBytes % this.#bytesPerFrameIn);
    this.#totalSamples = this.#dataBytes / this.#bytesPerFrameIn;
    const wanted = Math.max(1, Math.round((info.rate * (options.frameMs ?? 20)) / 1000));
    const fit = Math.max(1, Math.floor((options.maxFrameBytes ?? 1440) / this.bytesPerFrameOut));
    this.#samplesPerRead = Math.min(wanted, fit);
  }

  /** Open and parse a WAV file (rejects with `ERR_FILE_OPEN` or `ERR_WAV_FORMAT`). */
  static async open(path: string, options: WAVAudioFileSourceOptions = {}): Promise<WAVAudioFileSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (cause) {
      throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${path}`, { cause });
    }
    try {
      const size = (await fh.stat()).size;
      const head = Buffer.alloc(12);
      await fh.read(head, 0, 12, 0);
      if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') throw bad(path, 'not a RIFF/WAVE file');
      let off = 12;
      let fmt: { code: number; channels: number; rate: number; bits: number } | undefined;
      const hdr = Buffer.alloc(8);
      for (let chunks = 0; chunks < 1000 && off + 8 <= size; chunks++) {
        await fh.read(hdr, 0, 8, off);
        const id = hdr.toString('latin1', 0, 4);
        const len = hdr.readUInt32LE(4);
        if (id === 'fmt ') {
          if (len < 16) throw bad(path, 'fmt chunk too short');
          const f = Buffer.alloc(Math.min(len, 40));
          const { bytesRead } = await fh.read(f, 0, f.length, off + 8);
          const c = parseWAVFormatChunk(f.subarray(0, bytesRead));
          fmt = { code: c.formatCode, channels: c.channels, rate: c.sampleRate, bits: c.bitsPerSample };
        } else if (id === 'data') {
          if (!fmt) throw bad(path, 'data chunk before fmt chunk');
          const ok =
            (fmt.code === 1 && (fmt.bits === 16 || fmt.bits === 8 || fmt.bits === 24)) ||
            ((fmt.code === 6 || fmt.code === 7) && fmt.bits === 8);
          if (!ok) throw bad(path, `unsupported WAV encoding (format ${fmt.code}, ${fmt.bits} bits)`);
          if (fmt.channels < 1 || fmt.channels > 8 || fmt.rate < 1000 || fmt.rate > 192000) throw bad(path, 'unsupported channels or rate');
          const dataBytes = Math.min(len, size - (off + 8));
          return new WAVAudioFileSource(path, fh, { ...fmt, dataOffset: off + 8, dataBytes }, options);
        }
        off += 8 + len + (len % 2);
      }
      throw bad(path, 'no data chunk');
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  /** RTP payload format name for the SDP's rtpmap: 'L16' | 'L8' | 'L24' | 'PCMU' | 'PCMA'. */
  get rtpPayloadFormatName(): WAVAudioFormat {
    return this.format;
  }

  /** Samples per second (also the RTP clock rate). */
  get samplingFrequency(): number {
    return this.sampleRate;
  }

  /** Bits per sample as delivered (16 for L16, 24 for L24, 8 for L8/PCMU/PCMA). */
  get bitsPerSample(): number {
    return this.format === 'L16' ? 16 : this.format === 'L24' ? 24 : 8;
  }

  override durationSeconds(): number {
    return this.#totalSamples / this.sampleRate;
  }

  override seekToNPT(npt: number): number {
    const s = Math.max(0, Math.min(this.#totalSamples, Math.floor((Number.isFinite(npt) ? npt : 0) * this.sampleRate)));
    this.#sample = s;
    return s / this.sampleRate;
  }

  protected async readFrame(): Promise<Frame | null> {
    const n = Math.min(this.#samplesPerRead, this.#totalSamples - this.#sample);
    if (n <= 0) return null;
    const inBytes = n * this.#bytesPerFrameIn;
    const buf = Buffer.allocUnsafe(inBytes);
    const { bytesRead } = await this.#fh.read(buf, 0, inBytes, this.#dataOffset + this.#sample * this.#bytesPerFrameIn);
    const got = Math.floor(bytesRead / this.#bytesPerFrameIn);
    if (got === 0) return null;
    const pt = (this.#sample * 1e6) / this.sampleRate;
    this.#sample += got;
    let data: Uint8Array;
    if (this.format === 'PCMU' || this.format === 'PCMA' || this.format === 'L8') data = buf.subarray(0, got * this.#bytesPerFrameIn);
    else if (this.format === 'L24') {
      data = buf.subarray(0, got * this.#bytesPerFrameIn);
      for (let i = 0; i + 2 < data.length; i += 3) {
        const b = data[i]!;
        data[i] = data[i + 2]!;
        data[i + 2] = b;
      }
    } else if (this.#bitsIn === 16) {
      data = buf.subarray(0, got * this.#bytesPerFrameIn);
      (data as Buffer).swap16(); // little-endian WAV → big-endian L16
    } else {
      const count = got * this.numChannels;
      const out = Buffer.allocUnsafe(count * 2);
      for (let i = 0; i < count; i++) out.writeInt16BE((buf[i]! - 128) << 8, i * 2);
      data = out;
    }
    return { data, presentationTime: pt, duration: (got * 1e6) / this.sampleRate };
  }

  protected override doClose(): void {
    void this.#fh.close().catch(() => {});
  }
}
