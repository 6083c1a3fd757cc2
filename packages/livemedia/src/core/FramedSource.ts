import { EventEmitter } from 'eventemitter3';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from './Frame.js';

/** Events of every {@link FramedSource}. */
export interface FramedSourceEvents {
  /** The source delivered its last frame (a read answered `null`). */
  end: [];
  /** {@link FramedSource.close} ran. */
  close: [];
}

/**
 * live555's FramedSource: the pull model. A consumer asks for the next frame with
 * {@link getNextFrame}; the source answers when it has one, so nothing is produced faster than it
 * is consumed.
 *
 * To write a source, subclass and implement {@link readFrame} (see the example below).
 *
 * Errors thrown by `readFrame` reject `getNextFrame`; `null` means end of stream.
 *
 * A source that often has the next frame at hand already (a framer holding the NAL units of a
 * chunk it parsed) may return it directly instead of a promise; consumers that read with
 * {@link pullFrame} then take it without a trip through the microtask queue.
 *
 * @example
 * ```ts
 * import { FramedSource, type Frame } from '@dorsvr/livemedia';
 *
 * // 20 ms of 8 kHz L16 silence per frame, for ever: a live source.
 * class SilenceSource extends FramedSource {
 *   #t = 0;
 *   protected readFrame(): Frame {
 *     const frame = { data: new Uint8Array(320), presentationTime: this.#t, duration: 20_000 };
 *     this.#t += 20_000;
 *     return frame;
 *   }
 * }
 *
 * for await (const frame of new SilenceSource()) {
 *   if (frame.presentationTime >= 1_000_000) break; // leaving the loop closes the source
 * }
 * ```
 */
export abstract class FramedSource<
  Events extends FramedSourceEvents = FramedSourceEvents,
> extends EventEmitter<FramedSourceEvents & Events> {
  #reading = false;
  #closed = false;

  /**
   * Produce the next frame, or `null` at end of stream: a promise of it, or (when it is already at
   * hand) the frame itself. Never called again before the previous call settled, and never after
   * {@link close}.
   */
  protected abstract readFrame(): Frame | null | Promise<Frame | null>;

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True while a read is outstanding. */
  get isCurrentlyAwaitingData(): boolean {
    return this.#reading;
  }

  /**
   * Ask for the next frame. Resolves with it, or with `null` at end of stream or once closed.
   * Only one read may be outstanding: a second concurrent call rejects with `ERR_SOURCE_BUSY`.
   */
  async getNextFrame(): Promise<Frame | null> {
    if (this.#reading) {
      throw new DorsvrError('ERR_SOURCE_BUSY', `${this.constructor.name}: getNextFrame() called while a read is outstanding`);
    }
    if (this.#closed) return null;
    this.#reading = true;
    let frame: Frame | null;
    try {
      frame = await this.readFrame();
    } finally {
      this.#reading = false;
    }
    return this.#delivered(frame);
  }

  /**
   * Like {@link getNextFrame}, for consumers on the hot path (sinks, filters): returns the frame
   * (or `null`) itself when the source answered synchronously, else the promise of it. A read that
   * fails synchronously throws here rather than rejecting.
   */
  pullFrame(): Frame | null | Promise<Frame | null> {
    if (this.#reading) {
      throw new DorsvrError('ERR_SOURCE_BUSY', `${this.constructor.name}: pullFrame() called while a read is outstanding`);
    }
    if (this.#closed) return null;
    this.#reading = true;
    let r: Frame | null | Promise<Frame | null>;
    try {
      r = this.readFrame();
    } catch (err) {
      this.#reading = false;
      throw err;
    }
    // Any thenable, not only native promises: readFrame's type admits them. (A native promise is
    // told apart first: a frame then costs no lookup of a `then` it does not have.)
    if (r instanceof Promise) return r.then(this.#onRead, this.#onReadError);
    if (r !== null && typeof (r as Partial<PromiseLike<unknown>>).then === 'function') {
      return Promise.resolve(r as unknown as PromiseLike<Frame | null>).then(this.#onRead, this.#onReadError);
    }
    this.#reading = false;
    return this.#delivered(r as Frame | null);
  }

  // Settling an asynchronous read: handlers made once per source, not an async call per read.
  readonly #onRead = (frame: Frame | null): Frame | null => {
    this.#reading = false;
    return this.#delivered(frame);
  };
  readonly #onReadError = (err: unknown): never => {
    this.#reading = false;
    throw err;
  };

  #delivered(frame: Frame | null): Frame | null {
    if (this.#closed) return null;
    if (frame === null) (this as unknown as EventEmitter<FramedSourceEvents>).emit('end');
    return frame;
  }

  /**
   * Seek to a normal play time (seconds). Returns the time actually reached (e.g. the key frame at
   * or before `npt`), or `null` if this source cannot seek. Filters pass this to their input.
   */
  seekToNPT(_npt: number): number | null {
    return null;
  }

  /** Duration in seconds when known (a file), else `undefined` (a live source). */
  durationSeconds(): number | undefined {
    return undefined;
  }

  /** Stop producing and release what this source holds (files, inputs). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.doClose();
    } finally {
      (this as unknown as EventEmitter<FramedSourceEvents>).emit('close');
    }
  }

  /** Release resources; called once by {@link close}. Filters close their input here. */
  protected doClose(): void {}

  /** Iterate the remaining frames: `for await (const frame of source) …`. Breaking out closes the source. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame, void, undefined> {
    try {
      for (;;) {
        const frame = await this.getNextFrame();
        if (frame === null) return;
        yield frame;
      }
    } finally {
      this.close();
    }
  }
}

/**
 * Any {@link FramedSource}, whatever events its subclass adds (an `RTPSource` has `damaged`, …).
 * With eventemitter3's typed events a subclass with more events is not assignable to the plain
 * `FramedSource`, so whatever takes "a source" (sinks, filters) takes this.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFramedSource = FramedSource<any>;
