import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';
import type { SeekableByteStream } from './SeekableByteStream.js';

/** Options of {@link ByteStreamMemorySource}. */
export interface ByteStreamMemorySourceOptions {
  /**
   * Bytes per chunk (default 65536), or a function giving the size of chunk number `index` (tests
   * use it to cut a stream at arbitrary places). Sizes below 1 count as 1.
   */
  chunkSize?: number | ((index: number) => number);
}

/**
 * live555's ByteStreamMemoryBufferSource: delivers a Uint8Array in chunks, as
 * {@link ByteStreamFileSource} delivers a file. For tests and clips embedded in a program.
 *
 * Chunks are views of `data` (no copy): the caller must not modify `data` while it is in use.
 */
export class ByteStreamMemorySource extends FramedSource implements SeekableByteStream {
  readonly #data: Uint8Array;
  readonly #chunkSize: number | ((index: number) => number);
  #pos = 0;
  #end: number;
  #chunkIndex = 0;

  constructor(data: Uint8Array, options: ByteStreamMemorySourceOptions = {}) {
    super();
    this.#data = data;
    this.#end = data.length;
    this.#chunkSize = options.chunkSize ?? 65536;
  }

  /** Size of the buffer in bytes. */
  get fileSize(): number {
    return this.#data.length;
  }

  /** Offset of the next byte to be delivered. */
  get position(): number {
    return this.#pos;
  }

  seekToByte(offset: number, byteLimit?: number): void {
    if (!Number.isFinite(offset) || offset < 0) {
      throw new DorsvrError('ERR_SOURCE_SEEK', `seekToByte: bad offset ${offset}`);
    }
    this.#pos = Math.min(Math.floor(offset), this.#data.length);
    this.#end =
      byteLimit === undefined ? this.#data.length : Math.min(this.#data.length, this.#pos + Math.max(0, byteLimit));
  }

  duplicate(): ByteStreamMemorySource {
    return new ByteStreamMemorySource(this.#data, { chunkSize: this.#chunkSize });
  }

  protected async readFrame(): Promise<Frame | null> {
    if (this.#pos >= this.#end) return null;
    const want = typeof this.#chunkSize === 'number' ? this.#chunkSize : this.#chunkSize(this.#chunkIndex);
    this.#chunkIndex++;
    const size = Math.max(1, Math.floor(Number.isFinite(want) ? want : 1));
    const start = this.#pos;
    this.#pos = Math.min(this.#end, start + size);
    return { data: this.#data.subarray(start, this.#pos), presentationTime: 0, duration: 0 };
  }
}
