import createDebug from 'debug';
import type { PortPair } from '@dorsvr/groupsock';
import type { SenderAddress } from '@dorsvr/groupsock';

const debug = createDebug('dorsvr:rtspserver:publish');

/** Where a published track's packets go (livemedia's `RelayTrack` has this shape). */
export interface PublishedTrackSink {
  /** One RTP packet from the publisher; the sink may keep `packet` (it is never reused here). */
  pushRTP(packet: Uint8Array): void;
  /** One RTCP compound packet from the publisher. */
  pushRTCP(packet: Uint8Array): void;
}

/** Counters of one {@link PublisherTrackInput}. */
export interface PublisherTrackInputStats {
  /** RTP packets handed to the relay. */
  rtpPackets: number;
  /** Bytes of those packets. */
  rtpBytes: number;
  /** RTCP packets handed to the relay. */
  rtcpPackets: number;
  /** RTCP packets sent back to the publisher (receiver reports, BYE). */
  rtcpSent: number;
  /** Packets dropped for being larger than the packet size limit. */
  oversized: number;
  /** UDP datagrams dropped because they came from another address than the publisher's. */
  foreign: number;
  /** RTP packets dropped because the publisher had PAUSEd this track (not relayed). */
  whilePaused: number;
}

/** How a publisher sends one track: a server UDP port pair, or two channels of its RTSP connection. */
export type PublisherTrackTransport =
  | {
      readonly mode: 'udp';
      /** The server port pair the publisher sends to (released by {@link PublisherTrackInput.close}). */
      readonly ports: PortPair;
      /** The publisher's IP address (from its RTSP connection); datagrams from elsewhere are dropped. */
      readonly publisherAddress: string;
      /** The publisher's RTCP port (`client_port`), where receiver reports go until RTCP arrives from elsewhere. */
      readonly publisherRTCPPort: number | undefined;
    }
  | {
      readonly mode: 'tcp';
      /** The publisher's RTSP connection. */
      readonly channel: { sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean };
      readonly rtpChannel: number;
      readonly rtcpChannel: number;
    };

/** Options of a {@link PublisherTrackInput}. */
export interface PublisherTrackInputOptions {
  /** Largest RTP or RTCP packet accepted, in bytes; larger ones are dropped and counted. */
  maxPacketSize: number;
  /** Called when a packet arrives (the publisher is alive), at most once per {@link lifeIntervalUs}. */
  onLife: () => void;
  /** Least time between two {@link onLife} calls, in µs (a small part of the session timeout). */
  lifeIntervalUs: number;
  /** The scheduler's clock in µs, to throttle {@link onLife}. */
  now: () => number;
}

/**
 * The receiving end of one published track (live555 has it inside its RTPSource's groupsock): RTP
 * and RTCP from the publisher, over the server's UDP port pair or the publisher's `$` channels, go
 * to the relay track as they came (no copy); RTCP the relay wants sent back (receiver reports, a
 * BYE) goes to the publisher. Oversized packets and UDP datagrams from other addresses are dropped
 * and counted, never thrown.
 */
export class PublisherTrackInput {
  readonly transport: PublisherTrackTransport;
  readonly stats: PublisherTrackInputStats = { rtpPackets: 0, rtpBytes: 0, rtcpPackets: 0, rtcpSent: 0, oversized: 0, foreign: 0, whilePaused: 0 };
  /**
   * The publisher PAUSEd this track (RFC 2326 §10.6: recording halts until the next RECORD): its
   * RTP is dropped, not relayed (and counted in `whilePaused`); its RTCP still reaches the relay
   * (the sender's clock), and either still counts as a sign of life.
   */
  paused = false;
  readonly #sink: PublishedTrackSink;
  readonly #options: PublisherTrackInputOptions;
  #lastLife = -Infinity;
  #rtcpTo: { address: string; port: number } | undefined;
  #closed: Promise<void> | undefined;
  readonly #onRTP = (data: Buffer, from: SenderAddress): void => {
    if (!this.#fromPublisher(from)) return;
    this.#rtp(data);
  };
  readonly #onRTCP = (data: Buffer, from: SenderAddress): void => {
    if (!this.#fromPublisher(from)) return;
    // Send our reports where the publisher's RTCP really comes from (a NAT may have moved it).
    if (this.#rtcpTo === undefined || this.#rtcpTo.port !== from.port) this.#rtcpTo = { address: from.address, port: from.port };
    this.#rtcp(data);
  };

  constructor(transport: PublisherTrackTransport, sink: PublishedTrackSink, options: PublisherTrackInputOptions) {
    this.transport = transport;
    this.#sink = sink;
    this.#options = options;
    if (transport.mode === 'udp') {
      if (transport.publisherRTCPPort !== undefined && transport.publisherRTCPPort > 0) {
        this.#rtcpTo = { address: transport.publisherAddress, port: transport.publisherRTCPPort };
      }
      transport.ports.rtp.on('packet', this.#onRTP);
      transport.ports.rtcp.on('packet', this.#onRTCP);
    }
  }

  /** Server RTP port (UDP), else undefined. */
  get serverRTPPort(): number | undefined {
    return this.transport.mode === 'udp' ? this.transport.ports.rtpPort : undefined;
  }

  /** Server RTCP port (UDP), else undefined. */
  get serverRTCPPort(): number | undefined {
    return this.transport.mode === 'udp' ? this.transport.ports.rtcpPort : undefined;
  }

  /** True when `channel` is one of this track's interleaved channels. */
  ownsChannel(channel: number): boolean {
    return this.transport.mode === 'tcp' && (channel === this.transport.rtpChannel || channel === this.transport.rtcpChannel);
  }

  /** A `$` frame from the publisher's connection on one of this track's channels. */
  handleInterleaved(channel: number, payload: Uint8Array): void {
    if (this.#closed || this.transport.mode !== 'tcp') return;
    if (channel === this.transport.rtpChannel) this.#rtp(payload);
    else if (channel === this.transport.rtcpChannel) this.#rtcp(payload);
  }

  /** Send an RTCP packet to the publisher (the relay's receiver reports, its BYE). */
  sendRTCP(packet: Uint8Array): void {
    if (this.#closed) return;
    const t = this.transport;
    if (t.mode === 'tcp') {
      if (t.channel.sendInterleaved(t.rtcpChannel, [packet])) this.stats.rtcpSent++;
      return;
    }
    const to = this.#rtcpTo;
    if (to === undefined) return;
    try {
      t.ports.rtcp.sendTo(packet, to.address, to.port);
      this.stats.rtcpSent++;
    } catch (err) {
      debug('RTCP to publisher %s:%d failed: %s', to.address, to.port, err instanceof Error ? err.message : String(err));
    }
  }

  /** Stop receiving and release the UDP port pair. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    const t = this.transport;
    if (t.mode === 'udp') {
      t.ports.rtp.off('packet', this.#onRTP);
      t.ports.rtcp.off('packet', this.#onRTCP);
      this.#closed = t.ports.release();
    } else {
      this.#closed = Promise.resolve();
    }
    return this.#closed;
  }

  #fromPublisher(from: SenderAddress): boolean {
    const t = this.transport;
    if (t.mode !== 'udp') return false;
    const a = from.address.startsWith('::ffff:') && from.address.includes('.') ? from.address.slice(7) : from.address;
    if (a === t.publisherAddress) return true;
    this.stats.foreign++;
    return false;
  }

  #rtp(packet: Uint8Array): void {
    if (packet.length > this.#options.maxPacketSize) {
      this.stats.oversized++;
      return;
    }
    this.#life();
    if (this.paused) {
      this.stats.whilePaused++;
      return;
    }
    this.stats.rtpPackets++;
    this.stats.rtpBytes += packet.length;
    this.#sink.pushRTP(packet);
  }

  #rtcp(packet: Uint8Array): void {
    if (packet.length > this.#options.maxPacketSize) {
      this.stats.oversized++;
      return;
    }
    this.stats.rtcpPackets++;
    this.#life();
    this.#sink.pushRTCP(packet);
  }

  #life(): void {
    const now = this.#options.now();
    if (now - this.#lastLife < this.#options.lifeIntervalUs) return;
    this.#lastLife = now;
    this.#options.onLife();
  }
}
