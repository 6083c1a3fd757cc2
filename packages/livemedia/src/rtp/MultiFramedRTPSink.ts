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
 * repositioned ({@link notePlayPosition}).
 *
 * Subclasses implement {@link packetizeFrame}, calling `sendPacket` for each packet.
 */
export abstract class MultiFramedRTPSink extends RTPSink {
  #startUs: number | undefined;
  #ptStart = 0;
  /** Presentation time of the next frame expected (for RTP-Info before it arrives). */
  #nextPt = 0;
  #held: Frame | undefined;
  /** notePlayPosition ran since the last stop. */
  #repositioned = false;
  #stopped = false;
  #waitToken: TaskToken = 0;
  /** Settles the wait of the frame waiting for its time, handing that frame on. */
  #waitResolve: ((frame: Frame) => void) | undefined;
  #waiting: Frame | undefined;
  // The wait's callbacks, made once rather than as closures per frame.
  readonly #onDue = (): void => this.#wake();
  readonly #sendFrame = (frame: Frame): void => this.#send(frame);

  /** Split one frame into packets (each ≤ `maxPayloadSize`), sending them with `sendPacket`. */
  protected abstract packetizeFrame(frame: Frame): void;

  override rtpTimestampAt(nowUs: number): number {
    if (this.#startUs !== undefined && !this.#stopped) return this.convertToRTPTimestamp(this.#ptStart + (nowUs - this.#startUs));
    return this.convertToRTPTimestamp(this.#nextPt);
  }

  /** The stream was repositioned (seek): the next frame has this presentation time (µs). */
  notePlayPosition(presentationTimeUs: number): void {
    this.#nextPt = presentationTimeUs;
    this.#held = undefined;
    this.#repositioned = true;
  }

  override async startPlaying(source: AnyFramedSource): Promise<void> {
    this.#startUs = undefined;
    this.#stopped = false;
    const held = this.#held;
    this.#held = undefined;
    if (held) await this.consumeFrame(held);
    if (this.#stopped || this.closed) return;
    return super.startPlaying(source);
  }

  override stopPlaying(): void {
    this.#stopped = true;
    this.#repositioned = false;
    this.#startUs = undefined;
    this.#wake();
    super.stopPlaying();
  }

  #wake(): void {
    this.scheduler.unscheduleDelayedTask(this.#waitToken);
    this.#waitToken = 0;
    const r = this.#waitResolve;
    const frame = this.#waiting;
    this.#waitResolve = undefined;
    this.#waiting = undefined;
    if (r && frame) r(frame);
  }

  protected consumeFrame(frame: Frame): void | Promise<void> {
    const now = this.scheduler.now();
    if (this.#startUs === undefined) {
      this.#startUs = now;
      this.#ptStart = frame.presentationTime;
    }
    const wait = this.#startUs + (frame.presentationTime - this.#ptStart) - now;
    // Due now: send at once, no promise. Else wait on the scheduler (one task per frame).
    if (wait <= 0) return this.#send(frame);
    return new Promise<Frame>((resolve) => {
      this.#waiting = frame;
      this.#waitResolve = resolve;
      this.#waitToken = this.scheduler.scheduleDelayedTask(wait, this.#onDue);
    }).then(this.#sendFrame);
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
    this.packetizeFrame(frame);
    this.#nextPt = frame.presentationTime + frame.duration;
  }

  protected override doClose(): void {
    this.#wake();
    this.#held = undefined;
  }
}
