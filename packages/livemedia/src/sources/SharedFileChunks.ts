import { readSync } from 'node:fs';
import type { Frame, FrameOwner } from '../core/Frame.js';

/**
 * One chunk of one version of a file, read once and shared by every source reading that part of
 * the file. Its buffer is never written again while anyone may read it: only when every lease was
 * handed back does it go to the pool, to be read into for another chunk.
 */
class CachedChunk {
  /** Leases not yet handed back. */
  refs = 0;
  constructor(
    readonly key: string,
    readonly file: Map<number, WeakRef<CachedChunk>>,
    readonly index: number,
    readonly buf: Buffer,
    readonly length: number,
  ) {}
}

/** One source's use of a cached chunk: handed back at most once (a second release is ignored). */
class ChunkLease implements FrameOwner {
  #chunk: CachedChunk | undefined;
  constructor(chunk: CachedChunk) {
    this.#chunk = chunk;
    chunk.refs++;
  }
  releaseFrame(): void {
    const c = this.#chunk;
    if (c === undefined) return;
    this.#chunk = undefined;
    if (--c.refs === 0) retire(c);
  }
}

/** Files by (path, inode, size, mtime, chunk size) → their chunks being read, held weakly. */
const files = new Map<string, Map<number, WeakRef<CachedChunk>>>();
/** Buffers of retired chunks by size, ready to be read into again. */
const pool = new Map<number, Buffer[]>();
/** Buffers kept per chunk size (a server's streams come and go; more is left to the GC). */
const POOL_MAX = 8;

function retire(c: CachedChunk): void {
  if (c.file.get(c.index)?.deref() === c) c.file.delete(c.index);
  if (c.file.size === 0 && files.get(c.key) === c.file) files.delete(c.key);
  let free = pool.get(c.buf.length);
  if (free === undefined) pool.set(c.buf.length, (free = []));
  if (free.length < POOL_MAX) free.push(c.buf);
}

const gone = new FinalizationRegistry<{ file: Map<number, WeakRef<CachedChunk>>; index: number; key: string }>(({ file, index, key }) => {
  const ref = file.get(index);
  if (ref !== undefined && ref.deref() === undefined) file.delete(index);
  if (file.size === 0 && files.get(key) === file) files.delete(key);
});

/** Identity of one version of a regular file, and the chunk size it is read in. */
export interface SharedFileKey {
  path: string;
  inode: number;
  size: number;
  mtimeMs: number;
  chunkSize: number;
}

/**
 * Read the chunk of `key`'s file that holds byte `position` (blocking, on descriptor `fd`), or
 * share it if another source of the same file version holds it: a server playing one file to many
 * clients then keeps each part of the file in memory once, not once per client. The frame views
 * the file from `position` to the end of its chunk (or `end`); its `owner` hands the chunk back.
 * Chunks nobody holds are forgotten (the garbage collector frees those never handed back).
 * Returns null at the end of the file.
 */
export function readSharedChunk(fd: number, key: SharedFileKey, position: number, end: number): Frame | null {
  const { chunkSize } = key;
  const index = Math.floor(position / chunkSize);
  const mapKey = `${key.inode}\0${key.size}\0${key.mtimeMs}\0${chunkSize}\0${key.path}`;
  let file = files.get(mapKey);
  if (file === undefined) files.set(mapKey, (file = new Map()));
  let chunk = file.get(index)?.deref();
  if (chunk === undefined) {
    const buf = pool.get(chunkSize)?.pop() ?? Buffer.allocUnsafeSlow(chunkSize);
    const start = index * chunkSize;
    let length = 0;
    try {
      // A regular file: one read returns the whole chunk unless the file ends (or shrank) there.
      while (length < chunkSize) {
        const n = readSync(fd, buf, length, chunkSize - length, start + length);
        if (n === 0) break;
        length += n;
      }
    } catch (err) {
      pool.get(chunkSize)?.push(buf);
      throw err;
    }
    chunk = new CachedChunk(mapKey, file, index, buf, length);
    file.set(index, new WeakRef(chunk));
    gone.register(chunk, { file, index, key: mapKey });
  }
  const from = position - index * chunkSize;
  const to = Math.min(chunk.length, end - index * chunkSize);
  if (to <= from) {
    if (chunk.refs === 0) retire(chunk);
    return null;
  }
  return { data: chunk.buf.subarray(from, to), presentationTime: 0, duration: 0, owner: new ChunkLease(chunk) };
}

/** Chunks shared at the moment and their bytes (for tests and benchmarks). */
export function sharedFileChunkStats(): { chunks: number; bytes: number; pooled: number } {
  let chunks = 0;
  let bytes = 0;
  for (const file of files.values()) {
    for (const ref of file.values()) {
      const c = ref.deref();
      if (c && c.refs > 0) {
        chunks++;
        bytes += c.buf.length;
      }
    }
  }
  let pooled = 0;
  for (const free of pool.values()) pooled += free.length;
  return { chunks, bytes, pooled };
}
