import { isIPv4 } from 'node:net';
import { DorsvrError, defaultScheduler, type TaskScheduler } from '@dorsvr/scheduler';
import type { SDPMediaInit } from '../sdp/formatSDP.js';
import type { RTCPInstance } from '../rtcp/RTCPInstance.js';
import { isSourceSpecificMulticastAddress } from '@dorsvr/groupsock';
import {
  ServerMediaStream,
  ServerMediaSubsession,
  type ClientTransport,
  type MulticastDelivery,
  type StreamStartInfo,
} from './ServerMediaSubsession.js';
import type { RTPSinkLike } from './StreamTransport.js';

/** Options of a {@link PassiveServerMediaSubsession}. */
export interface PassiveServerMediaSubsessionOptions {
  /** The scheduler the sink runs on (its clock gives `RTP-Info`'s rtptime; default: the shared `defaultScheduler()`, as the sink's). */
  scheduler?: TaskScheduler;
  /**
   * The RTP sink that is sending the stream to the group (the application plays a source into
   * it, through a Groupsock whose destination is `group:rtpPort`, with its TTL and interface set).
   * For H.264/H.265 its `auxSDPLine()` must already know the parameter sets when a reader DESCRIBEs.
   */
  sink: RTPSinkLike;
  /**
   * Where the sink sends: the IPv4 group, its ports, TTL, and `source`, the address the packets
   * come from (the sending interface's; readers of a source-specific group, 232/8, filter on it).
   */
  delivery: MulticastDelivery;
  /** The stream's RTCP instance, if any: receiver reports readers send over RTSP reach it. */
  rtcp?: RTCPInstance;
  /** `b=AS:` in kbit/s (default 500). */
  bandwidthKbps?: number;
}

/**
 * live555's PassiveServerMediaSubsession: a track that is sent once to a multicast group whether
 * anyone watches or not (a live source feeding an RTP sink on a multicast Groupsock). Its SDP says
 * where (`m=<type> <port>`, `c=IN IP4 <group>/<ttl>`, and for a source-specific group
 * `a=source-filter: incl IN IP4 <group> <source>`); every SETUP is answered with that group,
 * whatever transport it asked for; PLAY, PAUSE and TEARDOWN change nothing on the wire. Readers
 * keep their sessions alive with RTSP keep-alives (ffmpeg and our client send them).
 *
 * @example
 * ```ts
 * import { Groupsock } from '@dorsvr/groupsock';
 * import { H264VideoRTPSink, H264VideoStreamFramer, PassiveServerMediaSubsession, RTCPInstance, ServerMediaSession } from '@dorsvr/livemedia';
 * import { RTSPServer } from '@dorsvr/rtspserver';
 *
 * const [group, port, iface] = ['239.255.42.42', 22000, '192.0.2.1'];
 * const multicast = { multicastTTL: 1, multicastInterface: iface } as const;
 * const rtp = await Groupsock.create({ ...multicast, address: iface, destinations: [{ address: group, port }] });
 * const rtcpSocket = await Groupsock.create({ ...multicast, port: port + 1, reuseAddr: true, destinations: [{ address: group, port: port + 1 }] });
 * rtcpSocket.joinGroup(group, iface); // readers' receiver reports come to the group
 * const framer = await H264VideoStreamFramer.open('channel1.264');
 * const sink = new H264VideoRTPSink({ rtpInterface: rtp, payloadType: 96, sps: framer.sps, pps: framer.pps });
 * const rtcp = new RTCPInstance({ rtcpInterface: rtcpSocket, sink, cname: 'channel1' });
 * void sink.startPlaying(framer); // sent to the group whether anyone watches or not
 *
 * const server = new RTSPServer();
 * const track = new PassiveServerMediaSubsession({ sink, rtcp, delivery: { group, rtpPort: port, rtcpPort: port + 1, ttl: 1, source: iface } });
 * server.addServerMediaSession(new ServerMediaSession('channel1').addSubsession(track));
 * await server.listen();
 * ```
 */
export class PassiveServerMediaSubsession extends ServerMediaSubsession {
  /** The sink sending the stream. */
  readonly sink: RTPSinkLike;
  /** The group, ports, TTL and source the stream goes to. */
  readonly delivery: MulticastDelivery;
  readonly #scheduler: TaskScheduler;
  readonly #rtcp: RTCPInstance | undefined;
  readonly #bandwidthKbps: number;
  readonly #streams = new Set<ServerMediaStream>();

  constructor(options: PassiveServerMediaSubsessionOptions) {
    super();
    const d = options.delivery;
    if (!isIPv4(d.group) || !isIPv4(d.source) || !Number.isInteger(d.rtpPort) || d.rtpPort < 1 || d.rtpPort > 65534 || !Number.isInteger(d.ttl) || d.ttl < 0 || d.ttl > 255) {
      throw new DorsvrError('ERR_MULTICAST_OPTIONS', `passive multicast delivery ${JSON.stringify(d)} is not an IPv4 group, source, port and TTL 0‥255`);
    }
    this.sink = options.sink;
    this.delivery = { ...d };
    this.#scheduler = options.scheduler ?? defaultScheduler();
    this.#rtcp = options.rtcp;
    this.#bandwidthKbps = options.bandwidthKbps ?? 500;
  }

  /** Sent by multicast (and only so). */
  override get supportsMulticast(): boolean {
    return true;
  }

  /** Every SETUP gets this track's group. */
  override get multicastOnly(): boolean {
    return true;
  }

  override async sdpMedia(): Promise<SDPMediaInit> {
    const d = this.delivery;
    return {
      mediaType: this.sink.sdpMediaType(),
      payloadType: this.sink.payloadType,
      port: d.rtpPort,
      connectionAddress: d.group,
      ttl: d.ttl,
      bandwidthKbps: this.#bandwidthKbps,
      rtpmapLine: this.sink.rtpmapLine(),
      fmtpLine: this.sink.auxSDPLine(),
      control: this.trackId,
      extraLines: isSourceSpecificMulticastAddress(d.group) ? [`a=source-filter: incl IN IP4 ${d.group} ${d.source}`] : [],
    };
  }

  override async getStreamParameters(clientSessionId: string, transport: ClientTransport): Promise<ServerMediaStream> {
    const stream = new ServerMediaStream(clientSessionId, transport);
    stream.multicast = this.delivery;
    stream.serverRTPPort = this.delivery.rtpPort;
    stream.serverRTCPPort = this.delivery.rtcpPort;
    stream.ssrc = this.sink.ssrc;
    this.#streams.add(stream);
    return stream;
  }

  /** Nothing to start: the stream is being sent. Returns where the sink is now. */
  override async startStream(stream: ServerMediaStream): Promise<StreamStartInfo> {
    stream.playing = true;
    return { seq: this.sink.currentSeqNo & 0xffff, rtptime: this.sink.rtpTimestampAt(this.#scheduler.now()) >>> 0 };
  }

  override pauseStream(stream: ServerMediaStream): void {
    stream.playing = false;
  }

  /** A live stream cannot be seeked. */
  override seekStream(): number | null {
    return null;
  }

  override currentNPT(): number {
    return 0;
  }

  override handleIncomingRTCP(_stream: ServerMediaStream, packet: Uint8Array): void {
    this.#rtcp?.injectPacket(packet);
  }

  override deleteStream(stream: ServerMediaStream): void {
    stream.playing = false;
    stream.deleted = true;
    this.#streams.delete(stream);
  }

  override close(): void {
    for (const s of this.#streams) this.deleteStream(s);
  }
}
