import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';

/**
 * One live source read by a succession of consumers (the shared streams of a
 * LiveServerMediaSubsession: one at a time, each closed when its last client leaves). Each
 * consumer reads through a {@link SharedLiveSource.tap}; closing a tap leaves the source open, and
 * a frame a closed tap's read brought in after it closed goes to the next tap instead of being
 * lost (a lost NAL unit is a damaged picture). Not exported: an implementation detail.
 */
export class SharedLiveSource {
  readonly source: FramedSource;
  #pending: Promise<unknown> | undefined;
  /** A frame (or the end) read for a tap that closed meanwhile. */
  #stash: { frame: Frame | null } | undefined;

  constructor(source: FramedSource) {
    this.source = source;
  }

  /** A new consumer's view of the source. */
  tap(): FramedSource {
    return new LiveSourceTap(this);
  }

  /** Read for `tap` (never two reads of the source at once). */
  read(tap: FramedSource): Frame | null | Promise<Frame | null> {
    const stash = this.#stash;
    if (stash !== undefined) {
      this.#stash = undefined;
      return stash.frame;
    }
    // A read for an earlier tap is still out: wait for it (its frame lands in the stash).
    if (this.#pending !== undefined) return this.#pending.then(() => this.read(tap));
    const r = this.source.pullFrame();
    if (!(r instanceof Promise)) return r;
    const settled = r.then(
      (frame) => {
        this.#pending = undefined;
        if (tap.closed) {
          this.#stash = { frame };
          return null;
        }
        return frame;
      },
      (err: unknown) => {
        this.#pending = undefined;
        throw err;
      },
    );
    this.#pending = settled.catch(() => {});
    return settled;
  }

  close(): void {
    this.source.close();
  }
}

/** A consumer's view of a {@link SharedLiveSource}: closing it leaves the source open. */
class LiveSourceTap extends FramedSource {
  readonly #shared: SharedLiveSource;

  constructor(shared: SharedLiveSource) {
    super();
    this.#shared = shared;
  }

  protected readFrame(): Frame | null | Promise<Frame | null> {
    return this.#shared.read(this);
  }
}
