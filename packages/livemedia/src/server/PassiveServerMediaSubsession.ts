import type { TaskScheduler } from '@dorsvr/scheduler';
import type { SDPMediaInit } from '../sdp/formatSDP.js';
import type { RTPSink } from '../rtp/RTPSink.js';
import { ServerMediaStream, ServerMediaSubsession, type StreamStartInfo } from './ServerMediaSubsession.js';

/** Where a {@link PassiveServerMediaSubsession}'s stream goes. */
export interface PassiveServerMediaSubsessionOptions {
  /** Scheduler of the sink (for the RTP timestamp RTP-Info reports). */
  scheduler: TaskScheduler;
  /** The multicast group the sink sends to. */
  group: string;
  /** Its RTP port (RTCP: the next one unless `rtcpPort` says otherwise). */
  rtpPort: number;
  rtcpPort?: number;
  /** The packets' TTL (default 1), written in the SDP's `c=` line. */
  ttl?: number;
  /** Source-specific multicast: the sender's address (`a=source-filter: incl …` in the SDP). */
  source?: string;
}

/**
 * live555's PassiveServerMediaSubsession: a track whose stream the application already sends to
 * a multicast group (through `sink`, an RTP sink whose interface sends to the group). Readers
 * only DESCRIBE (the SDP says `c=IN IP4 <group>/<ttl>`, the port on `m=`, and `a=source-filter`
 * for SSM), SETUP (answered with the group) and PLAY; the server sends nothing per reader and
 * nothing stops when they leave.
 */
export class PassiveServerMediaSubsession extends ServerMediaSubsession {
  readonly sink: RTPSink;
  readonly group: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly ttl: number;
  readonly source: string | undefined;
  readonly #scheduler: TaskScheduler;

  constructor(sink: RTPSink, options: PassiveServerMediaSubsessionOptions) {
    super();
    this.sink = sink;
    this.group = options.group;
    this.rtpPort = options.rtpPort;
    this.rtcpPort = options.rtcpPort ?? options.rtpPort + 1;
    this.ttl = options.ttl ?? 1;
    this.source = options.source;
    this.#scheduler = options.scheduler;
  }

  override sdpMedia(): Promise<SDPMediaInit> {
    const v6 = this.group.includes(':');
    const aux = this.sink.auxSDPLine();
    return Promise.resolve({
      mediaType: this.sink.sdpMediaType(),
      payloadType: this.sink.payloadType,
      port: this.rtpPort,
      connectionAddress: this.group,
      ttl: v6 ? undefined : this.ttl,
      rtpmapLine: this.sink.rtpmapLine(),
      fmtpLine: aux === '' ? undefined : aux,
      control: this.trackId,
      extraLines: this.source === undefined ? undefined : [`a=source-filter: incl IN ${v6 ? 'IP6' : 'IP4'} ${this.group} ${this.source}`],
    });
  }

  /** A reader's stream: a record of where it reads from; nothing is sent for it. */
  override getStreamParameters(clientSessionId: string): Promise<ServerMediaStream> {
    const stream = new ServerMediaStream(clientSessionId, { mode: 'udp', clientAddress: this.group, clientRTPPort: this.rtpPort, clientRTCPPort: this.rtcpPort });
    stream.ssrc = this.sink.ssrc;
    return Promise.resolve(stream);
  }

  /** Where the stream is now (for RTP-Info); it plays whether or not anyone reads. */
  override startStream(stream: ServerMediaStream): Promise<StreamStartInfo> {
    stream.playing = true;
    return Promise.resolve({ seq: this.sink.currentSeqNo & 0xffff, rtptime: this.sink.rtpTimestampAt(this.#scheduler.now()) >>> 0 });
  }

  override pauseStream(stream: ServerMediaStream): void {
    stream.playing = false;
  }

  override seekStream(): number | null {
    return null;
  }

  override currentNPT(): number {
    return 0;
  }

  override handleIncomingRTCP(): void {}

  override deleteStream(stream: ServerMediaStream): void {
    stream.playing = false;
    stream.deleted = true;
  }
}
