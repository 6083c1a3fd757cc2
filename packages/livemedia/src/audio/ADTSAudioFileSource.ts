import { readFile, stat } from 'node:fs/promises';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';

/** Sampling frequencies by ADTS index (ISO 14496-3 table 1.18). */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Largest ADTS file read (the frame index is built from the whole file). */
const MAX_FILE = 512 << 20;

/**
 * live555's ADTSAudioFileSource: AAC in ADTS framing, one frame per ADTS header; frames are the raw
 * AAC access units (header stripped), 1024 samples each. The stream's AudioSpecificConfig (for
 * `mpeg4-generic`'s `config=`) comes from the first header. Seeks to the frame at or before a time.
 */
export class ADTSAudioFileSource extends FramedSource {
  readonly path: string;
  readonly sampleRate: number;
  readonly numChannels: number;
  /** Audio object type (2 = AAC LC). */
  readonly profile: number;
  /** AudioSpecificConfig as hex, e.g. `1210`. */
  readonly configHex: string;
  readonly #data: Buffer;
  /** Byte offset of each frame's ADTS header. */
  readonly #offsets: number[];
  #next = 0;

  private constructor(path: string, data: Buffer, offsets: number[]) {
    super();
    this.path = path;
    this.#data = data;
    this.#offsets = offsets;
    const h = data.subarray(offsets[0]!);
    this.profile = ((h[2]! >> 6) & 3) + 1;
    const sfi = (h[2]! >> 2) & 0xf;
    this.sampleRate = AAC_SAMPLING_FREQUENCIES[sfi] ?? 44100;
    this.numChannels = ((h[2]! & 1) << 2) | (h[3]! >> 6);
    const asc = (this.profile << 11) | (sfi << 7) | (this.numChannels << 3);
    this.configHex = asc.toString(16).padStart(4, '0').toUpperCase();
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
    const offsets: number[] = [];
    let off = 0;
    while (off + 7 <= data.length) {
      if (data[off] !== 0xff || (data[off + 1]! & 0xf6) !== 0xf0) {
        off++; // resync on 0xFFF sync word (layer 00)
        continue;
      }
      const len = ((data[off + 3]! & 3) << 11) | (data[off + 4]! << 3) | (data[off + 5]! >> 5);
      const headerLen = (data[off + 1]! & 1) === 1 ? 7 : 9;
      if (len < headerLen || off + len > data.length) break;
      offsets.push(off);
      off += len;
    }
    if (offsets.length === 0) throw new DorsvrError('ERR_ADTS_FORMAT', `${path}: no ADTS frame found`);
    return new ADTSAudioFileSource(path, data, offsets);
  }

  /** Microseconds per frame. */
  get frameDurationUs(): number {
    return (1024 * 1e6) / this.sampleRate;
  }

  override durationSeconds(): number {
    return (this.#offsets.length * 1024) / this.sampleRate;
  }

  override seekToNPT(npt: number): number {
    const i = Math.max(0, Math.min(this.#offsets.length, Math.floor(((Number.isFinite(npt) ? npt : 0) * this.sampleRate) / 1024)));
    this.#next = i;
    return (i * 1024) / this.sampleRate;
  }

  protected async readFrame(): Promise<Frame | null> {
    const i = this.#next;
    const off = this.#offsets[i];
    if (off === undefined) return null;
    this.#next++;
    const d = this.#data;
    const len = ((d[off + 3]! & 3) << 11) | (d[off + 4]! << 3) | (d[off + 5]! >> 5);
    const headerLen = (d[off + 1]! & 1) === 1 ? 7 : 9;
    return { data: d.subarray(off + headerLen, off + len), presentationTime: i * this.frameDurationUs, duration: this.frameDurationUs, key: true };
  }
}
