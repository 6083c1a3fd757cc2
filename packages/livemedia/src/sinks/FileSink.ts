import { open, type FileHandle } from 'node:fs/promises';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import type { AnyFramedSource } from '../core/FramedSource.js';
import { MediaSink } from '../core/MediaSink.js';

const debug = createDebug('dorsvr:livemedia:sinks');

/** Options of every {@link FileSink}. */
export interface FileSinkOptions {
  /**
   * Bytes gathered in memory before they are written out in one `writev` (default 64 KiB). While
   * a full buffer is being written the sink asks its source for nothing (back-pressure).
   */
  bufferSize?: number;
}

/** A patch to bytes already written, applied by {@link FileSink.close} (e.g. a WAV header's sizes). */
export interface FileSinkPatch {
  /** Offset in the file. */
  readonly position: number;
  /** The bytes written there. */
  readonly data: Uint8Array;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * live555's FileSink: writes the bytes of every frame it receives to a file, back to back, which is
 * all a player needs for self-delimiting formats (an MPEG-2 transport stream, MPEG audio).
 * Subclasses add what a format needs around the frames ({@link writeFrame}, {@link fileHeader},
 * {@link finalPatches}).
 *
 * Writes are buffered and asynchronous (one `FileHandle`, positional `writev`); the file is opened
 * (truncated) by {@link startPlaying} or {@link open}. A failed open or write rejects
 * `startPlaying` with a {@link DorsvrError} (`ERR_FILE_SINK_OPEN`, `ERR_FILE_SINK_WRITE`).
 * {@link close} flushes, applies the final patches and closes the file; it is idempotent and
 * returns the same promise every time.
 *
 * @example
 * ```ts
 * import { FileSink, MPEG2TransportStreamFramer } from '@dorsvr/livemedia';
 *
 * const sink = new FileSink('copy.ts', { bufferSize: 256 * 1024 });
 * await sink.open(); // fails here (ERR_FILE_SINK_OPEN) when the file cannot be written
 * await sink.startPlaying(await MPEG2TransportStreamFramer.open('clip.ts'));
 * await sink.close(); // flushes and closes the file
 * console.log(`${sink.bytesWritten} bytes, ${sink.framesWritten} frames`);
 * ```
 */
export class FileSink extends MediaSink {
  /** The file written. */
  readonly path: string;
  /** Frames consumed: written (or buffered), or dropped by a format that cannot carry them. */
  framesWritten = 0;

  readonly #bufferSize: number;
  #fh: FileHandle | null = null;
  #opening: Promise<void> | null = null;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Bytes already handed to the file system; the next write goes there. */
  #position = 0;
  /** Serialises file operations: a flush waits for the one before it. */
  #io: Promise<void> = Promise.resolve();
  #error: DorsvrError | null = null;
  #closing: Promise<void> | null = null;

  constructor(path: string, options: FileSinkOptions = {}) {
    super();
    this.path = path;
    this.#bufferSize = Math.max(1, options.bufferSize ?? 64 * 1024);
  }

  /** Bytes of the file so far, buffered ones included. */
  get bytesWritten(): number {
    return this.#position + this.#buffered;
  }

  /**
   * Open (create or truncate) the file and write its {@link fileHeader}. Called by
   * {@link startPlaying}; call it earlier to fail fast on a bad path. Idempotent.
   */
  open(): Promise<void> {
    this.#opening ??= (async () => {
      if (this.#closing) throw new DorsvrError('ERR_SINK_CLOSED', `${this.constructor.name} is closed`);
      try {
        this.#fh = await open(this.path, 'w');
      } catch (err) {
        throw new DorsvrError('ERR_FILE_SINK_OPEN', `cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
      }
      debug('%s: opened', this.path);
      const header = this.fileHeader();
      if (header && header.length > 0) this.write(header);
    })();
    return this.#opening;
  }

  /** Open the file, then play `source` into it (see {@link MediaSink.startPlaying}). */
  override async startPlaying(source: AnyFramedSource): Promise<void> {
    await this.open();
    return super.startPlaying(source);
  }

  /** Bytes written at the start of the file when it is opened (e.g. a header with sizes to patch). */
  protected fileHeader(): Uint8Array | undefined {
    return undefined;
  }

  /** Bytes to overwrite once the length is known, applied by {@link close} after the last flush. */
  protected finalPatches(): FileSinkPatch[] {
    return [];
  }

  /** Write one frame; the default writes its bytes as they are. Use {@link write}. */
  protected writeFrame(frame: Frame): void {
    this.write(frame.data);
  }

  /**
   * Append bytes to the file (buffered; kept as a view, not copied: frames are never mutated once
   * delivered). Subclasses call it from {@link writeFrame}.
   */
  protected write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
  }

  protected override consumeFrame(frame: Frame): void | Promise<void> {
    if (this.#error) throw this.#error;
    this.writeFrame(frame);
    this.framesWritten++;
    if (this.#buffered >= this.#bufferSize) return this.flush();
  }

  protected override async onSourceEnd(): Promise<void> {
    await this.flush();
  }

  /** Write out what is buffered. Rejects with `ERR_FILE_SINK_WRITE` if the file system fails. */
  flush(): Promise<void> {
    const chunks = this.#chunks;
    const length = this.#buffered;
    this.#chunks = [];
    this.#buffered = 0;
    const position = this.#position;
    this.#position += length;
    const run = this.#io.then(async () => {
      if (this.#error) throw this.#error;
      if (length === 0) return;
      await this.#writeAt(chunks, position);
    });
    this.#io = run.catch(() => {});
    return run;
  }

  /** Write `chunks` at `position`; a failure becomes the sink's `ERR_FILE_SINK_WRITE` error. */
  async #writeAt(chunks: readonly Uint8Array[], position: number): Promise<void> {
    const fh = this.#fh;
    if (!fh) throw new DorsvrError('ERR_FILE_SINK_WRITE', `${this.path}: not open`);
    try {
      await writeAll(fh, chunks, position);
    } catch (err) {
      this.#error = new DorsvrError('ERR_FILE_SINK_WRITE', `cannot write ${this.path}: ${(err as Error).message}`, { cause: err });
      throw this.#error;
    }
  }

  /**
   * Stop playing, flush, apply the final patches and close the file. Idempotent: every call returns
   * the same promise. Rejects with `ERR_FILE_SINK_WRITE` if any write failed (the file is then
   * incomplete), even one that already rejected {@link startPlaying}. A pending `startPlaying`
   * resolves once the source answers its outstanding read (end or close the source to make it).
   */
  override close(): Promise<void> {
    this.#closing ??= (async () => {
      this.stopPlaying();
      try {
        if (this.#opening) {
          await this.#opening.catch(() => {});
          if (this.#fh) {
            await this.flush();
            for (const p of this.finalPatches()) {
              await this.#io;
              if (this.#error) throw this.#error;
              await this.#writeAt([p.data], p.position);
            }
          }
        }
      } finally {
        const fh = this.#fh;
        this.#fh = null;
        if (fh) await fh.close().catch((err: unknown) => debug('%s: close failed: %O', this.path, err));
        debug('%s: closed, %d bytes', this.path, this.#position);
        super.close();
      }
    })();
    return this.#closing;
  }
}

/** Buffers per `writev` call, below every platform's IOV_MAX (1024 on Linux). */
const MAX_IOV = 512;

/** `writev` until every byte is down (a regular file may still take fewer bytes than offered). */
async function writeAll(fh: FileHandle, chunks: readonly Uint8Array[], position: number): Promise<void> {
  let pos = position;
  for (let i = 0; i < chunks.length; i += MAX_IOV) {
    let buffers = chunks.slice(i, i + MAX_IOV).map(asBuffer);
    while (buffers.length > 0) {
      const total = buffers.reduce((n, b) => n + b.length, 0);
      const { bytesWritten } = await fh.writev(buffers, pos);
      pos += bytesWritten;
      if (bytesWritten >= total) break;
      if (bytesWritten <= 0) throw new Error('no progress writing');
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const b of buffers) {
        if (skip >= b.length) skip -= b.length;
        else {
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      buffers = rest;
    }
  }
}
