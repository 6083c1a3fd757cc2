import { DorsvrError } from '@dorsvr/scheduler';
import type { Frame } from '../core/Frame.js';
import { FramedSource } from '../core/FramedSource.js';
import { AsyncIterableSource } from '../core/AsyncIterableSource.js';
import { H264VideoStreamFramer } from '../h26x/H264VideoStreamFramer.js';
import { H265VideoStreamFramer } from '../h26x/H265VideoStreamFramer.js';
import type { H26xVideoStreamFramerOptions } from '../h26x/H26xVideoStreamFramer.js';
import { ADTSAudioStreamFramer } from '../audio/ADTSAudioStreamFramer.js';
import { MPEG2TransportStreamFramer } from '../mpeg2ts/MPEG2TransportStreamFramer.js';
import { H264VideoRTPSink } from '../rtp/H264VideoRTPSink.js';
import { H265VideoRTPSink } from '../rtp/H265VideoRTPSink.js';
import { MPEG4GenericRTPSink } from '../rtp/MPEG4GenericRTPSink.js';
import { MPEG1or2AudioRTPSink } from '../rtp/MPEG1or2AudioRTPSink.js';
import { SimpleRTPSink } from '../rtp/SimpleRTPSink.js';
import { createMPEG2TransportRTPSink } from '../rtp/createMPEG2TransportRTPSink.js';
import { OnDemandServerMediaSubsession, type OnDemandServerMediaSubsessionOptions } from './OnDemandServerMediaSubsession.js';
import { SharedLiveSource } from './SharedLiveSource.js';
import type { RTPInterfaceLike, RTPSinkLike } from './StreamTransport.js';

/**
 * What a {@link LiveServerMediaSubsession}'s source delivers, by codec:
 *
 * - `h264`, `h265`: an Annex-B byte stream (start codes), cut anywhere (a pipe from an encoder, an
 *   access unit per frame, …); framed and timed from the SPS by H264/H265VideoStreamFramer;
 * - `aac`: AAC in ADTS framing, cut anywhere (ADTSAudioStreamFramer);
 * - `ts`: an MPEG-2 transport stream, cut anywhere (MPEG2TransportStreamFramer);
 * - `mp3`: one MPEG audio frame (header included) per frame, with its presentation time;
 * - `l16` (16-bit big-endian PCM), `pcmu`, `pcma` (G.711): samples, any number per frame, with
 *   presentation times; the rate and channels come from the options.
 */
export type LiveCodec = 'h264' | 'h265' | 'aac' | 'ts' | 'mp3' | 'l16' | 'pcmu' | 'pcma';

/** Options of a {@link LiveServerMediaSubsession}. */
export interface LiveServerMediaSubsessionOptions extends Omit<OnDemandServerMediaSubsessionOptions, 'reuseFirstSource'> {
  /**
   * The live stream: a {@link FramedSource}, or any async iterable of byte chunks (a Node
   * `Readable` such as an encoder's stdout). The subsession owns it: {@link LiveServerMediaSubsession.close}
   * closes it.
   */
  source: FramedSource | AsyncIterable<Uint8Array>;
  /** What the source carries (see {@link LiveCodec}). */
  codec: LiveCodec;
  /**
   * Milliseconds DESCRIBE waits for what the SDP needs from the stream (H.264 SPS and PPS, H.265
   * VPS/SPS/PPS, the first ADTS header) before it fails with `ERR_LIVE_PARAMETER_SETS` (status 503;
   * the next DESCRIBE waits again). Default 10000.
   */
  parameterSetTimeoutMs?: number;
  /** Samples per second of `l16`/`pcmu`/`pcma` (default 8000). */
  sampleRate?: number;
  /** Channels of `l16`/`pcmu`/`pcma` (default 1). */
  channels?: number;
  /** Average bitrate for the SDP's `b=AS:` in kbit/s (default by codec). */
  bitrateKbps?: number;
  /** Options of the H.264/H.265 framer (frame rate when the SPS has none, limits). */
  framerOptions?: H26xVideoStreamFramerOptions;
}

const CODECS: readonly LiveCodec[] = ['h264', 'h265', 'aac', 'ts', 'mp3', 'l16', 'pcmu', 'pcma'];

const DEFAULT_BITRATE: Readonly<Record<LiveCodec, number>> = {
  h264: 1000,
  h265: 800,
  aac: 96,
  ts: 2000,
  mp3: 128,
  l16: 128,
  pcmu: 64,
  pcma: 64,
};

/** Byte chunks as frames (no timing: byte streams are timed by the framer that reads them). */
async function* byteFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  for await (const data of chunks) yield { data, presentationTime: 0, duration: 0 };
}

/**
 * A live source served to every client from one shared stream: one source, one framer, one RTP
 * sink, each packet sent to every client watching (live555's `reuseFirstSource`). One class for
 * every codec, no subclass, no cast:
 *
 * Before the first DESCRIBE is answered it reads the stream until it knows what the SDP needs —
 * `sprop-parameter-sets`, `packetization-mode` and `profile-level-id` for H.264 (as live555's
 * H264VideoFileServerMediaSubsession waits for its aux SDP line), `sprop-vps/sps/pps` for H.265,
 * the `config` of AAC — keeping what it read for the first viewer; a stream that does not
 * deliver them within `parameterSetTimeoutMs` gets a 503 and `ERR_LIVE_PARAMETER_SETS`. The SDP
 * says `a=range:npt=now-`; clients cannot seek or pause the stream for others. The source is read
 * only while someone plays, and stays open (for the next viewer) until {@link close}.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { LiveServerMediaSubsession, ServerMediaSession } from '@dorsvr/livemedia';
 * import { RTSPServer } from '@dorsvr/rtspserver';
 *
 * const camera = spawn('ffmpeg', ['-f', 'v4l2', '-i', '/dev/video0', '-c:v', 'libx264', '-bf', '0', '-f', 'h264', '-']);
 * const server = new RTSPServer({ port: 8554 });
 * server.addServerMediaSession(
 *   new ServerMediaSession('camera').addSubsession(new LiveServerMediaSubsession({ source: camera.stdout, codec: 'h264' })),
 * );
 * await server.listen();
 * ```
 */
export class LiveServerMediaSubsession extends OnDemandServerMediaSubsession {
  /** What the source carries. */
  readonly codec: LiveCodec;
  readonly #shared: SharedLiveSource;
  /** The framer over the source (h264, h265, aac, ts), the source itself otherwise. */
  readonly #framed: FramedSource;
  readonly #timeoutMs: number;
  readonly #sampleRate: number;
  readonly #channels: number;
  readonly #bitrate: number;
  #ready: Promise<void> | undefined;

  constructor(options: LiveServerMediaSubsessionOptions) {
    super({ ...options, reuseFirstSource: true });
    if (!CODECS.includes(options.codec)) {
      throw new DorsvrError('ERR_LIVE_OPTIONS', `unknown live codec ${JSON.stringify(options.codec)} (one of ${CODECS.join(', ')})`);
    }
    this.codec = options.codec;
    this.#timeoutMs = options.parameterSetTimeoutMs ?? 10_000;
    this.#sampleRate = options.sampleRate ?? 8000;
    this.#channels = options.channels ?? 1;
    for (const [name, v, max] of [
      ['parameterSetTimeoutMs', this.#timeoutMs, 3_600_000],
      ['sampleRate', this.#sampleRate, 384_000],
      ['channels', this.#channels, 8],
    ] as const) {
      if (!(Number.isInteger(v) && v > 0 && v <= max)) {
        throw new DorsvrError('ERR_LIVE_OPTIONS', `${name} must be an integer in 1..${max}, got ${v}`);
      }
    }
    this.#bitrate = options.bitrateKbps ?? DEFAULT_BITRATE[this.codec];
    const input = options.source instanceof FramedSource ? options.source : new AsyncIterableSource(byteFrames(options.source));
    switch (this.codec) {
      case 'h264':
        this.#framed = new H264VideoStreamFramer(input, options.framerOptions);
        break;
      case 'h265':
        this.#framed = new H265VideoStreamFramer(input, options.framerOptions);
        break;
      case 'aac':
        this.#framed = new ADTSAudioStreamFramer(input);
        break;
      case 'ts':
        this.#framed = new MPEG2TransportStreamFramer(input);
        break;
      default:
        this.#framed = input;
    }
    this.#shared = new SharedLiveSource(this.#framed);
  }

  /**
   * Resolves once the stream delivered what the SDP needs (parameter sets, audio config; at once
   * for codecs that need nothing). Rejects with `ERR_LIVE_PARAMETER_SETS` after
   * `parameterSetTimeoutMs`, or when the stream ended without them; a later call tries again.
   * DESCRIBE calls it; call it yourself to learn the stream before the server listens.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#waitForParameterSets().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  /** The part of the stream the SDP needs, with the reason it is missing when it is. */
  #missing(): string | undefined {
    const f = this.#framed;
    if (f instanceof H264VideoStreamFramer) return f.sps && f.pps ? undefined : 'no H.264 SPS and PPS';
    if (f instanceof H265VideoStreamFramer) return f.vps && f.sps && f.pps ? undefined : 'no H.265 VPS, SPS and PPS';
    if (f instanceof ADTSAudioStreamFramer) return f.configHex ? undefined : 'no ADTS header';
    return undefined;
  }

  #prepare(): Promise<void> {
    const f = this.#framed;
    if (f instanceof H264VideoStreamFramer || f instanceof H265VideoStreamFramer || f instanceof ADTSAudioStreamFramer) return f.prepare();
    return Promise.resolve();
  }

  async #waitForParameterSets(): Promise<void> {
    if (this.#missing() === undefined) return;
    let token = 0;
    const timedOut = new Promise<'timeout'>((resolve) => {
      token = this.scheduler.scheduleDelayedTask(this.#timeoutMs * 1000, () => resolve('timeout'));
    });
    try {
      const r = await Promise.race([this.#prepare().then(() => 'done' as const), timedOut]);
      const missing = this.#missing();
      if (missing !== undefined) {
        const why = r === 'timeout' ? `within ${this.#timeoutMs} ms` : 'before the stream ended';
        throw new DorsvrError('ERR_LIVE_PARAMETER_SETS', `live ${this.codec} stream: ${missing} ${why}, so no SDP can be made`, { status: 503 });
      }
    } finally {
      this.scheduler.unscheduleDelayedTask(token);
    }
  }

  protected override async createNewStreamSource(): Promise<FramedSource> {
    await this.ready();
    return this.#shared.tap();
  }

  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number): RTPSinkLike {
    const f = this.#framed;
    const scheduler = this.scheduler;
    const maxPacketSize = this.maxPacketSize;
    if (f instanceof H264VideoStreamFramer) {
      return new H264VideoRTPSink({ scheduler, maxPacketSize, rtpInterface, payloadType, sps: f.sps, pps: f.pps, aggregateParameterSets: true });
    }
    if (f instanceof H265VideoStreamFramer) {
      return new H265VideoRTPSink({ scheduler, maxPacketSize, rtpInterface, payloadType, vps: f.vps, sps: f.sps, pps: f.pps, aggregateParameterSets: true });
    }
    if (f instanceof ADTSAudioStreamFramer) {
      return new MPEG4GenericRTPSink({
        scheduler,
        maxPacketSize,
        rtpInterface,
        payloadType,
        samplingFrequency: f.sampleRate ?? 44_100,
        numChannels: f.numChannels ?? 2,
        configHex: f.configHex ?? '',
      });
    }
    switch (this.codec) {
      case 'ts':
        return createMPEG2TransportRTPSink({ scheduler, maxPacketSize, rtpInterface });
      case 'mp3':
        return new MPEG1or2AudioRTPSink({ scheduler, maxPacketSize, rtpInterface });
      default: {
        const format = this.codec === 'l16' ? 'L16' : this.codec === 'pcmu' ? 'PCMU' : 'PCMA';
        return new SimpleRTPSink({
          scheduler,
          maxPacketSize,
          rtpInterface,
          payloadType: staticPayloadType(format, this.#sampleRate, this.#channels) ?? payloadType,
          sdpMediaType: 'audio',
          rtpTimestampFrequency: this.#sampleRate,
          rtpPayloadFormatName: format,
          numChannels: this.#channels,
          unitSize: (format === 'L16' ? 2 : 1) * this.#channels,
        });
      }
    }
  }

  protected override estimatedBitrateKbps(): number {
    return this.#bitrate;
  }

  /** Ends every client's stream and closes the source. Idempotent. */
  override close(): void {
    super.close();
    this.#shared.close();
  }
}

/** RFC 3551's static payload types for the PCM formats. */
function staticPayloadType(format: string, rate: number, channels: number): number | undefined {
  if (format === 'PCMU' && rate === 8000 && channels === 1) return 0;
  if (format === 'PCMA' && rate === 8000 && channels === 1) return 8;
  if (format === 'L16' && rate === 44100 && channels === 2) return 10;
  if (format === 'L16' && rate === 44100 && channels === 1) return 11;
  return undefined;
}
