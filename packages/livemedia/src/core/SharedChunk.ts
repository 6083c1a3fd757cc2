import type { Frame, FrameOwner } from './Frame.js';

/**
 * An input chunk (a frame of a byte-stream source) that a framer cuts into frames that are views
 * of it: counts the users of its memory — the framer itself, and every frame cut from it — and
 * hands the chunk back to its own owner when the last one is done, so that the file source can
 * read into the same buffer again. A framer makes one per recyclable chunk ({@link from}), sets it
 * as the `owner` of each frame it cuts ({@link cut}), and calls {@link release} when it no longer
 * reads the chunk itself.
 *
 * A frame that is never released keeps the chunk from being recycled (the garbage collector frees
 * it instead): the safe default for consumers that know nothing of recycling.
 */
export class SharedChunk implements FrameOwner {
  /** The framer's own use plus one per frame not yet released. */
  #users = 1;

  private constructor(readonly chunk: Frame) {}

  /** A tracker for `chunk`, held by the caller; undefined when its producer cannot recycle it. */
  static from(chunk: Frame): SharedChunk | undefined {
    return chunk.owner ? new SharedChunk(chunk) : undefined;
  }

  /** A frame is being cut from the chunk: returns the owner to give that frame (this). */
  cut(): this {
    this.#users++;
    return this;
  }

  /** A frame cut from the chunk is done with (a consumer released it, or the framer dropped it). */
  releaseFrame(_frame?: Frame): void {
    if (--this.#users === 0) this.chunk.owner?.releaseFrame(this.chunk);
  }

  /** The framer itself no longer reads the chunk. Call once. */
  release(): void {
    this.releaseFrame();
  }
}
