/**
 * A bounded cache of per-file indexes (frame offsets, key frames, durations), keyed by what
 * identifies one version of a file — the indexer, its options, the path, size, modification
 * time and inode ({@link fileIndexKey}) — so that a server opening the same file for many clients scans it once. Concurrent first
 * requests for one key share one build (one promise); a failed build is forgotten, so a later
 * request tries again. Entries are evicted oldest first once their total size (as `sizeOf` measures it) passes
 * `maxBytes` or their number passes `maxEntries` (the entry just built is kept).
 */
export class FileIndexCache<T> {
  readonly #entries = new Map<string, { promise: Promise<T>; bytes: number }>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (value: T) => number;
  #bytes = 0;
  /** Builds started (cache misses): what tests check to see that concurrent requests shared one. */
  builds = 0;

  /**
   * @param sizeOf Bytes an index holds (typed arrays' byteLength, …).
   * @param maxEntries Most indexes kept.
   * @param maxBytes Most bytes kept in all.
   */
  constructor(sizeOf: (value: T) => number, maxEntries: number, maxBytes: number) {
    this.#sizeOf = sizeOf;
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  /** Indexes held (or being built). */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held by the indexes built. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The index of `key`: the cached one, the one being built, or a new build by `build`. */
  get(key: string, build: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Most recently used last: eviction takes the oldest.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.promise;
    }
    this.builds++;
    const entry = { promise: build(), bytes: 0 };
    this.#entries.set(key, entry);
    entry.promise.then(
      (value) => {
        if (this.#entries.get(key) !== entry) return;
        entry.bytes = this.#sizeOf(value);
        this.#bytes += entry.bytes;
        this.#evict(key);
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    this.#evict(key);
    return entry.promise;
  }

  #evict(keep: string): void {
    for (const [k, e] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
      if (k === keep) continue;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  /** Forget every index (builds in progress still settle for those waiting on them). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/**
 * The cache key of one version of a file for one indexer: its path, size, modification time and
 * inode (a file replaced by another of the same size and time, `cp -p`, is another file).
 */
export function fileIndexKey(kind: string, path: string, size: number, mtimeMs: number | undefined, inode?: number): string {
  return `${kind}\0${size}\0${mtimeMs ?? ''}\0${inode ?? ''}\0${path}`;
}
