import { EventEmitter } from 'eventemitter3';
import { FramedSource, type AnyFramedSource, type Frame, type FramedSourceEvents } from '@dorsvr/livemedia';

/** Events of a {@link LoopingSource}. */
export interface LoopingSourceEvents extends FramedSourceEvents {
  /** The input ended and a new one was opened (`count` restarts so far). */
  loop: [count: number];
}

/**
 * Passes the frames of its input on and, with `loop`, opens a new input when one ends (a file
 * from its start again), shifting the new input's presentation times to follow the last frame
 * sent, so an RTP sink's timestamps (derived from them) and its pacing go on without a jump.
 * It keeps the furthest presentation time passed on ({@link endUs}), which is how far in media
 * time a publisher has sent. {@link Publication} wraps every published source in one; it serves
 * any source that can be opened again (`open`).
 */
export class LoopingSource extends FramedSource<LoopingSourceEvents> {
  #input: AnyFramedSource;
  readonly #open: () => Promise<AnyFramedSource>;
  readonly #loop: boolean;
  /** Added to the current input's presentation times. */
  #offset = 0;
  /** True until the current input delivered its first frame. */
  #fresh = true;
  #startUs: number | undefined;
  #endUs = 0;
  #loops = 0;
  readonly #onFrame = (f: Frame | null): Frame | null | Promise<Frame | null> => this.#next(f);

  constructor(input: AnyFramedSource, open: () => Promise<AnyFramedSource>, loop: boolean) {
    super();
    this.#input = input;
    this.#open = open;
    this.#loop = loop;
  }

  /** Restarts so far. */
  get loops(): number {
    return this.#loops;
  }

  /** Presentation time (µs) just after the last frame passed on (its time plus its duration). */
  get endUs(): number {
    return this.#endUs;
  }

  /** Media time passed on so far, in µs (from the first frame's presentation time to {@link endUs}). */
  get sentUs(): number {
    return this.#startUs === undefined ? 0 : this.#endUs - this.#startUs;
  }

  protected override readFrame(): Frame | null | Promise<Frame | null> {
    const r = this.#input.pullFrame();
    return r instanceof Promise ? r.then(this.#onFrame) : this.#next(r);
  }

  #next(f: Frame | null): Frame | null | Promise<Frame | null> {
    if (f === null) return this.#loop && !this.closed && !this.#fresh ? this.#reopen() : null;
    if (this.#fresh) {
      this.#fresh = false;
      if (this.#startUs === undefined) this.#startUs = f.presentationTime;
      else this.#offset = this.#endUs - f.presentationTime;
    }
    const pt = f.presentationTime + this.#offset;
    if (pt + f.duration > this.#endUs) this.#endUs = pt + f.duration;
    // Shifted frames are new objects: their memory is not handed back to the input (whose
    // releaseFrame expects its own frames), it is simply not reused.
    return this.#offset === 0 ? f : { ...f, presentationTime: pt, owner: undefined };
  }

  async #reopen(): Promise<Frame | null> {
    this.#input.close();
    this.#input = await this.#open();
    if (this.closed) {
      this.#input.close();
      return null;
    }
    this.#fresh = true; // an input that ends before its first frame ends the loop
    this.#loops++;
    (this as unknown as EventEmitter<LoopingSourceEvents>).emit('loop', this.#loops);
    return this.#next(await this.#input.pullFrame());
  }

  override durationSeconds(): number | undefined {
    return this.#loop ? undefined : this.#input.durationSeconds();
  }

  protected override doClose(): void {
    this.#input.close();
  }
}
