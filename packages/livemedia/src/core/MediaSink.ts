import { EventEmitter } from 'eventemitter3';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from './Frame.js';
import type { AnyFramedSource, FramedSource } from './FramedSource.js';

/** Frames played synchronously in a row before the play loop yields once (to the microtask queue). */
const SYNC_BURST = 64;
/** Bursts in a row before the loop yields to the event loop itself (timers, sockets). */
const BURSTS_PER_TURN = 16;

/** Events of every {@link MediaSink}. */
export interface MediaSinkEvents {
  /** The source ended and every frame was consumed. */
  end: [];
  /** {@link MediaSink.close} ran. */
  close: [];
}

/**
 * live555's MediaSink: consumes frames from a {@link FramedSource}, one at a time, asking for the
 * next only once it has finished with the last (back-pressure without buffers).
 *
 * Subclasses implement {@link consumeFrame}; a sink that paces its output (an RTP sink sending at
 * presentation times) simply resolves when it is ready for the next frame.
 *
 * @example
 * ```ts
 * import { ByteStreamFileSource, MediaSink, type Frame } from '@dorsvr/livemedia';
 *
 * // Counts bytes; asked for the next frame only once it returned (back-pressure without buffers).
 * class CountingSink extends MediaSink {
 *   bytes = 0;
 *   protected consumeFrame(frame: Frame): void {
 *     this.bytes += frame.data.length;
 *   }
 * }
 *
 * const sink = new CountingSink();
 * await sink.startPlaying(new ByteStreamFileSource('clip.ts')); // resolves at the end of the source
 * console.log(`${sink.bytes} bytes`);
 * sink.close();
 * ```
 */
export abstract class MediaSink<Events extends MediaSinkEvents = MediaSinkEvents> extends EventEmitter<
  MediaSinkEvents & Events
> {
  #source: AnyFramedSource | null = null;
  #closed = false;
  #generation = 0;

  /** The source being played, or `null`. */
  get source(): AnyFramedSource | null {
    return this.#source;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Handle one frame. Resolve (or return) when ready for the next one. */
  protected abstract consumeFrame(frame: Frame): void | Promise<void>;

  /**
   * A read that was outstanding when {@link stopPlaying} ran brought this frame. The source has
   * moved past it, so a sink that resumes later (an RTP sink after PAUSE) keeps it to send first;
   * the default drops it.
   */
  protected keepFrameReadAfterStop(_frame: Frame): void {}

  /** Called once the source ended (before `'end'`), e.g. to flush. */
  protected onSourceEnd(): void | Promise<void> {}

  /**
   * Play `source` into this sink. Resolves when the source ends (after `'end'`) or when
   * {@link stopPlaying} is called; rejects if the source or the sink fails.
   */
  async startPlaying(source: AnyFramedSource): Promise<void> {
    if (this.#closed) throw new DorsvrError('ERR_SINK_CLOSED', `${this.constructor.name} is closed`);
    if (this.#source !== null) throw new DorsvrError('ERR_SINK_BUSY', `${this.constructor.name} is already playing`);
    this.#source = source;
    const generation = ++this.#generation;
    try {
      // Frames a source has at hand and a sink takes at once pass without a promise each; every
      // SYNC_BURST such frames the loop still yields to the microtask queue, and every
      // BURSTS_PER_TURN bursts to the event loop, so that other streams, sockets and timers (and a
      // stopPlaying from outside) get their turn even when nothing in the chain ever waits (a file
      // read with blocking reads into a sink that takes every frame at once).
      let burst = 0;
      let bursts = 0;
      for (;;) {
        let frame = source.pullFrame();
        if (frame instanceof Promise) {
          frame = await frame;
          burst = 0;
          if (generation !== this.#generation) {
            // Stopped while the read was out: the frame it brought is the next one to play.
            if (frame !== null) this.keepFrameReadAfterStop(frame);
            return;
          }
        }
        if (frame === null) break;
        const consumed = this.consumeFrame(frame);
        if (consumed !== undefined) {
          await consumed;
          burst = 0;
        } else if (++burst >= SYNC_BURST) {
          burst = 0;
          if (++bursts >= BURSTS_PER_TURN) {
            bursts = 0;
            await new Promise<void>((resolve) => setImmediate(resolve));
          } else await undefined;
        }
        if (generation !== this.#generation) return;
      }
      await this.onSourceEnd();
      if (generation === this.#generation) {
        this.#source = null;
        this.#generation++;
        (this as unknown as EventEmitter<MediaSinkEvents>).emit('end');
      }
    } catch (err) {
      if (generation === this.#generation) {
        this.#source = null;
        this.#generation++;
      }
      throw err;
    }
  }

  /**
   * Stop asking the source for frames (the source stays open; the caller owns it). The pending
   * {@link startPlaying} promise resolves, once the read it may be waiting on has settled (the
   * frame that read brings goes to {@link keepFrameReadAfterStop}).
   */
  stopPlaying(): void {
    this.#generation++;
    this.#source = null;
  }

  /** Stop playing and release what this sink holds. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stopPlaying();
    try {
      this.doClose();
    } finally {
      (this as unknown as EventEmitter<MediaSinkEvents>).emit('close');
    }
  }

  /** Release resources; called once by {@link close}. */
  protected doClose(): void {}
}
