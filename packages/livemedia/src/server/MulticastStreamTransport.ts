import createDebug from 'debug';
import { Groupsock } from '@dorsvr/groupsock';
import type { TaskScheduler } from '@dorsvr/scheduler';
import { RTCPInstance, type RTCPTransport } from '../rtcp/RTCPInstance.js';
import type { RTPPacketSender } from '../rtp/RTPSink.js';
import type { ServerMediaStream } from './ServerMediaSubsession.js';
import { StreamTransport, type RTPSinkLike } from './StreamTransport.js';
import type { MulticastAllocation } from './MulticastAddressPool.js';

const debug = createDebug('dorsvr:livemedia:multicast');

/** What a {@link MulticastStreamTransport} is made with. */
export interface MulticastStreamTransportOptions {
  scheduler: TaskScheduler;
  cname: string;
  /** The group, ports and TTL (from a {@link MulticastAddressPool}). */
  allocation: MulticastAllocation;
  /** Local IPv4 address of the interface the packets leave by (set on the socket, never left to routing). */
  interfaceAddress: string;
  /** Called once when the transport closes (the pool takes the group back). */
  onClose?: () => void;
}

/**
 * The network side of a stream sent once to a multicast group, whoever watches it: RTP to
 * `group:rtpPort` and RTCP sender reports to `group:rtcpPort` through sockets bound on the
 * configured interface, with its TTL. Readers' receiver reports, heard on the group's RTCP port,
 * are signs of life of the readers whose address sent them. Readers joining or leaving change
 * nothing on the wire.
 */
export class MulticastStreamTransport extends StreamTransport {
  readonly ready: Promise<void>;
  readonly rtpInterface: RTPPacketSender;
  /** The group's RTP port. */
  readonly rtpPort: number;
  /** The group's RTCP port. */
  readonly rtcpPort: number;
  /** The group, ports and TTL. */
  readonly allocation: MulticastAllocation;
  /** The interface address packets leave by (the `source=` of SSM readers). */
  readonly interfaceAddress: string;
  readonly #scheduler: TaskScheduler;
  readonly #cname: string;
  #rtp: Groupsock | undefined;
  #rtcpSocket: Groupsock | undefined;
  #rtcp: RTCPInstance | undefined;
  readonly #clients = new Set<ServerMediaStream>();
  #onClose: (() => void) | undefined;
  #ssrc: number | undefined;
  #closed = false;

  constructor(options: MulticastStreamTransportOptions) {
    super();
    this.#scheduler = options.scheduler;
    this.#cname = options.cname;
    this.allocation = options.allocation;
    this.interfaceAddress = options.interfaceAddress;
    this.rtpPort = options.allocation.rtpPort;
    this.rtcpPort = options.allocation.rtcpPort;
    this.#onClose = options.onClose;
    this.rtpInterface = { send: (chunks) => this.#rtp?.send(chunks) ?? false };
    this.ready = this.#open();
    this.ready.catch(() => this.close());
  }

  /** RTP datagrams sent to the group so far (one per packet, whatever the number of readers). */
  get packetsSent(): number {
    return this.#rtp?.packetsSent ?? 0;
  }

  async #open(): Promise<void> {
    const { group, rtpPort, rtcpPort, ttl } = this.allocation;
    const iface = this.interfaceAddress;
    // Loopback on: readers on this host (and in the tests, in the same namespace) get the packets.
    const common = { type: 'udp4' as const, multicastTTL: ttl, multicastInterface: iface, multicastLoopback: true };
    const rtp = await Groupsock.create({ ...common, address: iface, port: 0, destinations: [{ address: group, port: rtpPort }] });
    let rtcp: Groupsock | undefined;
    try {
      // Readers send their receiver reports to the group's RTCP port: listen there, on the interface.
      rtcp = await Groupsock.create({ ...common, port: rtcpPort, reuseAddr: true, destinations: [{ address: group, port: rtcpPort }] });
      rtcp.joinGroup(group, iface);
    } catch (err) {
      await Promise.all([rtp.close(), rtcp?.close()]);
      throw err;
    }
    for (const s of [rtp, rtcp]) s.on('error', (err) => debug('%s: %s', group, err.message));
    if (this.#closed) {
      void rtp.close();
      void rtcp.close();
      return;
    }
    this.#rtp = rtp;
    this.#rtcpSocket = rtcp;
    rtcp.on('packet', (data, from) => {
      // Our own reports come back (loopback on): their sender SSRC is our sink's.
      if (data.length < 8 || (this.#ssrc !== undefined && data.readUInt32BE(4) === this.#ssrc)) return;
      // A reader's address as its RTSP connection gave it may be IPv4-mapped (a dual-stack listener).
      for (const c of this.#clients) {
        if (c.transport.mode === 'multicast' && unmapped(c.transport.clientAddress) === from.address) c.emit('rtcp');
      }
    });
    debug('sending to %s ports %d-%d ttl %d via %s', group, rtpPort, rtcpPort, ttl, iface);
  }

  override attachSink(sink: RTPSinkLike): void {
    this.#ssrc = sink.ssrc;
    if (this.#rtcp || !this.#rtcpSocket) return;
    this.#rtcp = new RTCPInstance({
      scheduler: this.#scheduler,
      rtcpInterface: this.#rtcpSocket as unknown as RTCPTransport,
      sink,
      cname: this.#cname,
    });
  }

  override registerClient(stream: ServerMediaStream): void {
    this.#clients.add(stream);
  }

  override unregisterClient(stream: ServerMediaStream): void {
    this.#clients.delete(stream);
  }

  /** Nothing per reader: the stream goes to the group. */
  override addDestination(_stream: ServerMediaStream): void {}

  /** Nothing per reader: the stream goes to the group. */
  override removeDestination(_stream: ServerMediaStream): void {}

  override handleIncomingRTCP(_stream: ServerMediaStream, packet: Uint8Array): void {
    this.#rtcp?.injectPacket(packet);
  }

  override sendBye(): void {
    this.#rtcp?.close();
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtcp?.close();
    void this.#rtp?.close();
    void this.#rtcpSocket?.close();
    this.#clients.clear();
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
