import { FramedSource, MediaSink, type Frame, type RTPSinkLike } from '@dorsvr/livemedia';
import type { TaskScheduler } from '@dorsvr/scheduler';

/**
 * A clip of `count` numbered frames (frame i carries the 4-byte big-endian number i), `frameUs`
 * apart, seekable: a stand-in for a framer when what is tested is the server side around it.
 */
export class NumberedClip extends FramedSource {
  #next = 0;
  readonly count: number;
  readonly frameUs: number;
  readonly frameBytes: number;

  constructor(count: number, frameUs = 40_000, frameBytes = 4) {
    super();
    this.count = count;
    this.frameUs = frameUs;
    this.frameBytes = Math.max(4, frameBytes);
  }

  protected async readFrame(): Promise<Frame | null> {
    if (this.#next >= this.count) return null;
    const i = this.#next++;
    const data = new Uint8Array(this.frameBytes);
    new DataView(data.buffer).setUint32(0, i);
    return { data, presentationTime: i * this.frameUs, duration: this.frameUs, key: i % 10 === 0 };
  }

  override seekToNPT(npt: number): number | null {
    // Key frames every 10 frames.
    const target = Math.min(this.count, Math.floor((npt * 1e6) / this.frameUs / 10) * 10);
    this.#next = target;
    return (target * this.frameUs) / 1e6;
  }

  override durationSeconds(): number {
    return (this.count * this.frameUs) / 1e6;
  }
}

/** What the test sink sends through: the fanout's `send`. */
export interface Sender {
  send(chunks: readonly Uint8Array[]): unknown;
}

/**
 * A minimal RTP sink for testing the server side: one RTP packet per frame (12-byte header, the
 * frame as payload), sent at the frame's presentation time on the scheduler (relative to when
 * playing started), sequence numbers continuing across stops and restarts.
 */
export class PacedTestRTPSink extends MediaSink implements RTPSinkLike {
  readonly ssrc = 0x0badcafe;
  readonly payloadType: number;
  readonly rtpTimestampFrequency = 90_000;
  packetCount = 0;
  octetCount = 0;
  currentSeqNo = 1000;
  readonly #scheduler: TaskScheduler;
  readonly #out: Sender;
  #baseUs: number | undefined;
  #basePt = 0;

  constructor(scheduler: TaskScheduler, out: Sender, payloadType: number) {
    super();
    this.#scheduler = scheduler;
    this.#out = out;
    this.payloadType = payloadType;
  }

  rtpTimestampAt(nowUs: number): number {
    const pt = this.#baseUs === undefined ? this.#basePt : this.#basePt + (nowUs - this.#baseUs);
    return Math.round((pt * 9) / 100) >>> 0;
  }
  sdpMediaType(): string {
    return 'video';
  }
  rtpmapLine(): string {
    return `a=rtpmap:${this.payloadType} X-TEST/90000`;
  }
  auxSDPLine(): string {
    return '';
  }

  #held: Frame | undefined;
  #stopped = false;

  override async startPlaying(source: FramedSource): Promise<void> {
    this.#baseUs = undefined;
    this.#stopped = false;
    // A frame read but not yet sent when we were stopped goes out first.
    const held = this.#held;
    this.#held = undefined;
    if (held) await this.consumeFrame(held);
    if (this.#stopped) return;
    return super.startPlaying(source);
  }

  override stopPlaying(): void {
    this.#stopped = true;
    super.stopPlaying();
  }

  protected async consumeFrame(frame: Frame): Promise<void> {
    if (this.#baseUs === undefined) {
      this.#baseUs = this.#scheduler.now();
      this.#basePt = frame.presentationTime;
    }
    const due = this.#baseUs + (frame.presentationTime - this.#basePt);
    const wait = due - this.#scheduler.now();
    if (wait > 0) await new Promise<void>((resolve) => this.#scheduler.scheduleDelayedTask(wait, resolve));
    if (this.closed) return;
    if (this.#stopped) {
      this.#held = frame;
      return;
    }
    const header = new Uint8Array(12);
    const v = new DataView(header.buffer);
    header[0] = 0x80;
    header[1] = 0x80 | this.payloadType;
    v.setUint16(2, this.currentSeqNo & 0xffff);
    v.setUint32(4, Math.round((frame.presentationTime * 9) / 100) >>> 0);
    v.setUint32(8, this.ssrc);
    this.currentSeqNo = (this.currentSeqNo + 1) & 0xffff;
    this.packetCount++;
    this.octetCount += frame.data.length;
    this.#out.send([header, frame.data]);
  }
}
