import { readFile, stat } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';
import { audioSpecificConfigHex, parseADTSHeader } from './ADTSHeader.js';

export { AAC_SAMPLING_FREQUENCIES } from './ADTSHeader.js';

const debug = createDebug('dorsvr:livemedia:audio');

/** Largest ADTS file read (the frame index is built from the whole file). */
const MAX_FILE = 512 << 20;

interface ADTSFrameEntry {
  /** Offset of the raw data (after header and CRC). */
  start: number;
  end: number;
  /** Sample index of the frame's first sample. */
  sample: number;
  samples: number;
}

/**
 * live555's ADTSAudioFileSource: AAC in ADTS framing, one frame per ADTS header; frames are the raw
 * AAC access units with the ADTS header (and CRC) stripped, as RFC 3640 wants, each 1024 samples
 * per raw data block. The stream's AudioSpecificConfig (for `mpeg4-generic`'s `config=`) comes from
 * the first header. Bytes between frames that are not a header are skipped (resync on 0xFFF); a
 * truncated last frame ends the stream. Seeks to the frame at or before a time.
 */
export class ADTSAudioFileSource extends FramedSource {
  /** Path of the file (or `'<memory>'`). */
  readonly path: string;
  /** Samples per second (same as {@link samplingFrequency}). */
  readonly sampleRate: number;
  /** Channel configuration of the first header (1 mono, 2 stereo, …). */
  readonly numChannels: number;
  /** Audio object type (2 = AAC LC). */
  readonly profile: number;
  /** AudioSpecificConfig as upper-case hex, e.g. `1210`: `config=` of the mpeg4-generic fmtp. */
  readonly configHex: string;
  readonly #data: Uint8Array;
  readonly #frames: ADTSFrameEntry[];
  #next = 0;

  private constructor(path: string, data: Uint8Array, frames: ADTSFrameEntry[], first: { aot: number; sfi: number; rate: number; ch: number }) {
    super();
    this.path = path;
    this.#data = data;
    this.#frames = frames;
    this.profile = first.aot;
    this.sampleRate = first.rate;
    this.numChannels = first.ch;
    this.configHex = audioSpecificConfigHex(first.aot, first.sfi, first.ch);
  }

  /** Open and index an ADTS file (rejects with `ERR_FILE_OPEN` or `ERR_ADTS_FORMAT`). */
  static async open(path: string): Promise<ADTSAudioFileSource> {
    let data: Buffer;
    try {
      if ((await stat(path)).size > MAX_FILE) throw new Error('file too large');
      data = await readFile(path);
    } catch (cause) {
      throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${path}`, { cause });
    }
    return ADTSAudioFileSource.fromBytes(data, path);
  }

  /** Index ADTS frames held in memory (throws `ERR_ADTS_FORMAT` when there is none). Frames are views of `data`. */
  static fromBytes(data: Uint8Array, name = '<memory>'): ADTSAudioFileSource {
    const frames: ADTSFrameEntry[] = [];
    let first: { aot: number; sfi: number; rate: number; ch: number } | undefined;
    let off = 0;
    let sample = 0;
    let skipped = 0;
    while (off + 7 <= data.length) {
      const h = parseADTSHeader(data, off);
      // A header must not change the stream's rate (a false sync inside raw data usually would).
      if (!h || (first !== undefined && h.samplingFrequencyIndex !== first.sfi)) {
        off++;
        skipped++;
        continue;
      }
      if (off + h.frameLength > data.length) break; // truncated last frame
      first ??= { aot: h.audioObjectType, sfi: h.samplingFrequencyIndex, rate: h.samplingFrequency, ch: h.channelConfiguration };
      const samples = 1024 * h.numRawDataBlocks;
      frames.push({ start: off + h.headerLength, end: off + h.frameLength, sample, samples });
      sample += samples;
      off += h.frameLength;
    }
    if (!first) throw new DorsvrError('ERR_ADTS_FORMAT', `${name}: no ADTS frame found`);
    if (skipped > 0) debug('%s: %d bytes skipped to resync', name, skipped);
    return new ADTSAudioFileSource(name, data, frames, first);
  }

  /** Samples per second (RFC 3640's RTP clock rate). */
  get samplingFrequency(): number {
    return this.sampleRate;
  }

  /** Number of frames in the file. */
  get frameCount(): number {
    return this.#frames.length;
  }

  /** Microseconds per 1024-sample frame. */
  get frameDurationUs(): number {
    return (1024 * 1e6) / this.sampleRate;
  }

  override durationSeconds(): number {
    const last = this.#frames.at(-1);
    return last ? (last.sample + last.samples) / this.sampleRate : 0;
  }

  /** Continue with frame number `index` (clamped; past the end gives end of stream). */
  seekToFrame(index: number): void {
    this.#next = Math.max(0, Math.min(this.#frames.length, Math.floor(Number.isFinite(index) ? index : 0)));
  }

  override seekToNPT(npt: number): number {
    const want = (Number.isFinite(npt) ? Math.max(0, npt) : 0) * this.sampleRate;
    // Last frame starting at or before `want` (frames are in sample order).
    let lo = 0;
    let hi = this.#frames.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#frames[mid]!.sample <= want) lo = mid + 1;
      else hi = mid;
    }
    const i = Math.max(0, lo - 1);
    const f = this.#frames[i];
    if (!f || want >= f.sample + f.samples) {
      this.#next = this.#frames.length;
      return this.durationSeconds();
    }
    this.#next = i;
    return f.sample / this.sampleRate;
  }

  protected async readFrame(): Promise<Frame | null> {
    const f = this.#frames[this.#next];
    if (f === undefined) return null;
    this.#next++;
    return {
      data: this.#data.subarray(f.start, f.end),
      presentationTime: (f.sample * 1e6) / this.sampleRate,
      duration: (f.samples * 1e6) / this.sampleRate,
      key: true,
    };
  }
}
