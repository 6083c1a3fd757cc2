import createDebug from 'debug';
import { DorsvrError, defaultScheduler, type TaskScheduler } from '@dorsvr/scheduler';
import { FramedSource } from '../core/FramedSource.js';
import type { Frame } from '../core/Frame.js';
import type { SDPMediaInit } from '../sdp/formatSDP.js';
import {
  ServerMediaStream,
  ServerMediaSubsession,
  type ClientTransport,
  type ServerDefaults,
  type StreamStartInfo,
} from './ServerMediaSubsession.js';
import type { StreamTransport, StreamTransportFactory } from './StreamTransport.js';
import { defaultStreamTransportFactory } from './DefaultStreamTransport.js';
import { MulticastStreamTransport } from './MulticastStreamTransport.js';
import type { PortRange, RTPSinkLike, RTPInterfaceLike } from './StreamTransport.js';
import { checkPortRange } from './DefaultStreamTransport.js';

const debug = createDebug('dorsvr:livemedia:server');

/** Options of an {@link OnDemandServerMediaSubsession}. */
export interface OnDemandServerMediaSubsessionOptions {
  /** The scheduler the stream's sink and RTCP run on (default: the shared `defaultScheduler()`). */
  scheduler?: TaskScheduler;
  /**
   * One source and one RTP sink shared by every client (packetize once, fan out to every client's
   * destinations) instead of one per client. Right for live sources; file streams shared this
   * way cannot be seeked or paused per client.
   */
  reuseFirstSource?: boolean;
  /** Dynamic RTP payload type for codecs without a static one (default 96). */
  payloadType?: number;
  /** RTCP CNAME (default "dorsvr"). */
  cname?: string;
  /** First UDP port tried for server port pairs (default 6970). */
  portBase?: number;
  /**
   * UDP ports server pairs are bound in (overrides `portBase`). Default: the serving RTSP server's
   * `rtpPortRange`, else from `portBase` up. A bad range throws `ERR_SERVER_PORT_RANGE`.
   */
  portRange?: PortRange;
  /** How sockets, RTP interfaces and RTCP instances are made (tests and embedders may replace it). */
  transportFactory?: StreamTransportFactory;
  /**
   * Largest RTP packet, header included, for the sinks this subsession makes (default 1452, as
   * live555: unfragmented over IPv6 on a 1500-byte MTU). Subclasses pass it to their sinks.
   */
  maxPacketSize?: number;
}

/**
 * Plays its input up to a normal play time (PLAY `Range: npt=a-b`): the first frame at or past
 * `stopAt` ends it (that frame is kept for {@link continueToEnd}), and the input stays open where
 * it is. A frame's NPT is counted from the first frame read after the last {@link reposition}
 * (whatever base the input's presentation times have).
 */
class NPTLimitedSource extends FramedSource {
  readonly #input: FramedSource;
  /** Where to stop (seconds of NPT), or undefined to play to the end. */
  stopAt: number | undefined;
  #nptBase = 0;
  #ptBase: number | undefined;
  #generation = 0;
  #readGeneration = 0;
  /** The frame at the limit, not played. */
  #held: Frame | undefined;
  /** True once the limit ended playing (and until the next reposition or continueToEnd). */
  reachedLimit = false;
  readonly #onFrame = (frame: Frame | null): Frame | null => this.#check(frame);

  constructor(input: FramedSource, nptBase: number) {
    super();
    this.#input = input;
    this.#nptBase = nptBase;
  }

  /** The input was repositioned: its next frame is at `npt`. */
  reposition(npt: number): void {
    this.#nptBase = npt;
    this.#ptBase = undefined;
    this.#generation++;
    this.#held?.owner?.releaseFrame(this.#held);
    this.#held = undefined;
    this.reachedLimit = false;
  }

  /** Play on past the limit (a PLAY without Range after the range ended): from the frame held there. */
  continueToEnd(): void {
    this.stopAt = undefined;
    this.reachedLimit = false;
  }

  /** True when a frame is waiting to be played first. */
  get holdsFrame(): boolean {
    return this.#held !== undefined;
  }

  protected override readFrame(): Frame | null | Promise<Frame | null> {
    const held = this.#held;
    if (held && this.stopAt === undefined) {
      this.#held = undefined;
      return held;
    }
    this.#readGeneration = this.#generation;
    const r = this.#input.pullFrame();
    return r instanceof Promise ? r.then(this.#onFrame) : this.#check(r);
  }

  #check(frame: Frame | null): Frame | null {
    // A read from before a reposition brings a frame the sink drops: not a base.
    if (frame === null || this.stopAt === undefined || this.#readGeneration !== this.#generation) return frame;
    this.#ptBase ??= frame.presentationTime;
    const npt = this.#nptBase + (frame.presentationTime - this.#ptBase) / 1e6;
    if (npt < this.stopAt - 1e-6) return frame;
    this.#held = frame;
    this.reachedLimit = true;
    return null;
  }

  protected override doClose(): void {
    this.#held?.owner?.releaseFrame(this.#held);
    this.#held = undefined;
  }

  override get isCurrentlyAwaitingData(): boolean {
    return super.isCurrentlyAwaitingData || this.#input.isCurrentlyAwaitingData;
  }
}

/** The source, sink and sockets of one stream: a client's own, or the one all clients share. */
class StreamState {
  readonly source: FramedSource;
  readonly sink: RTPSinkLike;
  readonly transport: StreamTransport;
  readonly clients = new Set<ServerMediaStream>();
  playingClients = 0;
  #playing = false;
  #gen = 0;
  ended = false;
  /** The BYE scheduled after the end, if any. */
  byeTask = 0;
  /** Play position bookkeeping (seconds of NPT at `startedAt` µs of scheduler time). */
  nptAtStart = 0;
  startedAt = 0;
  closed = false;
  /** Where playing stops (PLAY `Range: npt=a-b`): set by a seek, through this limiter. */
  #limited: NPTLimitedSource | undefined;
  readonly #scheduler: TaskScheduler;

  constructor(scheduler: TaskScheduler, source: FramedSource, sink: RTPSinkLike, transport: StreamTransport) {
    this.#scheduler = scheduler;
    this.source = source;
    this.sink = sink;
    this.transport = transport;
  }

  get playing(): boolean {
    return this.#playing;
  }

  start(onEnd: () => void, onError: (err: unknown) => void): void {
    if (this.ended && this.#limited?.reachedLimit === true) {
      // A PLAY without Range after a range's end: play on from there to the end.
      this.#limited.continueToEnd();
      this.ended = false;
    }
    if (this.#playing || this.ended || this.closed) return;
    this.#playing = true;
    this.startedAt = this.#scheduler.now();
    this.#run(onEnd, onError, 0);
  }

  #run(onEnd: () => void, onError: (err: unknown) => void, attempt: number): void {
    if (!this.#playing || this.closed) return;
    // A read left outstanding by an earlier stop (pause, seek) must settle before the sink reads again.
    if ((this.source.isCurrentlyAwaitingData || this.#limited?.isCurrentlyAwaitingData === true) && attempt < 1000) {
      this.#scheduler.scheduleDelayedTask(1000, () => this.#run(onEnd, onError, attempt + 1));
      return;
    }
    const gen = ++this.#gen;
    const limited = this.#limited;
    this.sink.startPlaying(limited !== undefined && (limited.stopAt !== undefined || limited.holdsFrame) ? limited : this.source).then(
      () => {
        // Resolves on end of source or on stopPlaying(); only the former ends the stream.
        if (gen === this.#gen && this.#playing && !this.closed) {
          this.nptAtStart = this.#limited?.reachedLimit === true ? this.#limited.stopAt! : this.currentNPT();
          this.#playing = false;
          this.ended = true;
          onEnd();
        }
      },
      (err: unknown) => {
        if (gen !== this.#gen) return;
        this.#playing = false;
        if (!this.closed) onError(err);
      },
    );
  }

  stop(): void {
    if (!this.#playing) return;
    this.nptAtStart = this.currentNPT();
    this.#playing = false;
    this.#gen++;
    this.sink.stopPlaying();
  }

  currentNPT(): number {
    let npt = this.nptAtStart;
    if (this.#playing) npt += (this.#scheduler.now() - this.startedAt) / 1e6;
    const stopAt = this.#limited?.stopAt;
    if (stopAt !== undefined && npt > stopAt) npt = stopAt;
    const d = this.source.durationSeconds();
    return d !== undefined && npt > d ? d : npt;
  }

  /** The source was repositioned to `npt` (a seek); play up to `stopAt` from there (undefined: to the end). */
  repositioned(npt: number, stopAt: number | undefined): void {
    if (stopAt === undefined && this.#limited === undefined) return;
    this.#limited ??= new NPTLimitedSource(this.source, npt);
    this.#limited.reposition(npt);
    this.#limited.stopAt = stopAt;
  }

  /** Where playing stops, if not at the end. */
  get stopAt(): number | undefined {
    return this.#limited?.stopAt;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#playing = false;
    this.sink.close();
    this.#limited?.close();
    this.source.close();
    this.transport.close();
  }
}

/**
 * live555's OnDemandServerMediaSubsession: a track whose stream is created when a client asks for
 * it. Subclasses say how to make the source and the RTP sink; this class does the rest: server
 * ports from the port-pair range (or the client's interleaved channels), one RTCP instance per
 * stream (sender reports out, receiver reports in as statistics and signs of life), play, pause,
 * seek and teardown, and, with `reuseFirstSource`, one shared stream whose packets fan out to
 * every client.
 *
 * @example
 * ```ts
 * import {
 *   H264VideoRTPSink,
 *   H264VideoStreamFramer,
 *   OnDemandServerMediaSubsession,
 *   type FramedSource,
 *   type RTPInterfaceLike,
 *   type RTPSinkLike,
 * } from '@dorsvr/livemedia';
 *
 * // A track of your own: how to make its source and its RTP sink; ports, RTCP, play, pause and seek are done for you.
 * class CameraSubsession extends OnDemandServerMediaSubsession {
 *   protected override async createNewStreamSource(): Promise<FramedSource> {
 *     return H264VideoStreamFramer.open('/var/cam/latest.264');
 *   }
 *   protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource): RTPSinkLike {
 *     const framer = source as H264VideoStreamFramer;
 *     return new H264VideoRTPSink({ scheduler: this.scheduler, rtpInterface, payloadType, sps: framer.sps, pps: framer.pps });
 *   }
 * }
 * const track = new CameraSubsession({ reuseFirstSource: true, portRange: { min: 6970, max: 6999 } });
 * ```
 */
export abstract class OnDemandServerMediaSubsession extends ServerMediaSubsession {
  /** The scheduler streams run on. */
  readonly scheduler: TaskScheduler;
  /** True when all clients share one source and sink. */
  readonly reuseFirstSource: boolean;
  /** The RTP payload type given to {@link createNewRTPSink} (default 96). */
  readonly payloadType: number;
  /** RTCP CNAME. */
  readonly cname: string;
  /** First UDP port tried for server port pairs. */
  readonly portBase: number | undefined;
  /** UDP ports server pairs are bound in: this track's own, else its server's, else undefined (from {@link portBase} up). */
  get portRange(): PortRange | undefined {
    return this.#portRange ?? this.#serverPortRange;
  }
  readonly #portRange: PortRange | undefined;
  #serverPortRange: PortRange | undefined;
  /** Largest RTP packet, header included, given to the sinks (undefined: the sinks' default, 1452). */
  readonly maxPacketSize: number | undefined;
  readonly #factory: StreamTransportFactory;
  readonly #streams = new Map<ServerMediaStream, StreamState>();
  readonly #counters = new Map<ServerMediaStream, { packets: number; bytes: number; basePackets: number; baseBytes: number }>();
  #shared: StreamState | undefined;
  #sharedPending: Promise<StreamState> | undefined;
  /** The stream every multicast reader shares (sent once to one group), while it has readers. */
  #multicast: StreamState | undefined;
  #multicastPending: Promise<StreamState> | undefined;
  #sdpMedia: SDPMediaInit | undefined;
  #sdpPending: Promise<SDPMediaInit> | undefined;
  #duration: number | undefined;
  #closed = false;

  constructor(options: OnDemandServerMediaSubsessionOptions = {}) {
    super();
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.#portRange = options.portRange === undefined ? undefined : checkPortRange(options.portRange);
    this.reuseFirstSource = options.reuseFirstSource ?? false;
    this.payloadType = options.payloadType ?? 96;
    this.cname = options.cname ?? 'dorsvr';
    this.portBase = options.portBase;
    this.maxPacketSize = options.maxPacketSize;
    this.#factory = options.transportFactory ?? defaultStreamTransportFactory;
  }

  /**
   * Create the source of one stream (a framer over a file, a live capture, …). Called per client,
   * or once with `reuseFirstSource`.
   */
  protected abstract createNewStreamSource(clientSessionId: string): Promise<FramedSource>;

  /** Create the RTP sink that packetizes `source` and sends through `rtpInterface`. */
  protected abstract createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number, source: FramedSource): RTPSinkLike;

  /** Average bitrate in kbit/s for SDP `b=AS:` (default 500). */
  protected estimatedBitrateKbps(): number {
    return 500;
  }

  /**
   * The `a=fmtp` (or other codec-specific) line of the track, from a sink that has seen `source`
   * start (its SPS/PPS, its audio config). Default: the sink's `auxSDPLine()`.
   */
  protected async auxSDPLine(sink: RTPSinkLike, _source: FramedSource): Promise<string> {
    return sink.auxSDPLine();
  }

  /** On-demand tracks can be sent to a multicast group shared by every multicast reader. */
  override get supportsMulticast(): boolean {
    return true;
  }

  /** Takes the server's `rtpPortRange` unless this track was given its own `portRange`. */
  override applyServerDefaults(defaults: ServerDefaults): void {
    this.#serverPortRange = defaults.rtpPortRange;
  }

  /** The duration of the source, as learnt from the first source made (see {@link sdpLines}). */
  override durationSeconds(): number | undefined {
    return this.#duration;
  }

  async #makeSource(clientSessionId: string): Promise<FramedSource> {
    const source = await this.createNewStreamSource(clientSessionId);
    this.#duration = source.durationSeconds();
    return source;
  }

  override async sdpMedia(): Promise<SDPMediaInit> {
    if (this.#sdpMedia !== undefined) return this.#sdpMedia;
    // Concurrent first DESCRIBEs share one source (and the file scan it may need).
    this.#sdpPending ??= this.#makeSDPMedia().finally(() => (this.#sdpPending = undefined));
    return this.#sdpPending;
  }

  async #makeSDPMedia(): Promise<SDPMediaInit> {
    // As live555 does: make a source and a sink that sends nowhere, and ask them.
    const source = await this.#makeSource('sdp');
    const transport = this.#factory.create({ scheduler: this.scheduler, udp: false, cname: this.cname });
    let media: SDPMediaInit;
    try {
      const sink = this.createNewRTPSink(transport.rtpInterface, this.payloadType, source);
      try {
        const aux = await this.auxSDPLine(sink, source);
        media = {
          mediaType: sink.sdpMediaType(),
          payloadType: sink.payloadType,
          bandwidthKbps: Math.max(1, Math.round(this.estimatedBitrateKbps())),
          rtpmapLine: sink.rtpmapLine(),
          fmtpLine: aux,
          control: this.trackId,
        };
      } finally {
        sink.close();
      }
    } finally {
      source.close();
      transport.close();
    }
    this.#sdpMedia = media;
    return media;
  }

  /**
   * For a publisher (rtspclient's `RTSPClient.publish`, which sends this track to another server
   * with ANNOUNCE/RECORD): a new source of this track, made as a client's stream gets one, owned
   * by the caller (who closes it). Each call opens the input again (a file from its start).
   */
  async newStreamSource(): Promise<FramedSource> {
    if (this.#closed) throw new DorsvrError('ERR_SERVER_CLOSED', 'this subsession is closed');
    return this.#makeSource('publish');
  }

  /**
   * For a publisher: the RTP sink of this track for `source` (from {@link newStreamSource}),
   * sending through `rtpInterface`, with the payload type {@link sdpMedia} announces. Owned by the
   * caller (who plays the source into it and closes it).
   */
  newRTPSink(rtpInterface: RTPInterfaceLike, source: FramedSource): RTPSinkLike {
    return this.createNewRTPSink(rtpInterface, this.payloadType, source);
  }

  async #newState(
    clientSessionId: string,
    udp: boolean,
    family: 'udp4' | 'udp6' = 'udp4',
    makeTransport?: () => StreamTransport,
  ): Promise<StreamState> {
    const source = await this.#makeSource(clientSessionId);
    let transport: StreamTransport | undefined;
    try {
      transport = makeTransport
        ? makeTransport()
        : this.#factory.create({ scheduler: this.scheduler, udp, family, portBase: this.portBase, portRange: this.portRange, cname: this.cname });
      await transport.ready;
      const sink = this.createNewRTPSink(transport.rtpInterface, this.payloadType, source);
      transport.attachSink(sink);
      return new StreamState(this.scheduler, source, sink, transport);
    } catch (err) {
      source.close();
      transport?.close();
      throw err;
    }
  }

  override async getStreamParameters(clientSessionId: string, transport: ClientTransport): Promise<ServerMediaStream> {
    if (this.#closed) throw new DorsvrError('ERR_SERVER_CLOSED', 'this subsession is closed', { status: 454 });
    let state: StreamState;
    if (transport.mode === 'multicast') {
      state = await this.#multicastState(clientSessionId, transport);
    } else if (this.reuseFirstSource) {
      // A shared stream that already reached its end is left to its clients; newcomers get a fresh one.
      if (this.#shared === undefined || this.#shared.closed || this.#shared.ended) {
        // Shared streams always have UDP sockets: later clients may want UDP.
        this.#sharedPending ??= this.#newState(clientSessionId, true).finally(() => (this.#sharedPending = undefined));
        this.#shared = await this.#sharedPending;
      }
      state = this.#shared;
    } else {
      state = await this.#newState(
        clientSessionId,
        transport.mode === 'udp',
        transport.mode === 'udp' && transport.clientAddress.includes(':') ? 'udp6' : 'udp4',
      );
    }
    const stream = new ServerMediaStream(clientSessionId, transport);
    if (state.transport instanceof MulticastStreamTransport) {
      const t = state.transport;
      stream.multicast = { ...t.allocation, source: t.interfaceAddress };
      stream.serverRTPPort = t.rtpPort;
      stream.serverRTCPPort = t.rtcpPort;
    } else if (transport.mode === 'udp') {
      // A shared stream serves IPv6 clients from a pair of IPv6 sockets of its own.
      const ports = await state.transport.serverPortsFor(transport.clientAddress.includes(':') ? 'udp6' : 'udp4');
      stream.serverRTPPort = ports.rtpPort;
      stream.serverRTCPPort = ports.rtcpPort;
    } else {
      stream.serverRTPPort = state.transport.rtpPort;
      stream.serverRTCPPort = state.transport.rtcpPort;
    }
    stream.ssrc = state.sink.ssrc;
    state.clients.add(stream);
    this.#streams.set(stream, state);
    const counters = { packets: 0, bytes: 0, basePackets: 0, baseBytes: 0 };
    this.#counters.set(stream, counters);
    stream.updateStats = () => {
      const live = stream.playing && !state.closed;
      stream.stats.packets = counters.packets + (live ? state.sink.packetCount - counters.basePackets : 0);
      stream.stats.bytes = counters.bytes + (live ? state.sink.octetCount - counters.baseBytes : 0);
    };
    state.transport.registerClient(stream);
    debug('%s: stream for session %s (%s)', this.trackId, clientSessionId, transport.mode);
    return stream;
  }

  /**
   * The stream multicast readers share: sent once to a group from the pool, made for the first
   * reader (its own source, apart from unicast readers'), given back when the last one leaves. A
   * stream that reached its end is left to its readers; a newcomer gets a fresh one (another group).
   * Rejects with `ERR_MULTICAST_EXHAUSTED` (453) when every group is in use.
   */
  async #multicastState(clientSessionId: string, transport: Extract<ClientTransport, { mode: 'multicast' }>): Promise<StreamState> {
    if (this.#multicast !== undefined && !this.#multicast.closed && !this.#multicast.ended) return this.#multicast;
    this.#multicastPending ??= (async () => {
      const pool = transport.pool;
      if (pool === undefined || (pool.interfaceAddress ?? transport.interfaceAddress) === '') {
        throw new DorsvrError('ERR_SERVER_NO_MULTICAST', 'multicast is not configured (or the reader came over IPv6)', { status: 461 });
      }
      const allocation = pool.allocate();
      if (allocation === undefined) {
        throw new DorsvrError('ERR_MULTICAST_EXHAUSTED', `every multicast group (${pool.size}) is in use`, { status: 453 });
      }
      // Given back once, whichever notices first (the transport closing, or a failure before it exists).
      let held = true;
      const release = (): void => {
        if (held) pool.release(allocation);
        held = false;
      };
      try {
        return await this.#newState(clientSessionId, false, 'udp4', () =>
          new MulticastStreamTransport({
            scheduler: this.scheduler,
            cname: this.cname,
            allocation,
            interfaceAddress: pool.interfaceAddress ?? transport.interfaceAddress,
            onClose: release,
          }),
        );
      } catch (err) {
        release();
        throw err;
      }
    })().finally(() => (this.#multicastPending = undefined));
    this.#multicast = await this.#multicastPending;
    return this.#multicast;
  }

  #state(stream: ServerMediaStream): StreamState {
    const st = this.#streams.get(stream);
    if (!st) throw new DorsvrError('ERR_SERVER_STREAM_UNKNOWN', 'this stream was deleted', { status: 454 });
    return st;
  }

  override async startStream(stream: ServerMediaStream): Promise<StreamStartInfo> {
    const state = this.#state(stream);
    if (!stream.playing) {
      const c = this.#counters.get(stream);
      if (c) {
        c.basePackets = state.sink.packetCount;
        c.baseBytes = state.sink.octetCount;
      }
      stream.playing = true;
      state.playingClients++;
      state.transport.addDestination(stream);
    }
    // The first packet this client gets carries what RTP-Info says: a preset timestamp for the
    // next frame, whatever its presentation time (live555's presetNextTimestamp).
    const now = this.scheduler.now();
    const rtptime = state.sink.presetNextTimestamp ? state.sink.presetNextTimestamp(now) : state.sink.rtpTimestampAt(now);
    const info = { seq: state.sink.currentSeqNo & 0xffff, rtptime: rtptime >>> 0 };
    // Start on the next turn of the scheduler, after the PLAY response went out: players over
    // TCP (ffmpeg) drop interleaved packets that arrive before the response.
    this.scheduler.scheduleDelayedTask(0, () => this.#startState(state));
    return info;
  }

  #startState(state: StreamState): void {
    if (state.closed || state.playingClients === 0) return;
    // Playing again (after a seek back from the end): the end's BYE is off.
    this.scheduler.unscheduleDelayedTask(state.byeTask);
    state.byeTask = 0;
    state.start(
      () => {
        // Let the last packets land before the BYE (players stop reading at the BYE, and the
        // RTCP socket is not the RTP one, so it could overtake them).
        state.byeTask = this.scheduler.scheduleDelayedTask(1_000_000, () => {
          state.byeTask = 0;
          if (!state.closed) state.transport.sendBye();
        });
        for (const c of state.clients) c.emit('end');
      },
      (err) => {
        for (const c of state.clients) c.emit('error', err);
      },
    );
  }

  override pauseStream(stream: ServerMediaStream): void {
    const state = this.#streams.get(stream);
    if (!state || !stream.playing) return;
    stream.updateStats?.();
    const c = this.#counters.get(stream);
    if (c) {
      c.packets = stream.stats.packets;
      c.bytes = stream.stats.bytes;
    }
    stream.playing = false;
    state.playingClients--;
    state.transport.removeDestination(stream);
    // A client's own stream stops where it is; a shared one goes on for the others; a multicast
    // one stops sending when no reader plays it.
    if (state === this.#multicast) {
      if (state.playingClients === 0) state.stop();
    } else if (!this.reuseFirstSource) state.stop();
  }

  /**
   * Seek the client's own stream (a shared one only when the client is alone on it) and, with
   * `endNpt`, stop playing when the first frame at or past it comes (the stream then ends as at the
   * end of its source: `'end'`, then an RTCP BYE). Without `endNpt` the stream plays to its end.
   */
  override seekStream(stream: ServerMediaStream, npt: number, endNpt?: number): number | null {
    const state = this.#streams.get(stream);
    if (!state) return null;
    // A shared stream is only seeked when this client is alone on it.
    if ((this.reuseFirstSource || state.transport instanceof MulticastStreamTransport) && state.clients.size > 1) return null;
    const wasPlaying = state.playing;
    if (wasPlaying) state.stop();
    const reached = state.source.seekToNPT(npt);
    if (reached !== null) {
      state.nptAtStart = reached;
      state.ended = false;
      state.sink.notePlayPosition?.(reached * 1e6);
      state.repositioned(reached, endNpt !== undefined && Number.isFinite(endNpt) ? endNpt : undefined);
    }
    return reached;
  }

  override currentNPT(stream: ServerMediaStream): number {
    return this.#streams.get(stream)?.currentNPT() ?? 0;
  }

  override handleIncomingRTCP(stream: ServerMediaStream, packet: Uint8Array): void {
    this.#streams.get(stream)?.transport.handleIncomingRTCP(stream, packet);
  }

  override deleteStream(stream: ServerMediaStream): void {
    const state = this.#streams.get(stream);
    if (!state) return;
    this.pauseStream(stream);
    stream.deleted = true;
    this.#streams.delete(stream);
    this.#counters.delete(stream);
    stream.updateStats = undefined;
    state.clients.delete(stream);
    state.transport.unregisterClient(stream);
    if (state.clients.size === 0) {
      if (this.#shared === state) this.#shared = undefined;
      if (this.#multicast === state) this.#multicast = undefined;
      state.close();
    }
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams.keys()]) this.deleteStream(s);
    this.#shared?.close();
    this.#shared = undefined;
    this.#multicast?.close();
    this.#multicast = undefined;
  }
}
