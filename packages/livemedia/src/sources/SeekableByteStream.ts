import type { FramedSource } from '../core/FramedSource.js';

/**
 * A byte-stream source (its frames are plain chunks of bytes) that can jump to a byte offset and
 * can make an independent twin over the same bytes. Framers use the twin to index a file (key
 * frames, duration, parameter sets) without disturbing the stream being played.
 */
export interface SeekableByteStream {
  /** Total size in bytes when known (after opening a file; always for memory). */
  readonly fileSize: number | undefined;
  /**
   * Continue reading at byte `offset`; with `byteLimit`, deliver at most that many bytes from there
   * (then end). The next chunk delivered starts exactly at `offset`.
   */
  seekToByte(offset: number, byteLimit?: number): void;
  /** A new, independent, unopened source over the same bytes, positioned at 0. */
  duplicate(): FramedSource & SeekableByteStream;
  /** False when the bytes turned out not to be re-readable (a pipe); undefined or true otherwise. */
  readonly seekable?: boolean | undefined;
}

/** True when `source` implements {@link SeekableByteStream} and is not known to be a pipe. */
export function isSeekableByteStream(source: unknown): source is FramedSource & SeekableByteStream {
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as Partial<SeekableByteStream>).seekToByte === 'function' &&
    typeof (source as Partial<SeekableByteStream>).duplicate === 'function' &&
    (source as Partial<SeekableByteStream>).seekable !== false
  );
}
