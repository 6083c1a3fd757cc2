import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import type { TaskScheduler } from '@dorsvr/scheduler';
import {
  RTCPInstance,
  resolveControlURL,
  type AnyFramedSource,
  type RTCPReceptionReport,
  type RTCPTransport,
  type RTPPacketSender,
  type RTPSinkLike,
  type SDPMediaDescription,
} from '@dorsvr/livemedia';
import { RTSPClientError } from './RTSPClientError.js';
import type { SubsessionTransport } from './SubsessionTransport.js';

const debug = createDebug('dorsvr:rtspclient:publish');

/** Events of a {@link PublishTrack}. */
export interface PublishTrackEvents {
  /** A receiver report about our stream arrived from the server (RTCP RR, or the blocks of an SR). */
  rr: [report: RTCPReceptionReport];
  /** The source given to {@link PublishTrack.send} ended and its last frame was sent. */
  end: [];
}

/** What a {@link PublishTrack} sent, and what the server's receiver reports said of it. */
export interface PublishTrackStats {
  /** RTP packets sent (all transports, all `send` calls). */
  packetsSent: number;
  /** RTP payload bytes sent. */
  bytesSent: number;
  /** Receiver reports received about our stream. */
  receiverReports: number;
  /** Fraction lost (0–1) in the last receiver report, if any. */
  fractionLost: number | undefined;
  /** Cumulative packets lost in the last receiver report, if any. */
  cumulativeLost: number | undefined;
  /** Interarrival jitter in seconds in the last receiver report, if any. */
  jitterSeconds: number | undefined;
  /** Round trip from the last receiver report (LSR/DLSR against our SRs), if known. */
  rttSeconds: number | undefined;
}

/**
 * One `m=` section of an announced session ({@link PublishSession}): a stream we send to the
 * server after {@link RTSPClient.setupRecord} and {@link RTSPClient.record}.
 *
 * Make the track's RTP sink (any livemedia `RTPSink` for its codec) with {@link rtpInterface} as
 * its `rtpInterface`, then {@link send} a `FramedSource` through it: frames go out paced by their
 * presentation times, RTCP sender reports go out on the track's RTCP channel (receiver reports
 * from the server arrive as `'rr'`), and an RTCP BYE when the client closes.
 */
export class PublishTrack extends EventEmitter<PublishTrackEvents> {
  /** The SDP media section this track announces. */
  readonly media: SDPMediaDescription;
  /** `video`, `audio`, … */
  readonly mediumName: string;
  /** The rtpmap encoding name, upper case (`H264`, `MPEG4-GENERIC`, `MP2T`, …); '' when unknown. */
  readonly codecName: string;
  /** The RTP payload type announced (the first of the `m=` line). */
  readonly payloadType: number;
  /** The absolute URL SETUP uses (`a=control` resolved against the announced URL). */
  readonly controlURL: string;
  /**
   * What the track's RTP sink sends through: RTP over the transport SETUP negotiated (a UDP
   * socket to the server's `server_port`, or `$`-interleaved on the RTSP connection). Packets
   * sent before SETUP or after the transport is gone are dropped (and not counted).
   */
  readonly rtpInterface: RTPPacketSender;

  readonly #scheduler: TaskScheduler;
  #transport: SubsessionTransport | undefined;
  #sendRTP: ((chunks: readonly Uint8Array[]) => boolean) | undefined;
  #rtcpInterface: RTCPTransport | undefined;
  #cname = 'dorsvr';
  #rtcp: RTCPInstance | undefined;
  #sink: RTPSinkLike | undefined;
  #recording = false;
  #closed = false;
  #packetsBefore = 0;
  #bytesBefore = 0;
  readonly #stats: PublishTrackStats = {
    packetsSent: 0,
    bytesSent: 0,
    receiverReports: 0,
    fractionLost: undefined,
    cumulativeLost: undefined,
    jitterSeconds: undefined,
    rttSeconds: undefined,
  };

  /** A track of a session announced at `baseURL`. */
  constructor(media: SDPMediaDescription, baseURL: string, scheduler: TaskScheduler) {
    super();
    this.media = media;
    this.#scheduler = scheduler;
    this.mediumName = media.type;
    this.payloadType = media.payloadTypes[0] ?? 0;
    this.codecName = (media.rtpmaps.find((r) => r.payloadType === this.payloadType)?.encodingName ?? '').toUpperCase();
    this.controlURL = resolveControlURL(baseURL, media.control ?? '');
    // One object for the sink's whole life; what it sends through changes with SETUP.
    this.rtpInterface = { send: (chunks: readonly Uint8Array[]) => this.#sendRTP?.(chunks) ?? false };
  }

  /** The transport SETUP negotiated, or undefined before SETUP (and after close). */
  get transport(): SubsessionTransport | undefined {
    return this.#transport;
  }

  /** The RTCP instance (sender reports out, receiver reports in) while sending. */
  get rtcp(): RTCPInstance | undefined {
    return this.#rtcp;
  }

  /** The sink given to the last {@link send}. */
  get sink(): RTPSinkLike | undefined {
    return this.#sink;
  }

  /** Statistics now. */
  get stats(): PublishTrackStats {
    const s = this.#sink;
    this.#stats.packetsSent = this.#packetsBefore + (s?.packetCount ?? 0);
    this.#stats.bytesSent = this.#bytesBefore + (s?.octetCount ?? 0);
    return { ...this.#stats };
  }

  /**
   * Play `source` into `sink` (whose `rtpInterface` is {@link rtpInterface}) after RECORD:
   * resolves when the source ended and its last frame was sent (`'end'`), or when {@link stop}
   * or the client's close stopped it; rejects when reading or sending fails, or with
   * `ERR_RTSP_STATE` before RECORD, after close, or while another `send` runs. RTCP sender
   * reports go out for `sink` from now on. The caller owns the source and the sink.
   */
  async send(source: AnyFramedSource, sink: RTPSinkLike): Promise<void> {
    if (this.#closed) throw new RTSPClientError('ERR_RTSP_STATE', 'RECORD', 'this track is closed');
    if (!this.#recording || this.#rtcpInterface === undefined) {
      throw new RTSPClientError('ERR_RTSP_STATE', 'RECORD', `send on ${this.controlURL} before SETUP and RECORD`);
    }
    if (this.#sink?.source != null) throw new RTSPClientError('ERR_RTSP_STATE', 'RECORD', `${this.controlURL} is already sending`);
    if (this.#sink !== sink) {
      this.#packetsBefore += this.#sink?.packetCount ?? 0;
      this.#bytesBefore += this.#sink?.octetCount ?? 0;
      this.#rtcp?.close();
      this.#rtcp = undefined;
      this.#sink = sink;
    }
    this.#startRTCP();
    const sink0 = sink;
    let ended = false;
    const onEnd = (): void => {
      ended = true;
    };
    sink0.once('end', onEnd);
    try {
      await sink0.startPlaying(source);
    } finally {
      sink0.off('end', onEnd);
    }
    if (ended) {
      debug('%s: source ended', this.controlURL);
      this.emit('end');
    }
  }

  /** Stop sending (the pending {@link send} resolves); RTCP goes on until the client closes. */
  stop(): void {
    this.#sink?.stopPlaying();
  }

  #startRTCP(): void {
    if (this.#rtcp !== undefined || this.#sink === undefined || this.#rtcpInterface === undefined) return;
    const rtcp = new RTCPInstance({ scheduler: this.#scheduler, rtcpInterface: this.#rtcpInterface, sink: this.#sink, cname: this.#cname });
    rtcp.on('rr', (r) => {
      if (r.sourceSSRC !== rtcp.ssrc) return;
      this.#stats.receiverReports++;
      this.#stats.fractionLost = r.fractionLost;
      this.#stats.cumulativeLost = r.cumulativeLost;
      this.#stats.jitterSeconds = r.jitterSeconds;
      this.#stats.rttSeconds = r.rttSeconds;
      this.emit('rr', r);
    });
    this.#rtcp = rtcp;
  }

  /**
   * SETUP succeeded: RTP goes through `sendRTP`, RTCP through `rtcpInterface`.
   * @internal
   */
  attachTransport(transport: SubsessionTransport, sendRTP: (chunks: readonly Uint8Array[]) => boolean, rtcpInterface: RTCPTransport, cname: string): void {
    this.detachTransport();
    this.#transport = transport;
    this.#sendRTP = sendRTP;
    this.#rtcpInterface = rtcpInterface;
    this.#cname = cname;
  }

  /**
   * RECORD was answered: {@link send} may start (a sink already sending gets its RTCP now).
   * @internal
   */
  noteRecording(): void {
    this.#recording = true;
    if (this.#sink?.source != null) this.#startRTCP();
  }

  /**
   * The transport is going (close, TEARDOWN, a lost connection): sending stops, RTCP says BYE
   * (while it still can) and stops.
   * @internal
   */
  detachTransport(): void {
    const sink = this.#sink;
    if (sink !== undefined) {
      sink.stopPlaying();
      this.#packetsBefore += sink.packetCount;
      this.#bytesBefore += sink.octetCount;
      this.#sink = undefined;
    }
    this.#rtcp?.close();
    this.#rtcp = undefined;
    this.#sendRTP = undefined;
    this.#rtcpInterface = undefined;
    this.#transport = undefined;
    this.#recording = false;
  }

  /** @internal */
  close(): void {
    if (this.#closed) return;
    this.detachTransport();
    this.#closed = true;
  }
}
