import { open, type FileHandle } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame, FrameOwner } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';
import type { SeekableByteStream } from './SeekableByteStream.js';
import { readSharedChunk, type SharedFileKey } from './SharedFileChunks.js';

const debug = createDebug('dorsvr:livemedia:sources');

/** Options of {@link ByteStreamFileSource}. */
export interface ByteStreamFileSourceOptions {
  /** Bytes read per chunk (default 65536). */
  chunkSize?: number;
  /** Start reading at this byte (default 0). */
  startOffset?: number;
  /** Deliver at most this many bytes from `startOffset`, then end (default: to end of file). */
  byteLimit?: number;
  /**
   * Read a regular file with blocking reads on the event loop's thread, as live555 does (default
   * true). A read of a cached 512 KiB chunk blocks for some tens of µs, and costs several times less
   * CPU than the same read through Node's thread pool (a round trip that wakes two threads). Turn it
   * off for files on slow storage (a network filesystem, a cold disk), where a read can block for
   * milliseconds. Pipes and devices are always read asynchronously.
   */
  blockingReads?: boolean;
}

/** Chunk buffers kept for reuse per source: the one in use and the next one. */
const FREE_BUFFERS = 2;

/** A chunk being read: into `buf`, at `pos`, for seek generation `generation`. */
interface ChunkRead {
  buf: Buffer;
  size: number;
  pos: number;
  generation: number;
  done: Promise<number>;
}

/**
 * live555's ByteStreamFileSource: delivers a file as a sequence of chunks (frames whose data are
 * raw bytes, presentation time 0). A chunk's buffer is reused only once its consumer hands the
 * chunk back ({@link Frame.owner}: framers do, when every frame they cut from it was released by
 * its sink), so frames cut from it stay valid while a send still holds them. A regular file is
 * read with blocking reads (see {@link ByteStreamFileSourceOptions.blockingReads}), in chunks on
 * the file's own grid (multiples of the chunk size) that every source reading the same version of
 * the file shares: a server playing one file to many clients holds each part of it once. Otherwise
 * (a pipe, `blockingReads: false`) it reads one chunk ahead, so the next chunk is usually there
 * when asked for.
 *
 * The file opens lazily on the first read, or eagerly with {@link ByteStreamFileSource.open}, which
 * reports a missing or unreadable file as `DorsvrError` `ERR_FILE_OPEN`. The descriptor is closed at
 * end of file and on {@link close}. A named pipe or character device (a live encoder writing into a
 * FIFO, `/dev/stdin`) is read sequentially: no size, no seeking.
 */
export class ByteStreamFileSource extends FramedSource implements SeekableByteStream, FrameOwner {
  /** Path of the file. */
  readonly path: string;
  readonly #chunkSize: number;
  readonly #blocking: boolean;
  /** Chunk buffers handed back, ready to be read into again. */
  readonly #free: Buffer[] = [];
  /** Every chunk buffer this source made: only these are taken back. */
  readonly #mine = new WeakSet<ArrayBufferLike>();
  #fh: FileHandle | null = null;
  #opening: Promise<FileHandle> | null = null;
  #fileSize: number | undefined;
  #mtimeMs: number | undefined;
  #inode: number | undefined;
  #seekable: boolean | undefined;
  #pos: number;
  #end: number;
  #generation = 0;
  /** The next chunk, being read ahead. */
  #ahead: ChunkRead | null = null;
  /** What the shared chunks of this file version are known by (blocking reads). */
  #sharedKey: SharedFileKey | undefined;

  constructor(path: string, options: ByteStreamFileSourceOptions = {}) {
    super();
    this.path = path;
    const cs = options.chunkSize ?? 65536;
    if (!Number.isInteger(cs) || cs < 1 || cs > 64 * 1024 * 1024) {
      throw new DorsvrError('ERR_SOURCE_OPTIONS', `chunkSize must be an integer in 1..64 MiB, got ${cs}`);
    }
    this.#chunkSize = cs;
    this.#blocking = options.blockingReads ?? true;
    this.#pos = Math.max(0, options.startOffset ?? 0);
    this.#end = options.byteLimit === undefined ? Infinity : this.#pos + Math.max(0, options.byteLimit);
  }

  /** Open `path` now (so a missing file fails here, with `ERR_FILE_OPEN`) and learn its size. */
  static async open(path: string, options: ByteStreamFileSourceOptions = {}): Promise<ByteStreamFileSource> {
    const src = new ByteStreamFileSource(path, options);
    await src.#ensureOpen();
    return src;
  }

  /** Open the file now if it is not open yet (rejects with `ERR_FILE_OPEN`). */
  async openFile(): Promise<void> {
    await this.#ensureOpen();
  }

  /**
   * True for a regular file, false for a pipe or device (which cannot seek or be re-read),
   * undefined until the file is open.
   */
  get seekable(): boolean | undefined {
    return this.#seekable;
  }

  /** Size of the file in bytes, known once it is open. */
  get fileSize(): number | undefined {
    return this.#fileSize;
  }

  /**
   * Modification time (ms since the epoch) of the file that was opened, known once it is open
   * (regular files only): with {@link fileSize}, what framers key their cached indexes by.
   */
  get mtimeMs(): number | undefined {
    return this.#mtimeMs;
  }

  /** Inode number of the file that was opened, known once it is open (regular files only). */
  get inode(): number | undefined {
    return this.#inode;
  }

  /**
   * Read up to `length` bytes at byte `position` into a fresh buffer without moving the stream
   * (framers index a file's head and tail this way, on the descriptor already open). Regular files
   * only; opens the file if needed. Resolves with fewer bytes at the end of the file.
   */
  async readAt(position: number, length: number): Promise<Uint8Array> {
    const fh = await this.#ensureOpen();
    if (!this.#seekable) throw new DorsvrError('ERR_SOURCE_SEEK', `${this.path} is a pipe or device: it cannot be read at a position`);
    const buf = Buffer.allocUnsafe(Math.max(0, Math.floor(length)));
    try {
      const { bytesRead } = await fh.read(buf, 0, buf.length, Math.max(0, Math.floor(position)));
      return buf.subarray(0, bytesRead);
    } catch (err) {
      throw this.#readError(err, position);
    }
  }

  /** Offset of the next byte to be read. */
  get position(): number {
    return this.#pos;
  }

  seekToByte(offset: number, byteLimit?: number): void {
    if (!Number.isFinite(offset) || offset < 0) {
      throw new DorsvrError('ERR_SOURCE_SEEK', `seekToByte: bad offset ${offset}`);
    }
    if (this.#seekable === false) {
      throw new DorsvrError('ERR_SOURCE_SEEK', `${this.path} is a pipe or device: it cannot seek`);
    }
    this.#generation++; // a read in flight delivers nothing stale
    this.#pos = Math.floor(offset);
    this.#end = byteLimit === undefined ? Infinity : this.#pos + Math.max(0, byteLimit);
  }

  duplicate(): ByteStreamFileSource {
    return new ByteStreamFileSource(this.path, { chunkSize: this.#chunkSize, blockingReads: this.#blocking });
  }

  async #ensureOpen(): Promise<FileHandle> {
    if (this.#fh) return this.#fh;
    if (this.closed) throw new DorsvrError('ERR_SOURCE_CLOSED', `${this.path}: source is closed`);
    this.#opening ??= (async () => {
      let fh: FileHandle;
      try {
        fh = await open(this.path, 'r');
      } catch (err) {
        throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
      }
      try {
        const st = await fh.stat();
        if (st.isDirectory()) throw new Error('is a directory');
        this.#seekable = st.isFile();
        this.#fileSize = this.#seekable ? st.size : undefined;
        this.#mtimeMs = this.#seekable ? st.mtimeMs : undefined;
        this.#inode = this.#seekable ? st.ino : undefined;
      } catch (err) {
        await fh.close().catch(() => {});
        throw new DorsvrError('ERR_FILE_OPEN', `cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
      }
      if (this.closed) {
        await fh.close().catch(() => {});
        throw new DorsvrError('ERR_SOURCE_CLOSED', `${this.path}: source is closed`);
      }
      debug('opened %s (%d bytes)', this.path, this.#fileSize);
      this.#fh = fh;
      return fh;
    })();
    try {
      return await this.#opening;
    } catch (err) {
      this.#opening = null;
      throw err;
    }
  }

  protected readFrame(): Frame | null | Promise<Frame | null> {
    const fh = this.#fh;
    if (fh !== null && this.#blocking && this.#seekable === true) return this.#readNow(fh);
    return this.#readAsync();
  }

  /**
   * A blocking read of the next chunk (a regular file, open), through the chunks shared by every
   * source reading the same version of the file ({@link readSharedChunk}): many clients playing one
   * file hold each part of it once. The frame's owner hands the shared chunk back.
   */
  #readNow(fh: FileHandle): Frame | null {
    if (this.#pos >= this.#end) return null;
    const key = (this.#sharedKey ??= {
      path: this.path,
      inode: this.#inode ?? 0,
      size: this.#fileSize ?? 0,
      mtimeMs: this.#mtimeMs ?? 0,
      chunkSize: this.#chunkSize,
    });
    let frame: Frame | null;
    try {
      frame = readSharedChunk(fh.fd, key, this.#pos, this.#end);
    } catch (err) {
      throw this.#readError(err, this.#pos);
    }
    if (frame === null) {
      this.#closeHandle();
      return null;
    }
    this.#pos += frame.data.length;
    return frame;
  }

  /** The frame of a chunk read into `buf`: handed back to this source once its consumer is done. */
  #chunkFrame(buf: Buffer, bytesRead: number): Frame {
    return { data: buf.subarray(0, bytesRead), presentationTime: 0, duration: 0, owner: this };
  }

  #readError(err: unknown, position: number): DorsvrError {
    return new DorsvrError('ERR_FILE_READ', `read ${this.path} at ${position}: ${(err as Error).message}`, { cause: err });
  }

  async #readAsync(): Promise<Frame | null> {
    for (;;) {
      let fh: FileHandle;
      try {
        fh = await this.#ensureOpen();
      } catch (err) {
        if (this.closed) return null;
        throw err;
      }
      if (this.closed) return null;
      if (this.#blocking && this.#seekable === true) return this.#readNow(fh);
      const generation = this.#generation;
      const size = Math.min(this.#chunkSize, this.#end - this.#pos);
      if (size <= 0) return null;
      let read = this.#ahead;
      this.#ahead = null;
      // A read-ahead made before a seek or for another size is dropped (its failure already handled).
      if (!read || read.generation !== generation || read.pos !== this.#pos || read.size !== size) {
        read = this.#startRead(fh, size);
      }
      const buf = read.buf;
      let bytesRead: number;
      try {
        bytesRead = await read.done;
      } catch (err) {
        if (this.closed) return null;
        throw this.#readError(err, this.#pos);
      }
      if (this.closed) return null;
      if (generation !== this.#generation) continue; // seeked meanwhile: read again at the new place
      if (bytesRead === 0) {
        this.#closeHandle();
        return null;
      }
      this.#pos += bytesRead;
      // A regular file: read the next chunk while this one is used, so that the consumer rarely
      // waits (an idle event loop sleeps and is woken per read, which costs more CPU than the read).
      // Not for a pipe: a read there holds a thread-pool thread until the writer writes.
      const next = Math.min(this.#chunkSize, this.#end - this.#pos);
      if (this.#seekable && bytesRead === size && next > 0) this.#ahead = this.#startRead(fh, next);
      return this.#chunkFrame(buf, bytesRead);
    }
  }

  /** A chunk buffer handed back, else a new one (of the full chunk size, so that it can be reused). */
  #takeBuffer(): Buffer {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const buf = Buffer.allocUnsafeSlow(this.#chunkSize);
    this.#mine.add(buf.buffer);
    return buf;
  }

  /**
   * A chunk this source delivered is done with ({@link Frame.owner}): its buffer is read into
   * again. Anything else (a frame of another source, a chunk handed back twice) is ignored.
   */
  releaseFrame(frame: Frame): void {
    if (frame.owner !== this || this.#free.length >= FREE_BUFFERS) return;
    const ab = frame.data.buffer;
    if (frame.data.byteOffset !== 0 || !this.#mine.has(ab)) return;
    for (const b of this.#free) if (b.buffer === ab) return;
    this.#free.push(Buffer.from(ab, 0, this.#chunkSize));
  }

  /** Start reading `size` bytes at the current position (into a buffer handed back, or a new one). */
  #startRead(fh: FileHandle, size: number): ChunkRead {
    // The buffer is not delivered before the read completes, and not reused while a frame views it.
    const buf = this.#takeBuffer();
    const done = fh.read(buf, 0, size, this.#seekable ? this.#pos : null).then((r) => r.bytesRead);
    done.catch(() => {}); // reported when the chunk is asked for; a dropped read-ahead is not
    return { buf, size, pos: this.#pos, generation: this.#generation, done };
  }

  #closeHandle(): void {
    this.#ahead = null;
    const fh = this.#fh;
    this.#fh = null;
    this.#opening = null;
    if (fh) {
      debug('closing %s', this.path);
      // FileHandle.close waits for a read in flight to finish.
      void fh.close().catch(() => {});
    }
  }

  protected override doClose(): void {
    this.#closeHandle();
  }
}
