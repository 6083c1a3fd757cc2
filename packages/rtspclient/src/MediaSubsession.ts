import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { DorsvrError, isDorsvrError, type TaskScheduler } from '@dorsvr/scheduler';
import {
  createRTPSource,
  resolveControlURL,
  RTCPInstance,
  type FileSinkDescription,
  type FramedSource,
  type RTCPByeInfo,
  type RTCPTransport,
  type RTPFrame,
  type RTPInfoEntry,
  type RTPSource,
  type SDPDirection,
  type SDPMediaDescription,
} from '@dorsvr/livemedia';
import type { MediaSubsessionStats } from './MediaSubsessionStats.js';
import type { SubsessionTransport } from './SubsessionTransport.js';

const debug = createDebug('dorsvr:rtspclient:subsession');

/**
 * Where a stream's raw packets go instead of its depacketizer (a relay: the proxy). Set it with
 * {@link MediaSubsession.packetSink} before SETUP.
 */
export interface MediaSubsessionPacketSink {
  /** One RTP packet as it arrived (a UDP datagram, an interleaved frame's payload); the client does not reuse its bytes. */
  rtp(packet: Uint8Array): void;
  /** One RTCP compound packet as it arrived from the server. */
  rtcp(packet: Uint8Array): void;
}

/** Events of a {@link MediaSubsession}. */
export interface MediaSubsessionEvents {
  /** A frame, for listeners (the subsession reads its own source while someone listens). */
  frame: [frame: RTPFrame];
  /** The stream ended (RTCP BYE, TEARDOWN or close) and every frame was delivered. */
  end: [];
  /** The server said RTCP BYE for this stream. */
  bye: [info: RTCPByeInfo];
  /** The self-reading failed (e.g. a sink already reads {@link MediaSubsession.source}). */
  error: [err: DorsvrError];
}

interface FrameQueue {
  items: RTPFrame[];
  head: number;
  wake: (() => void) | null;
  done: boolean;
  error: DorsvrError | undefined;
}

/** Frames an iterator may fall behind by before its oldest are dropped. */
const MAX_ITERATOR_QUEUE = 1000;

/**
 * live555's MediaSubsession: one `m=` section of a session description, with its RTP source
 * (the depacketizer for its codec), its control URL and, once set up, its transport.
 *
 * Frames reach the application one of three ways, one at a time:
 * - a sink: `sink.startPlaying(sub.source)` (the sink is the only reader of the source);
 * - events: `sub.on('frame', f => …)`;
 * - an iterator: `for await (const f of sub.frames()) …`.
 * Events and iterators share one reader the subsession runs itself while someone listens or
 * iterates; do not combine them with a sink on the same subsession.
 */
export class MediaSubsession extends EventEmitter<MediaSubsessionEvents> {
  /** The SDP media section this was built from. */
  readonly media: SDPMediaDescription;
  /** `video`, `audio`, `application`, … */
  readonly mediumName: string;
  /** The rtpmap encoding name, upper case (`H264`, `MPEG4-GENERIC`, `L16`, …); '' when unknown. */
  readonly codecName: string;
  /** The RTP payload type used (the first of the `m=` line). */
  readonly payloadType: number;
  /** RTP clock rate from the rtpmap (90000 for video when missing). */
  readonly clockRate: number;
  /** Audio channels from the rtpmap (default 1). */
  readonly channels: number;
  /** fmtp parameters of the payload type, names lower case. */
  readonly fmtp: Readonly<Record<string, string>>;
  /** Absolute URL for SETUP of this stream (its `a=control` resolved against the base URL). */
  readonly controlURL: string;
  /** Stream direction from the SDP. */
  readonly direction: SDPDirection;

  readonly #source: RTPSource | undefined;
  readonly #unsupported: DorsvrError | undefined;
  readonly #scheduler: TaskScheduler;
  #transport: SubsessionTransport | undefined;
  #sessionId: string | undefined;
  #rtpInfo: RTPInfoEntry | undefined;
  #rtcp: RTCPInstance | undefined;
  #packetSink: MediaSubsessionPacketSink | undefined;
  #rtcpInterface: RTCPTransport | undefined;
  readonly #onRTCPPacket = (data: Uint8Array): void => this.#packetSink?.rtcp(data);
  #rtcpPacketsBefore = 0;
  #rtcpReportsBefore = 0;
  #packets = 0;
  #bytes = 0;
  #firstArrivalUs = -1;
  #lastArrivalUs = -1;
  #pumping = false;
  #ended = false;
  readonly #iterators = new Set<FrameQueue>();

  /** Builds a subsession of a session whose base URL is `baseURL`. */
  constructor(media: SDPMediaDescription, baseURL: string, scheduler: TaskScheduler) {
    super();
    this.media = media;
    this.#scheduler = scheduler;
    this.mediumName = media.type;
    this.payloadType = media.payloadTypes[0] ?? 0;
    const rtpmap = media.rtpmaps.find((r) => r.payloadType === this.payloadType);
    this.codecName = (rtpmap?.encodingName ?? '').toUpperCase();
    this.clockRate = rtpmap?.clockRate ?? (media.type === 'video' ? 90_000 : 8000);
    this.channels = rtpmap?.channels ?? 1;
    this.fmtp = media.fmtps.find((f) => f.payloadType === this.payloadType)?.parameters ?? {};
    this.controlURL = resolveControlURL(baseURL, media.control ?? '');
    this.direction = media.direction;
    try {
      this.#source = createRTPSource({ ...this.description, scheduler });
      this.#source.on('end', () => this.#onSourceEnd());
    } catch (err) {
      this.#unsupported = isDorsvrError(err) ? err : new DorsvrError('ERR_RTP_UNSUPPORTED_CODEC', String(err));
    }
  }

  /**
   * What the SDP says of this track's format, in the shape livemedia's `createFileSink` and
   * `fileExtensionFor` take: `createFileSink('out' + fileExtensionFor(sub.description), sub.description)`.
   */
  get description(): FileSinkDescription {
    return { encodingName: this.codecName, clockRate: this.clockRate, channels: this.channels, fmtp: this.fmtp, payloadType: this.payloadType };
  }

  /**
   * Raw packets instead of frames: when set (before SETUP), every RTP and RTCP packet of this
   * stream goes to the sink as it arrives, nothing is depacketized, no receiver reports are sent
   * (send your own with {@link sendRTCP}), the server's RTCP BYE is the sink's to notice (no
   * `'bye'` event), and any codec may be set up ({@link supported} or not).
   */
  get packetSink(): MediaSubsessionPacketSink | undefined {
    return this.#packetSink;
  }

  set packetSink(sink: MediaSubsessionPacketSink | undefined) {
    this.#packetSink = sink;
  }

  /**
   * Sends one RTCP compound packet to the server over this stream's RTCP channel (UDP port or
   * interleaved channel), e.g. a relay's receiver reports. False when not set up or not sent.
   */
  sendRTCP(packet: Uint8Array): boolean {
    const t = this.#rtcpInterface;
    if (t === undefined) return false;
    return t.send([packet]) !== false;
  }

  /** False when there is no depacketizer for this codec: {@link source} throws, SETUP skips it (unless a {@link packetSink} takes the packets). */
  get supported(): boolean {
    return this.#source !== undefined;
  }

  /**
   * The RTP source (depacketizer, a livemedia `FramedSource`) frames come from: give it to a
   * `MediaSink`. Throws `ERR_RTP_UNSUPPORTED_CODEC` when {@link supported} is false.
   */
  get source(): RTPSource & FramedSource {
    // The intersection keeps it assignable where a plain FramedSource is expected (a sink's
    // startPlaying), which RTPSource's wider event map alone is not.
    if (this.#source === undefined) throw this.#unsupported!;
    return this.#source as RTPSource & FramedSource;
  }

  /** The transport SETUP negotiated, or undefined before SETUP (and after TEARDOWN). */
  get transport(): SubsessionTransport | undefined {
    return this.#transport;
  }

  /** The RTSP session id this stream belongs to, after SETUP. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** This stream's RTP-Info entry from the last PLAY (`seq`, `rtptime`), when the server sent one. */
  get rtpInfo(): RTPInfoEntry | undefined {
    return this.#rtpInfo;
  }

  /** The RTCP instance (receiver reports out, sender reports and BYE in), while set up. */
  get rtcp(): RTCPInstance | undefined {
    return this.#rtcp;
  }

  /** True once the stream ended (BYE, TEARDOWN, close). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Reception statistics now. */
  get stats(): MediaSubsessionStats {
    const src = this.#source;
    let lost = 0;
    let expected = 0;
    if (src !== undefined) {
      for (const s of src.allReceptionStats.values()) {
        lost += s.packetsLost;
        // The packets probation held back (RFC 3550 A.1) were received, so they are expected too:
        // then expected = received + lost, as a user adds them up.
        expected += s.packetsExpected + s.packetsBeforeBase;
      }
    }
    const span = this.#lastArrivalUs - this.#firstArrivalUs;
    return {
      packetsReceived: this.#packets,
      packetsLost: Math.max(0, lost),
      packetsExpected: expected,
      jitterMs: (src?.receptionStats?.jitterSeconds ?? 0) * 1000,
      bytesReceived: this.#bytes,
      bitrateKbps: span > 0 ? (this.#bytes * 8000) / span : 0,
      framesReceived: src?.framesDelivered ?? 0,
      damagedFrames: src?.damagedFrames ?? 0,
      duplicatePackets: src?.duplicatePackets ?? 0,
      latePackets: src?.latePackets ?? 0,
      malformedPackets: src?.malformedPackets ?? 0,
      foreignPackets: this.#foreignPackets,
      overflowedFrames: src?.overflowedFrames ?? 0,
      rtcpPacketsReceived: this.#rtcpPacketsBefore + (this.#rtcp?.packetsReceived ?? 0),
      rtcpReportsSent: this.#rtcpReportsBefore + (this.#rtcp?.reportsSent ?? 0),
    };
  }

  /**
   * Frames as an async iterator. Several iterators (and `'frame'` listeners) each get every frame;
   * one that falls more than 1000 frames behind loses the oldest. Ends with the stream.
   */
  async *frames(): AsyncGenerator<RTPFrame, void, undefined> {
    const q: FrameQueue = { items: [], head: 0, wake: null, done: this.#ended, error: undefined };
    this.#iterators.add(q);
    this.#startPump();
    try {
      for (;;) {
        if (q.head < q.items.length) {
          const f = q.items[q.head]!;
          q.items[q.head++] = undefined as unknown as RTPFrame;
          if (q.head > 256) {
            q.items.splice(0, q.head);
            q.head = 0;
          }
          yield f;
        } else if (q.error !== undefined) {
          throw q.error;
        } else if (q.done) {
          return;
        } else {
          await new Promise<void>((resolve) => (q.wake = resolve));
        }
      }
    } finally {
      this.#iterators.delete(q);
    }
  }

  override on<T extends EventEmitter.EventNames<MediaSubsessionEvents>>(
    event: T,
    fn: EventEmitter.EventListener<MediaSubsessionEvents, T>,
    context?: unknown,
  ): this {
    super.on(event, fn, context);
    if (event === 'frame') this.#startPump();
    return this;
  }

  override addListener<T extends EventEmitter.EventNames<MediaSubsessionEvents>>(
    event: T,
    fn: EventEmitter.EventListener<MediaSubsessionEvents, T>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<MediaSubsessionEvents>>(
    event: T,
    fn: EventEmitter.EventListener<MediaSubsessionEvents, T>,
    context?: unknown,
  ): this {
    super.once(event, fn, context);
    if (event === 'frame') this.#startPump();
    return this;
  }

  #wanted(): boolean {
    return this.listenerCount('frame') > 0 || this.#iterators.size > 0;
  }

  #startPump(): void {
    if (this.#pumping || this.#source === undefined) return;
    this.#pumping = true;
    // Started on a later tick, so `on('frame')` then `startPlaying` in the same tick is caught
    // as a conflict rather than silently splitting frames between the two readers.
    queueMicrotask(() => void this.#pump(this.#source!));
  }

  async #pump(src: RTPSource): Promise<void> {
    try {
      while (this.#wanted()) {
        const f = await src.getNextFrame();
        if (f === null) break;
        this.emit('frame', f);
        for (const q of this.#iterators) {
          if (q.items.length - q.head >= MAX_ITERATOR_QUEUE) q.head++;
          q.items.push(f);
          this.#wake(q);
        }
      }
    } catch (err) {
      const e = isDorsvrError(err) ? err : new DorsvrError('ERR_RTSP_FRAME_READ', String(err), { cause: err });
      debug('self-reading stopped: %s', e.message);
      for (const q of this.#iterators) {
        q.error = e;
        this.#wake(q);
      }
      this.emit('error', e);
    } finally {
      this.#pumping = false;
    }
  }

  #wake(q: FrameQueue): void {
    const w = q.wake;
    q.wake = null;
    w?.();
  }

  #onSourceEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const q of this.#iterators) {
      q.done = true;
      this.#wake(q);
    }
    this.emit('end');
  }

  /**
   * Client side: an RTP packet arrived for this stream (UDP or interleaved). Counted for the
   * statistics and the UDP→TCP fallback check, then depacketized.
   * @internal
   */
  handleRTPPacket(data: Uint8Array): void {
    const now = this.#scheduler.now();
    this.#packets++;
    this.#bytes += Math.max(0, data.length - 12);
    if (this.#firstArrivalUs < 0) this.#firstArrivalUs = now;
    this.#lastArrivalUs = now;
    if (this.#packetSink !== undefined) this.#packetSink.rtp(data);
    else this.#source?.injectPacket(data, now);
  }

  #foreignPackets = 0;

  /**
   * Client side: a UDP datagram for this stream came from another address than the server's and
   * was dropped.
   * @internal
   */
  noteForeignPacket(address: string): void {
    if (this.#foreignPackets++ === 0) debug('%s: dropping packets from %s (not the server)', this.controlURL, address);
  }

  /** RTP packets received so far (all transports). */
  get rtpPacketsReceived(): number {
    return this.#packets;
  }

  /**
   * Client side: SETUP succeeded; start RTCP (receiver reports at most 5 s apart, sender reports
   * and BYE in) over `rtcpInterface`.
   * @internal
   */
  attachTransport(transport: SubsessionTransport, sessionId: string, rtcpInterface: RTCPTransport, cname: string): void {
    this.detachTransport();
    this.#transport = transport;
    this.#sessionId = sessionId;
    this.#rtcpInterface = rtcpInterface;
    if (this.#packetSink !== undefined) {
      rtcpInterface.on('packet', this.#onRTCPPacket);
      return;
    }
    if (this.#source === undefined) return;
    const rtcp = new RTCPInstance({ scheduler: this.#scheduler, rtcpInterface, source: this.#source, cname, maxIntervalUs: 5_000_000 });
    rtcp.on('bye', (info) => {
      const ssrc = this.#source?.ssrc;
      if (ssrc === null || ssrc === undefined || info.ssrcs.includes(ssrc)) this.emit('bye', info);
    });
    this.#rtcp = rtcp;
  }

  /**
   * Client side: the transport is gone (TEARDOWN, fallback to TCP); RTCP says BYE and stops.
   * @internal
   */
  detachTransport(): void {
    this.#rtcpInterface?.off('packet', this.#onRTCPPacket);
    this.#rtcpInterface = undefined;
    const rtcp = this.#rtcp;
    if (rtcp !== undefined) {
      this.#rtcpPacketsBefore += rtcp.packetsReceived;
      this.#rtcpReportsBefore += rtcp.reportsSent + 1;
      rtcp.close();
    }
    this.#rtcp = undefined;
    this.#transport = undefined;
  }

  /** @internal */
  setRTPInfo(entry: RTPInfoEntry | undefined): void {
    this.#rtpInfo = entry;
  }

  /**
   * Client side: no more packets will come; frames already received are still delivered.
   * @internal
   */
  endOfStream(): void {
    this.detachTransport();
    this.#sessionId = undefined;
    if (this.#source === undefined) this.#onSourceEnd();
    else this.#source.endOfStream();
  }
}
