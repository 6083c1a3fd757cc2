import { open, type FileHandle } from 'node:fs/promises';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';

/** How a {@link WAVAudioFileSource} delivers its samples, which is also its RTP payload format. */
export type WAVAudioFormat = 'L16' | 'PCMU' | 'PCMA';

/** Options of {@link WAVAudioFileSource}. */
export interface WAVAudioFileSourceOptions {
  /** Milliseconds of audio per frame (default 20); frames are also kept within `maxFrameBytes`. */
  frameMs?: number;
  /** Largest frame in bytes (default 1452, one RTP payload). */
  maxFrameBytes?: number;
}

function bad(path: string, why: string): DorsvrError {
  return new DorsvrError('ERR_WAV_FORMAT', `${path}: ${why}`);
}

/**
 * live555's WAVAudioFileSource: PCM from a RIFF/WAVE file, any rate and channel count. 16-bit
 * samples are delivered big-endian (RTP's L16) and 8-bit ones widened to L16; µ-law and A-law files
 * are delivered as they are (PCMU / PCMA). Unknown chunks (LIST, fact, …) are skipped wherever they
 * are. Frames are `frameMs` of audio, timed from the sample count; seeking is exact to a sample.
 */
export class WAVAudioFileSource extends FramedSource {
  readonly path: string;
  /** Samples per second. */
  readonly sampleRate: number;
  /** Channels. */
  readonly numChannels: number;
  /** Payload format of the frames. */
  readonly format: WAVAudioFormat;
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
    this.format = info.code === 7 ? 'PCMU' : info.code === 6 ? 'PCMA' : 'L16';
    this.#bytesPerFrameIn = (info.bits / 8) * info.channels;
    this.bytesPerFrameOut = this.format === 'L16' ? 2 * info.channels : info.channels;
    this.#dataOffset = info.dataOffset;
    this.#dataBytes = info.dataBytes - (info.dataBytes % this.#bytesPerFrameIn);
    this.#totalSamples = this.#dataBytes / this.#bytesPerFrameIn;
    const wanted = Math.max(1, Math.round((info.rate * (options.frameMs ?? 20)) / 1000));
    const fit = Math.max(1, Math.floor((options.maxFrameBytes ?? 1452) / this.bytesPerFrameOut));
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
          await fh.read(f, 0, f.length, off + 8);
          let code = f.readUInt16LE(0);
          if (code === 0xfffe && f.length >= 26) code = f.readUInt16LE(24); // WAVE_FORMAT_EXTENSIBLE: sub-format GUID's first 2 bytes
          fmt = { code, channels: f.readUInt16LE(2), rate: f.readUInt32LE(4), bits: f.readUInt16LE(14) };
        } else if (id === 'data') {
          if (!fmt) throw bad(path, 'data chunk before fmt chunk');
          const ok =
            (fmt.code === 1 && (fmt.bits === 16 || fmt.bits === 8)) || ((fmt.code === 6 || fmt.code === 7) && fmt.bits === 8);
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
    if (this.format !== 'L16') data = buf.subarray(0, got * this.#bytesPerFrameIn);
    else if (this.#bitsIn === 16) {
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
