import type { TaskToken } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import type { AnyFramedSource } from '../core/FramedSource.js';
import { RTPSink } from './RTPSink.js';

/**
 * live555's MultiFramedRTPSink: sends each frame as one or more RTP packets at the frame's
 * presentation time. Pacing is absolute (frame time − first frame time after the start of
 * playing, on the scheduler's clock), so there are no bursts and no drift; one scheduled task per
 * frame, none per packet. After a pause the next frame goes out at once and pacing restarts from
 * it; a frame already read when playing stopped is sent first on resume, unless the stream was
 * repositioned ({@link notePlayPosition}). RTP time advances with the clock during a pause: a
 * resumed stream's timestamps continue from where the clock is ({@link presetNextTimestamp}).
 *
 * Subclasses implement {@link packetizeFrame}, calling `sendPacket` for each packet.
 */
export abstract class MultiFramedRTPSink extends RTPSink {
  #startUs: number | undefined;
  #ptStart = 0;
  /** Scheduler time and presentation time of the last start of pacing: the RTP clock's anchor, kept across stops. */
  #clockUs: number | undefined;
  #clockPt = 0;
  #presetValue: number | undefined;
  /** Presentation time of the next frame expected (for RTP-Info before it arrives). */
  #nextPt = 0;
  #held: Frame | undefined;
  /** notePlayPosition ran since the last stop. */
  #repositioned = false;
  #stopped = false;
  #waitToken: TaskToken = 0;
  /** The frame waiting for its time (its consumption deferred: no promise per frame). */
  #waiting: Frame | undefined;
  // The wait's callback, made once rather than as a closure per frame. Its task has run: nothing to unschedule.
  readonly #onDue = (): void => {
    this.#waitToken = 0;
    this.#wake();
  };

  /** Set by {@link keepFrame} during the packetizeFrame call in progress. */
  #kept = false;

  /**
   * Split one frame into packets (each ≤ `maxPayloadSize`), sending them with `sendPacket`. Once it
   * returns, the frame is handed back to its producer ({@link Frame.owner}) when no packet's send
   * was held by the sender — unless the implementation called {@link keepFrame}.
   */
  protected abstract packetizeFrame(frame: Frame): void;

  /**
   * Called from packetizeFrame by a sink that sends the frame's bytes later (parameter sets held
   * for an aggregation packet): the frame is not handed back now; the sink does it with
   * {@link releaseFrames} once those bytes are sent.
   */
  protected keepFrame(): void {
    this.#kept = true;
  }

  /** Hand `frames` back to their producers, unless a send since `retainedBefore` ({@link retainedSends}) still holds bytes. */
  protected releaseFrames(frames: readonly Frame[], retainedBefore: number): void {
    if (this.retainedSends !== retainedBefore) return;
    for (const f of frames) f.owner?.releaseFrame(f);
  }

  /**
   * The RTP timestamp of scheduler time `nowUs` (for RTCP sender reports): from the frame that
   * started the pacing last, at the clock rate, and still advancing with the clock while stopped
   * (paused), so that a report in a pause pairs its NTP time with the RTP time the stream resumes
   * at ({@link presetNextTimestamp}). Before anything was sent: the next frame's timestamp.
   */
  override rtpTimestampAt(nowUs: number): number {
    if (this.#clockUs !== undefined) return this.convertToRTPTimestamp(this.#clockPt + (nowUs - this.#clockUs));
    return this.convertToRTPTimestamp(this.#nextPt);
  }

  /**
   * What PLAY announces in `RTP-Info: rtptime`, made true (live555's presetNextTimestamp): the
   * timestamp the next packet sent will carry. When a frame is already waiting for its time (a
   * shared stream that others watch), that frame's timestamp; otherwise the timestamp of `nowUs`
   * ({@link rtpTimestampAt}: after a pause, RTP time has advanced with the clock), preset so that the
   * next frame carries it whatever its presentation time (a live source's capture clock, a seek).
   */
  presetNextTimestamp(nowUs: number = this.scheduler.now()): number {
    if (this.#presetValue !== undefined && this.timestampPresetPending) return this.#presetValue;
    if (this.#waiting !== undefined && !this.#stopped) return this.convertToRTPTimestamp(this.#waiting.presentationTime);
    const ts = this.rtpTimestampAt(nowUs);
    this.#presetValue = ts;
    this.presetTimestamp(ts);
    return ts;
  }

  /** The stream was repositioned (seek): the next frame has this presentation time (µs). */
  notePlayPosition(presentationTimeUs: number): void {
    this.#nextPt = presentationTimeUs;
    this.#held = undefined;
    this.#repositioned = true;
  }

  override startPlaying(source: AnyFramedSource): Promise<void> {
    // A closed sink plays nothing (and says so by resolving, as it always did).
    if (this.closed) return Promise.resolve();
    this.#startUs = undefined;
    this.#stopped = false;
    return super.startPlaying(source);
  }

  /** The frame read (or due) as playing stopped goes out first. */
  protected override takeFrameToResume(): Frame | undefined {
    const held = this.#held;
    this.#held = undefined;
    return held;
  }

  override stopPlaying(): void {
    this.#stopped = true;
    this.#repositioned = false;
    this.#startUs = undefined;
    // Stop first, then settle the frame waiting for its time (it is held, not sent): the play loop
    // that frameConsumed resumes then sees that it was stopped.
    super.stopPlaying();
    this.#wake();
  }

  /** The waiting frame's time came (or playing stopped): send it (or hold it), then go on playing. */
  #wake(): void {
    if (this.#waitToken !== 0) {
      this.scheduler.unscheduleDelayedTask(this.#waitToken);
      this.#waitToken = 0;
    }
    const frame = this.#waiting;
    if (frame === undefined) return;
    this.#waiting = undefined;
    try {
      this.#send(frame);
    } catch (err) {
      this.frameConsumed(err);
      return;
    }
    this.frameConsumed();
  }

  protected consumeFrame(frame: Frame): void | Promise<void> {
    const now = this.scheduler.now();
    if (this.#startUs === undefined) {
      this.#startUs = now;
      this.#ptStart = frame.presentationTime;
      this.#clockUs = now;
      this.#clockPt = frame.presentationTime;
    }
    const wait = this.#startUs + (frame.presentationTime - this.#ptStart) - now;
    // Due now: send at once. Else wait on the scheduler (one task per frame, no promise).
    if (wait <= 0) {
      this.#send(frame);
      return;
    }
    this.#waiting = frame;
    this.#waitToken = this.scheduler.scheduleDelayedTask(wait, this.#onDue);
    this.deferFrame();
  }

  /** A frame read as playing stopped goes out first when playing resumes (unless the stream is repositioned). */
  protected override keepFrameReadAfterStop(frame: Frame): void {
    // After a seek the frame is from the old position: dropped, as notePlayPosition drops a held one.
    if (!this.closed && this.#stopped && !this.#repositioned) this.#held = frame;
  }

  #send(frame: Frame): void {
    if (this.closed) return;
    if (this.#stopped) {
      this.#held = frame;
      return;
    }
    const retainedBefore = this.retainedSends;
    this.#kept = false;
    this.packetizeFrame(frame);
    this.#nextPt = frame.presentationTime + frame.duration;
    // Every packet went out (or was copied): the frame's memory may be recycled.
    if (!this.#kept && frame.owner !== undefined && this.retainedSends === retainedBefore) frame.owner.releaseFrame(frame);
  }

  protected override doClose(): void {
    this.#wake();
    this.#held = undefined;
  }
}
