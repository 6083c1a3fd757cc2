import { EventEmitter } from 'eventemitter3';
import { formatSDP, type SDPMediaInit } from '../sdp/formatSDP.js';
import type { ServerMediaSession } from './ServerMediaSession.js';
import type { MulticastAddressPool, MulticastAllocation } from './MulticastAddressPool.js';
import type { PortRange } from './StreamTransport.js';

/**
 * Server-wide settings an RTSP server hands to the tracks it serves (through
 * {@link ServerMediaSession.applyServerDefaults}); a track's own options take precedence.
 */
export interface ServerDefaults {
  /** UDP ports for server RTP/RTCP pairs (the server's `rtpPortRange` option). */
  readonly rtpPortRange?: PortRange | undefined;
}

/**
 * Where a client wants one track sent, as negotiated by SETUP: UDP to an address and port pair,
 * or `$`-interleaved on its RTSP connection.
 */
export type ClientTransport =
  | {
      readonly mode: 'udp';
      /** The client's IP address (from the connection; RTSP `destination=` is not trusted). */
      readonly clientAddress: string;
      /** The client's RTP port (`client_port=a-b`, first). */
      readonly clientRTPPort: number;
      /** The client's RTCP port (usually RTP + 1). */
      readonly clientRTCPPort: number;
    }
  | {
      readonly mode: 'tcp';
      /** The RTSP connection that carries the `$` frames (an rtp/ `InterleavedChannel`). */
      readonly channel: { sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean };
      /** Channel number for RTP. */
      readonly rtpChannel: number;
      /** Channel number for RTCP. */
      readonly rtcpChannel: number;
    }
  | {
      readonly mode: 'multicast';
      /** The reader's IP address (its receiver reports to the group are its signs of life). */
      readonly clientAddress: string;
      /**
       * Where the server's multicast groups come from (its `multicast` option); undefined when it
       * has none (a {@link ServerMediaSubsession.multicastOnly} track sends to its own group).
       */
      readonly pool: MulticastAddressPool | undefined;
      /**
       * The local IPv4 address the reader's RTSP connection reached (the interface multicast
       * leaves by, unless the pool names one); '' when the connection is IPv6.
       */
      readonly interfaceAddress: string;
    };

/** Where a multicast stream goes, as a SETUP answers it (`destination=`, `port=`, `ttl=`, `source=`). */
export interface MulticastDelivery extends MulticastAllocation {
  /** The address the packets come from (the sending interface): `source=`, SSM readers filter on it. */
  readonly source: string;
}

/** What `PLAY` reports for one track in `RTP-Info`. */
export interface StreamStartInfo {
  /** Sequence number of the next RTP packet. */
  readonly seq: number;
  /** RTP timestamp (unsigned 32 bits) that corresponds to the play position. */
  readonly rtptime: number;
}

/** Per-stream statistics, as the RTSP server reports them in its events. */
export interface StreamStats {
  /** RTP packets sent to this client. */
  packets: number;
  /** RTP payload bytes sent to this client. */
  bytes: number;
  /** Fraction of packets lost (0–1) in the last RTCP receiver report of this client, if any. */
  fractionLost: number | undefined;
  /** Cumulative packets lost from the last receiver report, if any. */
  cumulativeLost: number | undefined;
  /** Interarrival jitter in seconds from the last receiver report, if any. */
  jitterSeconds: number | undefined;
  /**
   * Round-trip time in seconds from the last receiver report whose LSR/DLSR named one of our
   * sender reports (RFC 3550 §6.4.1), if any.
   */
  rttSeconds: number | undefined;
  /** RTCP receiver reports received from this client. */
  receiverReports: number;
}

/** Events of one {@link ServerMediaStream}. */
export interface ServerMediaStreamEvents {
  /** An RTCP packet from the client arrived for this stream (a sign of life). */
  rtcp: [];
  /** The stream's source ended (all frames sent). */
  end: [];
  /** Sending failed; the stream stopped. */
  error: [err: unknown];
}

/**
 * One client's stream of one track: the state {@link ServerMediaSubsession.getStreamParameters}
 * creates (live555's stream token). The RTSP server keeps it in the client session and hands it
 * back to the subsession's `startStream`, `pauseStream`, `seekStream` and `deleteStream`.
 */
export class ServerMediaStream extends EventEmitter<ServerMediaStreamEvents> {
  /** The client session this stream belongs to. */
  readonly clientSessionId: string;
  /** How the client receives this stream. */
  readonly transport: ClientTransport;
  /** Server's RTP port (UDP transport only). */
  serverRTPPort: number | undefined;
  /** Server's RTCP port (UDP transport only). */
  serverRTCPPort: number | undefined;
  /** SSRC of the RTP stream, once known. */
  ssrc: number | undefined;
  /** The group, ports and TTL the stream is sent to (multicast transport, or a passive track). */
  multicast: MulticastDelivery | undefined;
  /**
   * Brings {@link stats} up to date (set by the subsession that owns the stream; the server calls
   * it before reporting statistics).
   */
  updateStats: (() => void) | undefined;
  /** Statistics for this client. */
  readonly stats: StreamStats = {
    packets: 0,
    bytes: 0,
    fractionLost: undefined,
    cumulativeLost: undefined,
    jitterSeconds: undefined,
    rttSeconds: undefined,
    receiverReports: 0,
  };
  /** True between `startStream` and `pauseStream`/`deleteStream`. */
  playing = false;
  /** True after `deleteStream`. */
  deleted = false;

  constructor(clientSessionId: string, transport: ClientTransport) {
    super();
    this.clientSessionId = clientSessionId;
    this.transport = transport;
  }
}

/**
 * live555's ServerMediaSubsession: one track of a {@link ServerMediaSession} (a video or an audio
 * stream). It describes itself in SDP and creates, starts, pauses, seeks and deletes the stream
 * of each client that SETs it up.
 */
export abstract class ServerMediaSubsession {
  /** Set by {@link ServerMediaSession.addSubsession}: 1 for the first track. */
  trackNumber = 0;
  /** The session this track belongs to, once added. */
  parentSession: ServerMediaSession | undefined;

  /** The track's control name (`track1`, `track2`, …), used in `a=control` and SETUP URLs. */
  get trackId(): string {
    return `track${this.trackNumber}`;
  }

  /**
   * This track's `m=` section as data for the SDP writer (media type, payload type, rtpmap, fmtp,
   * bandwidth, `a=control` = {@link trackId}).
   */
  abstract sdpMedia(): Promise<SDPMediaInit>;

  /**
   * The media-level SDP lines of this track (`m=`, `c=`, `b=`, `a=rtpmap`, `a=fmtp`,
   * `a=control`), each ending in CRLF, as live555's `sdpLines()`.
   */
  async sdpLines(): Promise<string> {
    const sdp = formatSDP({ sessionId: 0, name: '-', media: [await this.sdpMedia()] });
    return sdp.slice(sdp.indexOf('m='));
  }

  /**
   * Whether {@link getStreamParameters} takes a `multicast` {@link ClientTransport} (a server with
   * multicast configured offers it only for such tracks; others answer such a SETUP 461).
   */
  get supportsMulticast(): boolean {
    return false;
  }

  /**
   * True for a track that is always being sent to its own multicast group (a
   * {@link PassiveServerMediaSubsession}): every SETUP is answered with that group, whatever
   * transport it asked for, and the server's own multicast option is not needed.
   */
  get multicastOnly(): boolean {
    return false;
  }

  /** Duration of this track in seconds when known (a file), else `undefined` (live). */
  durationSeconds(): number | undefined {
    return undefined;
  }

  /**
   * Set up the stream of one client (SETUP): allocate what it needs (ports, a source and sink or
   * a place at a shared one) and return its state, with the server ports for a UDP transport.
   */
  abstract getStreamParameters(clientSessionId: string, transport: ClientTransport): Promise<ServerMediaStream>;

  /**
   * Start (or resume) sending to the client (PLAY). Returns the sequence number and RTP timestamp
   * of the next packet, for `RTP-Info`.
   */
  abstract startStream(stream: ServerMediaStream): Promise<StreamStartInfo>;

  /** Stop sending to the client until the next `startStream` (PAUSE). */
  abstract pauseStream(stream: ServerMediaStream): void;

  /**
   * Move the client's stream to normal play time `npt` seconds (PLAY with `Range:`). Returns the
   * time reached (e.g. a key frame at or before it), or `null` when this track cannot seek.
   * `endNpt` (the end of `Range: npt=a-b`), when given, is where playing is to stop; a track that
   * returns non-null honours it (its stream ends there as at the end of its source).
   */
  abstract seekStream(stream: ServerMediaStream, npt: number, endNpt?: number): number | null;

  /** The current play position of the stream in seconds (for `Range:` in a PLAY response). */
  abstract currentNPT(stream: ServerMediaStream): number;

  /** Hand an RTCP packet received on the client's interleaved channel to the stream's RTCP. */
  abstract handleIncomingRTCP(stream: ServerMediaStream, packet: Uint8Array): void;

  /** Release everything the client's stream holds (TEARDOWN, session reclaimed). Idempotent. */
  abstract deleteStream(stream: ServerMediaStream): void;

  /**
   * Take the serving server's defaults (called when the track's session is added to a server, or
   * the track to such a session). Default: ignored; on-demand tracks take the port range.
   */
  applyServerDefaults(_defaults: ServerDefaults): void {}

  /** Release what this track holds for all clients (the session is being removed). */
  close(): void {}
}
