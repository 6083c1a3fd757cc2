import type { AnnexBNalCopyCache } from './AnnexBParser.js';

/** Copies of one version of a file by the stream offset of their first byte, held weakly. */
type Copies = Map<number, WeakRef<Uint8Array>>;

/** Files by (path, inode, size, mtime) → the copies of their NAL units alive at the moment. */
const files = new Map<string, Copies>();

const gone = new FinalizationRegistry<{ copies: Copies; offset: number; key: string }>(({ copies, offset, key }) => {
  const ref = copies.get(offset);
  if (ref !== undefined && ref.deref() === undefined) copies.delete(offset);
  if (copies.size === 0 && files.get(key) === copies) files.delete(key);
});

/**
 * The copies an H.264/H.265 framer makes of NAL units that straddle two chunks of a file, shared
 * by every framer playing the same version of that file ({@link AnnexBNalCopyCache}). Each framer
 * meets the NAL unit across every chunk boundary of the file: without sharing, N clients make N
 * copies of it (tens of KiB each for a key frame), which live as long as a frame waits for its
 * time and so survive into V8's old generation, where they wait for a full collection. A copy is
 * held only while some framer holds it; the parser checks a copy's bytes before it uses one.
 */
export class SharedNalCopies implements AnnexBNalCopyCache {
  readonly #key: () => string | undefined;

  /** `key` names the file version the parser reads (path, inode, size, mtime), or undefined: no sharing. */
  constructor(key: () => string | undefined) {
    this.#key = key;
  }

  find(offset: number, length: number): Uint8Array | undefined {
    const key = this.#key();
    if (key === undefined) return undefined;
    const copy = files.get(key)?.get(offset)?.deref();
    return copy !== undefined && copy.length === length ? copy : undefined;
  }

  add(offset: number, copy: Uint8Array): void {
    const key = this.#key();
    if (key === undefined) return;
    let copies = files.get(key);
    if (copies === undefined) files.set(key, (copies = new Map()));
    copies.set(offset, new WeakRef(copy));
    gone.register(copy, { copies, offset, key });
  }
}
