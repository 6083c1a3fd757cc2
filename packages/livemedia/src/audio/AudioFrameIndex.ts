import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame, FrameOwner } from '../core/Frame.js';
import { SharedChunk } from '../core/SharedChunk.js';
import { FileIndexCache, fileIndexKey } from '../sources/FileIndexCache.js';

/**
 * Where the frames of an audio file are: one offset and one size per frame, in typed arrays (6 to
 * 10 bytes a frame, so a 300 MB file of 400-byte frames needs about 5 MB), plus per-codec timing.
 */
export interface AudioFrameIndex {
  /** Number of frames. */
  readonly count: number;
  /** Byte offset of each frame's payload in the file. */
  readonly offsets: Uint32Array | Float64Array;
  /** Payload bytes of each frame. */
  readonly sizes: Uint16Array;
  /**
   * Cumulative count of a codec's timing unit before each frame (`count + 1` entries; ADTS: raw
   * data blocks of 1024 samples), or empty when every frame lasts one unit (frame i starts at unit i).
   */
  readonly units: Uint32Array;
}

/** Most frames an audio file index takes (about 50 hours of 44.1 kHz AAC or MP3): {@link AudioFrameIndexBuilder} refuses more. */
export const MAX_AUDIO_INDEX_FRAMES = 1 << 23;

/**
 * Collects an {@link AudioFrameIndex} frame by frame. The typed arrays are sized once from the
 * first frames' average size (so a long file's index is not copied at every doubling), and grown
 * only if the estimate was short.
 */
export class AudioFrameIndexBuilder {
  #count = 0;
  #offsets: Uint32Array | Float64Array;
  #sizes = new Uint16Array(1024);
  #units: Uint32Array | undefined;
  #unit = 0;
  /** False once a frame lasts other than one unit (else `units` is left out: frame i starts at unit i). */
  #unequalUnits = false;
  #estimated = false;
  readonly #fileEnd: number;
  readonly #name: string;
  readonly #maxFrames: number;

  /**
   * @param fileEnd The offset no frame reaches (4 bytes an offset below 4 GiB, else 8).
   * @param withUnits Record {@link AudioFrameIndex.units} (kept only if some frame lasts other than one unit).
   */
  constructor(name: string, fileEnd: number, withUnits: boolean, maxFrames = MAX_AUDIO_INDEX_FRAMES) {
    this.#name = name;
    this.#fileEnd = fileEnd;
    this.#maxFrames = maxFrames;
    this.#offsets = fileEnd < 2 ** 32 ? new Uint32Array(1024) : new Float64Array(1024);
    if (withUnits) this.#units = new Uint32Array(1025);
  }

  get count(): number {
    return this.#count;
  }

  #grow(): void {
    const i = this.#count;
    let n = i * 2;
    if (!this.#estimated) {
      // Frames of one stream are of similar size: the rest of the file holds about as many per byte.
      this.#estimated = true;
      const span = this.#offsets[i - 1]! - this.#offsets[0]!;
      if (span > 0) n = Math.max(n, Math.ceil(((this.#fileEnd - this.#offsets[0]!) / span) * (i - 1) * 1.05) + 1024);
    }
    n = Math.min(n, this.#maxFrames);
    const grow = <A extends Uint32Array | Float64Array | Uint16Array>(a: A, len: number): A => {
      const b = new (a.constructor as new (len: number) => A)(len);
      b.set(a);
      return b;
    };
    this.#offsets = grow(this.#offsets, n);
    this.#sizes = grow(this.#sizes, n);
    if (this.#units) this.#units = grow(this.#units, n + 1);
  }

  /** Add a frame of `size` bytes at `offset` lasting `units` timing units. */
  push(offset: number, size: number, units = 1): void {
    const i = this.#count;
    if (i >= this.#maxFrames) {
      throw new DorsvrError('ERR_FILE_TOO_LARGE', `${this.#name}: more than ${this.#maxFrames} frames`);
    }
    if (i === this.#sizes.length) this.#grow();
    this.#offsets[i] = offset;
    this.#sizes[i] = size;
    if (this.#units) {
      if (units !== 1) this.#unequalUnits = true;
      this.#units[i] = this.#unit;
      this.#unit += units;
      this.#units[i + 1] = this.#unit;
    }
    this.#count = i + 1;
  }

  /** The index, trimmed to its frames (a copy only when more than an eighth of the room is unused). */
  finish(): AudioFrameIndex {
    const n = this.#count;
    const trim = <A extends Uint32Array | Float64Array | Uint16Array>(a: A, len: number): A =>
      (a.length - len > len / 8 ? a.slice(0, len) : a.subarray(0, len)) as A;
    return {
      count: n,
      offsets: trim(this.#offsets, n),
      sizes: trim(this.#sizes, n),
      units: this.#units && this.#unequalUnits ? trim(this.#units, n + 1) : new Uint32Array(0),
    };
  }
}

/** Bytes an index holds (for the cache's bound). */
export function audioFrameIndexBytes(index: AudioFrameIndex): number {
  // A subarray holds its whole buffer.
  return index.offsets.buffer.byteLength + index.sizes.buffer.byteLength + index.units.buffer.byteLength;
}

/**
 * An incremental scanner of a file's frames: given a window of the file (`window` holds the bytes
 * from `windowStart`), it indexes what it can and returns the offset to continue from (at or past
 * the window's end when it needs more bytes; `fileEnd` or more when done).
 */
export type AudioFrameScanner = (window: Uint8Array, windowStart: number, fileEnd: number) => number;

const SCAN_WINDOW = 1 << 20;

/**
 * Run `scanner` over `[start, end)` of an open file, a 1 MiB window at a time (asynchronous reads:
 * a long file does not hold the event loop). The window slides to where the scanner asks.
 */
export async function scanFileWindows(fh: FileHandle, start: number, end: number, scanner: AudioFrameScanner): Promise<void> {
  const buf = Buffer.allocUnsafe(SCAN_WINDOW);
  let pos = start;
  while (pos < end) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(SCAN_WINDOW, end - pos), pos);
    if (bytesRead === 0) return; // shorter than it was: what was indexed stands
    const next = scanner(buf.subarray(0, bytesRead), pos, end);
    if (next <= pos) return; // a few bytes left that the file no longer has (it shrank)
    pos = next;
  }
}

/** What a cached file index holds: the frames and what the first frame header said. */
export interface CachedAudioIndex<H> {
  readonly frames: AudioFrameIndex;
  readonly first: H;
}

/** Audio file indexes, by (codec, path, size, mtime): at most 32, 64 MiB in all. */
export const audioIndexCache = new FileIndexCache<CachedAudioIndex<unknown>>((v) => audioFrameIndexBytes(v.frames), 32, 64 << 20);

/**
 * Open `path` and get its index from {@link audioIndexCache}, building it with `build` (on a
 * handle of its own, so that a first client leaving does not cut the build short for others) on a
 * miss. Resolves with the open handle (the caller owns it) and the index. Rejects with
 * `ERR_FILE_OPEN`, or what `build` rejects with.
 */
export async function openIndexedAudioFile<H>(
  kind: string,
  path: string,
  build: (fh: FileHandle, size: number) => Promise<CachedAudioIndex<H>>,
): Promise<{ fh: FileHandle; index: CachedAudioIndex<H> }> {
  let fh: FileHandle;
  let size: number;
  let mtimeMs: number;
  let inode: number;
  try {
    fh = await open(path, 'r');
  } catch (cause) {
    throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
    mtimeMs = st.mtimeMs;
    inode = st.ino;
  } catch (cause) {
    await fh.close().catch(() => {});
    throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const index = (await audioIndexCache.get(fileIndexKey(kind, path, size, mtimeMs, inode), async () => {
      let own: FileHandle;
      try {
        own = await open(path, 'r');
      } catch (cause) {
        throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${path}: ${(cause as Error).message}`, { cause });
      }
      try {
        return await build(own, size);
      } catch (err) {
        if (err instanceof DorsvrError) throw err;
        throw new DorsvrError('ERR_FILE_READ', `cannot index ${path}: ${(err as Error).message}`, { cause: err });
      } finally {
        await own.close().catch(() => {});
      }
    })) as CachedAudioIndex<H>;
    return { fh, index };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

/** Recycled chunk buffers kept per reader. */
const FREE_CHUNKS = 2;

/**
 * Reads the frames of an indexed file from disk, a chunk of whole frames at a time (blocking
 * reads, as the file framers do), and hands out frames that are views of the chunk. A chunk's
 * buffer is read into again once every frame cut from it was handed back ({@link Frame.owner}),
 * so a stream holds about two chunks however long the file.
 */
export class AudioFrameFileReader implements FrameOwner {
  readonly #fh: FileHandle;
  readonly #path: string;
  readonly #index: AudioFrameIndex;
  readonly #chunkSize: number;
  readonly #free: Buffer[] = [];
  readonly #mine = new WeakSet<ArrayBufferLike>();
  #chunk: SharedChunk | undefined;
  #chunkFirst = 0;
  #chunkEnd = 0;
  #chunkOffset = 0;
  #closed = false;

  constructor(fh: FileHandle, path: string, index: AudioFrameIndex, chunkSize: number) {
    this.#fh = fh;
    this.#path = path;
    this.#index = index;
    this.#chunkSize = Math.max(chunkSize, 1 << 16);
  }

  /** Frame `i` (a view of a chunk, owned by it), or null when the file ends before it (truncated since indexing). */
  frame(i: number): { data: Uint8Array; owner: FrameOwner | undefined } | null {
    if (this.#closed) return null;
    if (this.#chunk === undefined || i < this.#chunkFirst || i >= this.#chunkEnd) {
      if (!this.#load(i)) return null;
    }
    const at = this.#index.offsets[i]! - this.#chunkOffset;
    const data = this.#chunk!.chunk.data.subarray(at, at + this.#index.sizes[i]!);
    return { data, owner: this.#chunk!.cut() };
  }

  /** Read the chunk that starts with frame `i`: as many whole frames as fit. */
  #load(i: number): boolean {
    this.drop();
    const { offsets, sizes, count } = this.#index;
    const start = offsets[i]!;
    let end = i;
    while (end < count && offsets[end]! + sizes[end]! - start <= this.#chunkSize) end++;
    if (end === i) end = i + 1; // cannot happen: frames are smaller than a chunk
    const length = offsets[end - 1]! + sizes[end - 1]! - start;
    const buf = this.#free.pop() ?? this.#newBuffer();
    let bytesRead: number;
    try {
      bytesRead = readSync(this.#fh.fd, buf, 0, length, start);
    } catch (cause) {
      this.#free.push(buf);
      throw new DorsvrError('ERR_FILE_READ', `read ${this.#path} at ${start}: ${(cause as Error).message}`, { cause });
    }
    // A file cut short since it was indexed ends at the last whole frame read.
    while (end > i && offsets[end - 1]! + sizes[end - 1]! - start > bytesRead) end--;
    if (end === i) {
      this.#free.push(buf);
      return false;
    }
    const chunk: Frame = { data: buf.subarray(0, bytesRead), presentationTime: 0, duration: 0, owner: this };
    this.#chunk = SharedChunk.from(chunk);
    this.#chunkFirst = i;
    this.#chunkEnd = end;
    this.#chunkOffset = start;
    return true;
  }

  #newBuffer(): Buffer {
    const buf = Buffer.allocUnsafeSlow(this.#chunkSize);
    this.#mine.add(buf.buffer);
    return buf;
  }

  /** A chunk every frame of which was handed back: its buffer is read into again. */
  releaseFrame(frame: Frame): void {
    if (this.#closed || frame.owner !== this || this.#free.length >= FREE_CHUNKS) return;
    const ab = frame.data.buffer;
    if (frame.data.byteOffset !== 0 || !this.#mine.has(ab)) return;
    for (const b of this.#free) if (b.buffer === ab) return;
    this.#free.push(Buffer.from(ab, 0, this.#chunkSize));
  }

  /** Stop reading the current chunk (a seek): it is recycled once its frames are handed back. */
  drop(): void {
    this.#chunk?.release();
    this.#chunk = undefined;
  }

  /** Close the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.drop();
    this.#closed = true;
    this.#free.length = 0;
    void this.#fh.close().catch(() => {});
  }
}
