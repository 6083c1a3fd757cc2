import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';
import type { AudioFrameFileReader, AudioFrameIndex } from './AudioFrameIndex.js';

/**
 * Bytes read per chunk by the audio file sources: 64 KiB is seconds of compressed audio (4 s of
 * 128 kbit/s), so a client's stream holds about 128 KiB (two chunks, recycled) however long the file.
 */
export const AUDIO_FILE_CHUNK_SIZE = 64 * 1024;

/**
 * The common part of the audio file sources whose frames are found by an index
 * ({@link ADTSAudioFileSource}, {@link MP3FileSource}): frames come from memory (views of the
 * bytes given) or from disk (read a chunk of whole frames at a time, recycled); seeking moves to a
 * frame number. Subclasses say when each frame plays.
 */
export abstract class IndexedAudioFileSource extends FramedSource {
  /** Path of the file (or `'<memory>'`). */
  readonly path: string;
  /** Where the frames are. */
  protected readonly frames: AudioFrameIndex;
  readonly #data: Uint8Array | undefined;
  readonly #reader: AudioFrameFileReader | undefined;
  #next = 0;

  protected constructor(path: string, frames: AudioFrameIndex, from: Uint8Array | AudioFrameFileReader) {
    super();
    this.path = path;
    this.frames = frames;
    if (from instanceof Uint8Array) this.#data = from;
    else this.#reader = from;
  }

  /** Presentation time of frame `i`, µs. */
  protected abstract presentationTimeOf(i: number): number;
  /** Duration of frame `i`, µs. */
  protected abstract durationOf(i: number): number;

  /** Number of frames in the file. */
  get frameCount(): number {
    return this.frames.count;
  }

  override durationSeconds(): number {
    const n = this.frames.count;
    return n === 0 ? 0 : (this.presentationTimeOf(n - 1) + this.durationOf(n - 1)) / 1e6;
  }

  /** Continue with frame number `index` (clamped; past the end gives end of stream). */
  seekToFrame(index: number): void {
    this.#next = Math.max(0, Math.min(this.frames.count, Math.floor(Number.isFinite(index) ? index : 0)));
    this.#reader?.drop();
  }

  /** Number of the next frame to be read. */
  protected get nextFrame(): number {
    return this.#next;
  }

  protected readFrame(): Frame | null {
    const i = this.#next;
    if (i >= this.frames.count) return null;
    let data: Uint8Array;
    let owner: Frame['owner'];
    if (this.#data !== undefined) {
      const off = this.frames.offsets[i]!;
      data = this.#data.subarray(off, off + this.frames.sizes[i]!);
    } else {
      const f = this.#reader!.frame(i);
      if (f === null) return null;
      data = f.data;
      owner = f.owner;
    }
    this.#next = i + 1;
    return { data, presentationTime: this.presentationTimeOf(i), duration: this.durationOf(i), key: true, owner };
  }

  protected override doClose(): void {
    this.#reader?.close();
  }
}
