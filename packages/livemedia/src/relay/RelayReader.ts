import { randomBytes } from 'node:crypto';
import type { Socket as UDPSocket } from 'node:dgram';
import { EventEmitter } from 'eventemitter3';
import type { RTCPInstance, RTCPSenderSide } from '../rtcp/RTCPInstance.js';
import type { ServerMediaStream } from '../server/ServerMediaSubsession.js';
import type { RelaySocketPair } from './RelaySocketPair.js';

/** Where a reader is in its stream. */
export type RelayReaderState =
  /** Set up, or paused: nothing is sent. */
  | 'idle'
  /** Playing, waiting for a packet to start at (an H.264/H.265 key frame). */
  | 'waiting'
  /** Receiving every packet. */
  | 'live';

/** An RTSP connection that carries a reader's `$`-interleaved packets. */
export interface InterleavedTarget {
  sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean;
}

/**
 * One reader of a relay track: its own RTP stream (SSRC, sequence numbers and timestamps mapped
 * from the publisher's by per-reader offsets), its destination (a UDP address and port pair,
 * reached from the track's server port pair, or the interleaved channels of its RTSP connection),
 * its 12-byte RTP header rewritten in place per packet, its counts, and its RTCP (an
 * {@link RTCPInstance} sending it sender reports and reading its receiver reports).
 *
 * Made and driven by a {@link RelayTrack}; users meet it only through the track's `readers`.
 */
export class RelayReader implements RTCPSenderSide {
  /** The server's stream of this reader. */
  readonly stream: ServerMediaStream;
  /** This reader's SSRC (random, fixed at SETUP). */
  readonly ssrc: number;
  /** RTP clock rate of the track. */
  readonly rtpTimestampFrequency: number;
  /** Where the reader is. */
  state: RelayReaderState = 'idle';
  /** The header written per packet (bytes 8–11, the SSRC, written once). */
  header: Uint8Array;
  /** Reader sequence number = publisher's + this, modulo 2^16. */
  seqOffset = 0;
  /** Reader RTP timestamp = publisher's + this, modulo 2^32. */
  tsOffset = 0;
  /** Sequence number of the next packet this reader is sent when it (re)starts. */
  nextSeq: number;
  /** RTP timestamp the first packet after a (re)start carries (what `RTP-Info` promised). */
  startRtpTime: number;
  /** The publisher's sequence number of the first packet relayed to this reader since it (re)started. */
  startPublisherSeq = 0;
  /** Scheduler time the current wait for a key frame began. */
  waitingSinceUs = 0;
  /** RTP packets sent to this reader. */
  packetCount = 0;
  /** RTP payload octets sent to this reader. */
  octetCount = 0;
  /** Packets not sent: refused by an interleaved connection (its queue was full) or failed to send. */
  droppedPackets = 0;
  /** UDP: the socket (the track's RTP socket of the reader's family), address and ports. */
  readonly udpSocket: UDPSocket | undefined;
  readonly udpPair: RelaySocketPair | undefined;
  readonly address: string | undefined;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** TCP: the reader's RTSP connection and channels. */
  readonly channel: InterleavedTarget | undefined;
  readonly rtpChannel: number;
  readonly rtcpChannel: number;
  /** The reader's RTCP, from its first PLAY to its teardown. */
  rtcp: RTCPInstance | undefined;
  /** What the RTCPInstance listens to: RTCP from this reader. */
  readonly rtcpIn = new EventEmitter<{ packet: [data: Uint8Array, from?: unknown] }>();
  readonly #timestampAt: (reader: RelayReader, nowUs: number) => number;

  constructor(
    stream: ServerMediaStream,
    rtpTimestampFrequency: number,
    pair: RelaySocketPair | undefined,
    timestampAt: (reader: RelayReader, nowUs: number) => number,
  ) {
    const r = randomBytes(10);
    this.stream = stream;
    this.ssrc = r.readUInt32BE(0);
    this.nextSeq = r.readUInt16BE(4);
    this.startRtpTime = r.readUInt32BE(6);
    this.rtpTimestampFrequency = rtpTimestampFrequency;
    this.header = this.freshHeader();
    this.#timestampAt = timestampAt;
    const t = stream.transport;
    if (t.mode === 'udp') {
      this.udpPair = pair;
      this.udpSocket = pair?.rtp;
      this.address = t.clientAddress;
      this.rtpPort = t.clientRTPPort;
      this.rtcpPort = t.clientRTCPPort;
      this.channel = undefined;
      this.rtpChannel = -1;
      this.rtcpChannel = -1;
    } else {
      this.udpPair = undefined;
      this.udpSocket = undefined;
      this.address = undefined;
      this.rtpPort = 0;
      this.rtcpPort = 0;
      this.channel = t.channel;
      this.rtpChannel = t.rtpChannel;
      this.rtcpChannel = t.rtcpChannel;
    }
  }

  /** A new header buffer with this reader's SSRC (the old one is still held by a queued send). */
  freshHeader(): Uint8Array {
    const h = new Uint8Array(12);
    const s = this.ssrc;
    h[8] = s >>> 24;
    h[9] = s >>> 16;
    h[10] = s >>> 8;
    h[11] = s;
    return h;
  }

  /** Send one RTP packet (as chunks) to this reader. A send that fails is counted, never thrown. */
  sendRTP(chunks: Uint8Array[]): void {
    try {
      const socket = this.udpSocket;
      if (socket !== undefined) socket.send(chunks, this.rtpPort, this.address);
      else if (!this.channel!.sendInterleaved(this.rtpChannel, chunks)) this.droppedPackets++;
    } catch {
      this.droppedPackets++; // a socket closed under us, a datagram too large: this reader loses it
    }
  }

  /** Send one RTCP packet to this reader (what its RTCPInstance sends through). */
  send(chunks: readonly Uint8Array[]): void {
    const pair = this.udpPair;
    if (pair !== undefined) pair.rtcp.send(chunks as Uint8Array[], this.rtcpPort, this.address);
    else this.channel?.sendInterleaved(this.rtcpChannel, chunks);
  }

  on(event: 'packet', listener: (data: Uint8Array, from?: unknown) => void): this {
    this.rtcpIn.on(event, listener);
    return this;
  }

  off(event: 'packet', listener: (data: Uint8Array, from?: unknown) => void): this {
    this.rtcpIn.off(event, listener);
    return this;
  }

  /** This reader's RTP timestamp at scheduler time `nowUs` (for its sender reports). */
  rtpTimestampAt(nowUs: number): number {
    return this.#timestampAt(this, nowUs);
  }
}
