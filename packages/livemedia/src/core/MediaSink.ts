import { EventEmitter } from 'eventemitter3';
import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from './Frame.js';
import type { AnyFramedSource, FramedSource } from './FramedSource.js';

/** Frames one play loop takes synchronously in a row before it yields once (to the microtask queue). */
const SYNC_BURST = 64;
/**
 * Frames all play loops together take without waiting (frames that were due at once: a source at
 * hand, a paced sink behind its clock) before the event loop must poll I/O again: past it, every
 * loop that would read on at once is parked, and one `setImmediate` resumes the parked loops in
 * turn with a fresh budget. See {@link MediaSink}.
 */
export const LATE_FRAMES_PER_TURN = 128;

/** Frames taken without waiting since the parked loops were last resumed (all sinks together). */
let lateFrames = 0;
/** Play loops waiting for the event loop's next turn, in the order they yielded. */
let parked: Array<() => void> = [];
let resumeArmed = false;

function park(again: () => void): void {
  parked.push(again);
  if (!resumeArmed) {
    resumeArmed = true;
    setImmediate(resumeParked);
  }
}

/** After an I/O poll: resume the parked loops in order, until the fresh budget is spent again. */
function resumeParked(): void {
  resumeArmed = false;
  lateFrames = 0;
  const q = parked;
  parked = [];
  let i = 0;
  try {
    while (i < q.length && lateFrames < LATE_FRAMES_PER_TURN) q[i++]!();
  } finally {
    // Those not reached (the budget is spent, or an 'end' listener threw) go first next turn,
    // ahead of the loops parked again just now.
    if (i < q.length) {
      parked = q.slice(i).concat(parked);
      if (!resumeArmed) {
        resumeArmed = true;
        setImmediate(resumeParked);
      }
    }
  }
}

/** Events of every {@link MediaSink}. */
export interface MediaSinkEvents {
  /** The source ended and every frame was consumed. */
  end: [];
  /** {@link MediaSink.close} ran. */
  close: [];
}

/**
 * The state of one {@link MediaSink.startPlaying} call: its promise's settlers and the callbacks the
 * loop hands to promises and timers, made once per call rather than once per frame.
 */
interface PlayRun {
  readonly generation: number;
  readonly source: AnyFramedSource;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  /** Frames taken synchronously since the loop last yielded. */
  burst: number;
  readonly onFrame: (frame: Frame | null) => void;
  readonly onConsumed: () => void;
  readonly onError: (err: unknown) => void;
  readonly again: () => void;
}

/**
 * live555's MediaSink: consumes frames from a {@link FramedSource}, one at a time, asking for the
 * next only once it has finished with the last (back-pressure without buffers).
 *
 * Subclasses implement {@link consumeFrame}; a sink that paces its output (an RTP sink sending at
 * presentation times) simply resolves when it is ready for the next frame — or, on a hot path,
 * calls {@link deferFrame} and later {@link frameConsumed}, which costs no promise per frame.
 *
 * A frame the sink takes at once (a source with frames at hand, a paced sink whose frame is already
 * due) lets the loop read the next one synchronously — but all sinks of the process together take
 * at most {@link LATE_FRAMES_PER_TURN} such frames before the event loop polls I/O again: past
 * that budget each loop parks, and the parked loops resume in turn, in the order they parked, on
 * the next turns (`setImmediate`). So a server whose sessions fall far behind (a starved process)
 * still accepts connections and answers requests every few milliseconds, and catches its streams
 * up frame by frame, in order, without dropping any (as live555 sends a late frame from a
 * zero-delay task, so that its `select()` loop runs between frames).
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
  /** What {@link deferFrame}/{@link frameConsumed} did during the consumeFrame call in progress. */
  #deferState: 'none' | 'deferred' | 'done' = 'none';
  #deferError: unknown;
  #inConsume = false;
  /** A consumeFrame deferred with {@link deferFrame} is outstanding (for this run). */
  #awaitingConsume: PlayRun | undefined;

  /** The source being played, or `null`. */
  get source(): AnyFramedSource | null {
    return this.#source;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Handle one frame. Resolve (or return) when ready for the next one — or call
   * {@link deferFrame} before returning and {@link frameConsumed} when ready.
   */
  protected abstract consumeFrame(frame: Frame): void | Promise<void>;

  /**
   * Called from {@link consumeFrame} by a sink that finishes the frame later without a promise (a
   * paced sink waiting on the scheduler): consumeFrame returns nothing, and playing goes on when
   * the sink calls {@link frameConsumed}.
   */
  protected deferFrame(): void {
    if (!this.#inConsume) throw new DorsvrError('ERR_SINK_BUSY', `${this.constructor.name}: deferFrame() outside consumeFrame()`);
    this.#deferState = 'deferred';
  }

  /**
   * The frame whose consumption {@link deferFrame} deferred is done (`err`: it failed, which
   * rejects {@link startPlaying}). Playing goes on (or, when {@link stopPlaying} ran meanwhile,
   * the pending startPlaying resolves). Does nothing when no frame is deferred.
   */
  protected frameConsumed(err?: unknown): void {
    if (this.#inConsume && this.#deferState === 'deferred') {
      this.#deferState = 'done';
      this.#deferError = err;
      return;
    }
    const run = this.#awaitingConsume;
    if (run === undefined) return;
    this.#awaitingConsume = undefined;
    if (err !== undefined) this.#fail(run, err);
    else {
      run.burst = 0;
      this.#step(run);
    }
  }

  /**
   * A read that was outstanding when {@link stopPlaying} ran brought this frame. The source has
   * moved past it, so a sink that resumes later (an RTP sink after PAUSE) keeps it to send first;
   * the default drops it.
   */
  protected keepFrameReadAfterStop(_frame: Frame): void {}

  /**
   * A frame to consume before reading from the source when playing starts (one kept by
   * {@link keepFrameReadAfterStop}), handed over once. Default: none.
   */
  protected takeFrameToResume(): Frame | undefined {
    return undefined;
  }

  /** Called once the source ended (before `'end'`), e.g. to flush. */
  protected onSourceEnd(): void | Promise<void> {}

  /**
   * Play `source` into this sink. Resolves when the source ends (after `'end'`) or when
   * {@link stopPlaying} is called; rejects if the source or the sink fails.
   */
  startPlaying(source: AnyFramedSource): Promise<void> {
    if (this.#closed) return Promise.reject(new DorsvrError('ERR_SINK_CLOSED', `${this.constructor.name} is closed`));
    if (this.#source !== null) return Promise.reject(new DorsvrError('ERR_SINK_BUSY', `${this.constructor.name} is already playing`));
    this.#source = source;
    const generation = ++this.#generation;
    // Frames a source has at hand and a sink takes at once pass without a promise each (and a
    // sink that waits uses deferFrame, not a promise): the loop below is driven by callbacks made
    // once per call. Every SYNC_BURST frames taken in a row it still yields to the microtask
    // queue (other streams, a stopPlaying from outside), and once LATE_FRAMES_PER_TURN frames were
    // taken without waiting by all loops together it parks until the event loop has polled I/O,
    // so that sockets and timers get their turn even when nothing in the chain ever waits (a file
    // read with blocking reads into a sink that takes every frame at once, or many paced sinks
    // far behind their clock on a starved process).
    return new Promise<void>((resolve, reject) => {
      const run: PlayRun = {
        generation,
        source,
        resolve,
        reject,
        burst: 0,
        onFrame: (frame) => this.#afterRead(run, frame),
        onConsumed: () => {
          run.burst = 0;
          this.#step(run);
        },
        onError: (err) => this.#fail(run, err),
        again: () => this.#step(run),
      };
      // A frame deferred by a run that was stopped and never finished: that run is over.
      const stale = this.#awaitingConsume;
      this.#awaitingConsume = undefined;
      stale?.resolve();
      const first = this.takeFrameToResume();
      if (first === undefined || this.#consume(run, first)) this.#step(run);
    });
  }

  /** Read and consume frames while they come synchronously; returns once something is awaited. */
  #step(run: PlayRun): void {
    for (;;) {
      if (run.generation !== this.#generation) {
        run.resolve();
        return;
      }
      // The turn's budget of frames taken without waiting is spent (by any sink): read on after
      // the event loop has polled I/O.
      if (lateFrames >= LATE_FRAMES_PER_TURN) {
        park(run.again);
        return;
      }
      let frame: Frame | null | Promise<Frame | null>;
      try {
        frame = run.source.pullFrame();
      } catch (err) {
        this.#fail(run, err);
        return;
      }
      if (frame instanceof Promise) {
        frame.then(run.onFrame, run.onError);
        return;
      }
      if (!this.#consume(run, frame)) return;
    }
  }

  #afterRead(run: PlayRun, frame: Frame | null): void {
    run.burst = 0;
    if (run.generation !== this.#generation) {
      // Stopped while the read was out: the frame it brought is the next one to play.
      if (frame !== null) this.keepFrameReadAfterStop(frame);
      run.resolve();
      return;
    }
    if (this.#consume(run, frame)) this.#step(run);
  }

  /** Consume one frame (or end on `null`); true when the loop may read the next one at once. */
  #consume(run: PlayRun, frame: Frame | null): boolean {
    if (frame === null) {
      this.#end(run);
      return false;
    }
    let consumed: void | Promise<void>;
    this.#deferState = 'none';
    this.#inConsume = true;
    try {
      consumed = this.consumeFrame(frame);
    } catch (err) {
      this.#fail(run, err);
      return false;
    } finally {
      this.#inConsume = false;
    }
    const deferred = this.#deferState as 'none' | 'deferred' | 'done';
    this.#deferState = 'none';
    if (deferred === 'deferred') {
      this.#awaitingConsume = run;
      return false;
    }
    if (deferred === 'done') {
      const err = this.#deferError;
      this.#deferError = undefined;
      if (err !== undefined) {
        this.#fail(run, err);
        return false;
      }
    } else if (consumed !== undefined) {
      // Any thenable, as before (an async consumeFrame's promise, or another library's).
      Promise.resolve(consumed).then(run.onConsumed, run.onError);
      return false;
    }
    if (++lateFrames >= LATE_FRAMES_PER_TURN) {
      run.burst = 0;
      park(run.again);
      return false;
    }
    if (++run.burst >= SYNC_BURST) {
      run.burst = 0;
      queueMicrotask(run.again);
      return false;
    }
    return true;
  }

  #end(run: PlayRun): void {
    let ended: void | Promise<void>;
    try {
      ended = this.onSourceEnd();
    } catch (err) {
      this.#fail(run, err);
      return;
    }
    const finish = (): void => {
      if (run.generation === this.#generation) {
        this.#source = null;
        this.#generation++;
        (this as unknown as EventEmitter<MediaSinkEvents>).emit('end');
      }
      run.resolve();
    };
    if (ended === undefined) finish();
    else Promise.resolve(ended).then(finish, run.onError);
  }

  #fail(run: PlayRun, err: unknown): void {
    if (run.generation === this.#generation) {
      this.#source = null;
      this.#generation++;
    }
    if (this.#awaitingConsume === run) this.#awaitingConsume = undefined;
    run.reject(err);
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
