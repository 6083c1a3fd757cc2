import type { TaskScheduler } from '@dorsvr/scheduler';
import type { MediaSink } from '../core/MediaSink.js';
import type { RTPPacketSender } from '../rtp/RTPSink.js';
import type { ServerMediaStream } from './ServerMediaSubsession.js';

/** What a server stream needs of an RTP sink (every rtp/ `RTPSink` has it). */
export interface RTPSinkLike extends MediaSink {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly rtpTimestampFrequency: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly currentSeqNo: number;
  rtpTimestampAt(nowUs: number): number;
  /**
   * The RTP timestamp the next packet will carry, made so if need be (live555's
   * presetNextTimestamp): what PLAY announces in `RTP-Info`. Sinks without it are asked
   * {@link rtpTimestampAt} instead.
   */
  presetNextTimestamp?(nowUs: number): number;
  sdpMediaType(): string;
  rtpmapLine(): string;
  auxSDPLine(): string;
  /** The stream was repositioned: the next frame has this presentation time (µs). */
  notePlayPosition?(presentationTimeUs: number): void;
}

/**
 * What a server stream's RTP sink sends through: every rtp/ `RTPSink` takes it as its
 * `rtpInterface` option as it is (no cast). The default transport's is a `ServerFanout`.
 */
export type RTPInterfaceLike = RTPPacketSender;

/** A range of UDP ports for server RTP/RTCP pairs: RTP on even ports, RTCP on the odd one above. */
export interface PortRange {
  /** Lowest port (an odd value starts at the even port above). */
  readonly min: number;
  /** Highest port (inclusive; a pair needs both of its ports in the range). */
  readonly max: number;
}

/** What {@link StreamTransportFactory.create} is asked for. */
export interface StreamTransportRequest {
  scheduler: TaskScheduler;
  /** Bind a UDP port pair (some client wants UDP); else interleaved-only. */
  udp: boolean;
  /** Socket family for UDP (`udp6` for IPv6 clients); default `udp4`. */
  family?: 'udp4' | 'udp6';
  /** First server port to try (default 6970). */
  portBase?: number;
  /** Ports server pairs are bound in (overrides `portBase`; default from 6970 up to 65535). */
  portRange?: PortRange;
  cname: string;
}

/** Makes the transport (sockets, RTP interface, RTCP) of one server stream. */
export interface StreamTransportFactory {
  create(request: StreamTransportRequest): StreamTransport;
}

/**
 * The network side of one server stream: its RTP and RTCP sockets (a server port pair), the
 * RTPInterface its sink sends through, the RTCP instance that sends sender reports and reads
 * receiver reports, and the set of client destinations the packets fan out to.
 */
export abstract class StreamTransport {
  /** Resolves once sockets are bound. */
  abstract readonly ready: Promise<void>;
  /** The interface given to the RTP sink. */
  abstract readonly rtpInterface: RTPInterfaceLike;
  /** Server RTP port (UDP streams), else undefined. */
  abstract readonly rtpPort: number | undefined;
  /** Server RTCP port (UDP streams), else undefined. */
  abstract readonly rtcpPort: number | undefined;
  /**
   * The server ports for a UDP client of `family`. The default: this stream's own ports (its
   * sockets are of the family it was made for); a transport that can serve both families (a
   * shared stream) binds a pair of the other family when asked.
   */
  async serverPortsFor(_family: 'udp4' | 'udp6'): Promise<{ rtpPort: number | undefined; rtcpPort: number | undefined }> {
    await this.ready;
    return { rtpPort: this.rtpPort, rtcpPort: this.rtcpPort };
  }
  /** Called once the sink exists: start RTCP for it. */
  abstract attachSink(sink: RTPSinkLike): void;
  /** A client's stream joins (may not be playing yet). */
  abstract registerClient(stream: ServerMediaStream): void;
  /** A client's stream leaves. */
  abstract unregisterClient(stream: ServerMediaStream): void;
  /** Start sending to the client. */
  abstract addDestination(stream: ServerMediaStream): void;
  /** Stop sending to the client. */
  abstract removeDestination(stream: ServerMediaStream): void;
  /** An RTCP packet from the client's interleaved channel. */
  abstract handleIncomingRTCP(stream: ServerMediaStream, packet: Uint8Array): void;
  /** The source ended: tell the clients (an RTCP BYE, which players take as end of stream). */
  abstract sendBye(): void;
  /** Release sockets and stop RTCP. Idempotent. */
  abstract close(): void;
}

