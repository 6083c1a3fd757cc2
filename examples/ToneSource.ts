import { FramedSource, type Frame } from '@dorsvr/livemedia';

/** Options of {@link ToneSource}. */
export interface ToneSourceOptions {
  /** Tone frequency in Hz (default 440). */
  frequency?: number;
  /** Samples per second (default 8000). */
  sampleRate?: number;
  /** Channels (default 1). */
  channels?: number;
  /** Milliseconds of audio per frame (default 20). */
  frameMs?: number;
  /** Stop after this many seconds (default: never — a live source). */
  seconds?: number;
}

/**
 * A live source written by subclassing FramedSource: a sine tone as 16-bit big-endian PCM
 * (RTP's L16). Each `readFrame()` returns the next `frameMs` of audio; the RTP sink paces the
 * frames at their presentation times, so nothing here needs a timer.
 */
export class ToneSource extends FramedSource {
  readonly frequency: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly #samplesPerFrame: number;
  readonly #frameUs: number;
  readonly #maxFrames: number;
  #n = 0;
  #phase = 0;

  constructor(options: ToneSourceOptions = {}) {
    super();
    this.frequency = options.frequency ?? 440;
    this.sampleRate = options.sampleRate ?? 8000;
    this.channels = options.channels ?? 1;
    const frameMs = options.frameMs ?? 20;
    this.#samplesPerFrame = Math.round((this.sampleRate * frameMs) / 1000);
    this.#frameUs = (this.#samplesPerFrame * 1e6) / this.sampleRate;
    this.#maxFrames = options.seconds === undefined ? Infinity : Math.ceil((options.seconds * 1000) / frameMs);
  }

  protected async readFrame(): Promise<Frame | null> {
    if (this.#n >= this.#maxFrames) return null;
    const data = new Uint8Array(this.#samplesPerFrame * this.channels * 2);
    const view = new DataView(data.buffer);
    const step = (2 * Math.PI * this.frequency) / this.sampleRate;
    let off = 0;
    for (let i = 0; i < this.#samplesPerFrame; i++) {
      const v = Math.round(Math.sin(this.#phase) * 0x3fff);
      this.#phase += step;
      for (let c = 0; c < this.channels; c++, off += 2) view.setInt16(off, v, false);
    }
    this.#phase %= 2 * Math.PI;
    const frame: Frame = { data, presentationTime: this.#n * this.#frameUs, duration: this.#frameUs };
    this.#n++;
    return frame;
  }
}
