import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import createDebug from 'debug';
import { literalLookup } from '@dorsvr/groupsock';
import { DorsvrError, type TaskScheduler } from '@dorsvr/scheduler';
import { RTCPInstance, type RTCPReceptionReport, type RTCPTransport } from '../rtcp/RTCPInstance.js';
import type { ServerMediaStream } from './ServerMediaSubsession.js';
import { ServerFanout, type FanoutDestination } from './ServerFanout.js';
import {
  StreamTransport,
  type RTPSinkLike,
  type StreamTransportFactory,
  type StreamTransportRequest,
  type PortRange,
} from './StreamTransport.js';

const debug = createDebug('dorsvr:livemedia:server');

/** Server RTP ports start here (live555's default), RTP even, RTCP odd. */
export const DEFAULT_SERVER_PORT_BASE = 6970;
const PORT_TRIES = 2000;
/** Where the next search starts, per range (`min-max`): pairs are handed out round the range. */
const cursors = new Map<string, number>();

function bindUDP(port: number, family: 'udp4' | 'udp6'): Promise<UDPSocket | undefined> {
  return new Promise((resolve) => {
    // Sends to client addresses (literals) go out inside send(): ServerFanout relies on it to
    // tell whether Node still holds a packet's bytes.
    const s = createSocket({ type: family, reuseAddr: false, lookup: literalLookup as never });
    const onError = (): void => {
      s.close();
      resolve(undefined);
    };
    s.once('error', onError);
    s.bind(port, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

/**
 * Binds an RTP/RTCP socket pair on the first free even/odd pair at or after the range's cursor, as
 * live555's server does: from `base` (default {@link DEFAULT_SERVER_PORT_BASE}) up to 65535, or
 * within `range` when given (both ports of a pair inside it). Throws `ERR_PORT_RANGE_EXHAUSTED`
 * (RTSP status 453) when no pair is free, or `ERR_SERVER_PORT_RANGE` for a range that holds no pair.
 */
export async function bindServerPortPair(
  family: 'udp4' | 'udp6',
  base = DEFAULT_SERVER_PORT_BASE,
  range?: PortRange,
): Promise<{ rtp: UDPSocket; rtcp: UDPSocket; rtpPort: number }> {
  const { min, max } = checkPortRange(range ?? { min: base, max: 65535 });
  const first = min + (min % 2);
  const pairs = Math.floor((max - first + 1) / 2);
  const key = `${first}-${max}`;
  let next = cursors.get(key) ?? first;
  const tries = Math.min(PORT_TRIES, pairs);
  for (let i = 0; i < tries; i++) {
    if (next + 1 > max || next < first) next = first;
    const p = next;
    next = p + 2;
    cursors.set(key, next);
    const rtp = await bindUDP(p, family);
    if (!rtp) continue;
    const rtcp = await bindUDP(p + 1, family);
    if (!rtcp) {
      rtp.close();
      continue;
    }
    return { rtp, rtcp, rtpPort: p };
  }
  throw new DorsvrError('ERR_PORT_RANGE_EXHAUSTED', `no free UDP port pair in ${first}-${max}`, { status: 453 });
}

/**
 * `range` checked: integers, 1 ≤ min ≤ max ≤ 65535, room for one even/odd pair. Throws
 * `ERR_SERVER_PORT_RANGE` otherwise (a misconfiguration is refused loudly, never widened).
 */
export function checkPortRange(range: PortRange): PortRange {
  const { min, max } = range;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new DorsvrError('ERR_SERVER_PORT_RANGE', `bad UDP port range ${min}-${max}: want integers 1 ≤ min ≤ max ≤ 65535`);
  }
  if (min + (min % 2) + 1 > max) {
    throw new DorsvrError('ERR_SERVER_PORT_RANGE', `UDP port range ${min}-${max} holds no even/odd RTP/RTCP pair`);
  }
  return range;
}

interface ClientEntry {
  stream: ServerMediaStream;
  rtp: FanoutDestination;
  rtcp: FanoutDestination;
  /** `address:port` RTCP from this client arrives from (UDP). */
  rtcpFrom: string | undefined;
  address: string | undefined;
}

/**
 * The network side of a server stream as the server uses it by default: a UDP port pair (when
 * some client wants UDP), one {@link ServerFanout} for RTP and one for RTCP, and an
 * {@link RTCPInstance} sending sender reports to every playing client and turning their receiver
 * reports into per-client statistics and signs of life (`'rtcp'` on the client's stream).
 */
export class DefaultStreamTransport extends StreamTransport {
  readonly ready: Promise<void>;
  readonly rtpInterface: ServerFanout;
  readonly rtcpInterface: ServerFanout;
  rtpPort: number | undefined;
  rtcpPort: number | undefined;
  readonly #scheduler: TaskScheduler;
  readonly #cname: string;
  #rtcp: RTCPInstance | undefined;
  #sockets: UDPSocket[] = [];
  readonly #portBase: number | undefined;
  readonly #portRange: PortRange | undefined;
  /** Server ports of each address family bound (a shared stream binds a second pair for IPv6 clients). */
  readonly #pairs = new Map<'udp4' | 'udp6', Promise<{ rtpPort: number; rtcpPort: number } | undefined>>();
  readonly #clients = new Map<ServerMediaStream, ClientEntry>();
  #lastRTCPFrom: ClientEntry | undefined;
  #closed = false;

  constructor(request: StreamTransportRequest) {
    super();
    this.#scheduler = request.scheduler;
    this.#cname = request.cname;
    // RTP: an on-demand stream's one client gets a connected socket (cheaper sends); RTCP stays unconnected.
    this.rtpInterface = new ServerFanout(undefined, { connectSoleDestination: true });
    this.rtcpInterface = new ServerFanout();
    this.#portBase = request.portBase;
    this.#portRange = request.portRange;
    if (!request.udp) {
      this.ready = Promise.resolve();
    } else {
      const family = request.family ?? 'udp4';
      this.ready = this.#bindPair(family).then((ports) => {
        if (!ports) return;
        this.rtpPort = ports.rtpPort;
        this.rtcpPort = ports.rtcpPort;
      });
    }
    this.rtcpInterface.on('packet', (_data, from) => this.#noteRTCPFrom(from));
  }

  /** Bind a port pair of `family` once (undefined when the transport closed meanwhile). */
  #bindPair(family: 'udp4' | 'udp6'): Promise<{ rtpPort: number; rtcpPort: number } | undefined> {
    let pair = this.#pairs.get(family);
    if (pair === undefined) {
      pair = bindServerPortPair(family, this.#portBase, this.#portRange).then(({ rtp, rtcp, rtpPort }) => {
        if (this.#closed) {
          rtp.close();
          rtcp.close();
          return undefined;
        }
        this.#sockets.push(rtp, rtcp);
        for (const s of [rtp, rtcp]) s.on('error', (err) => debug('udp socket error: %s', err.message));
        this.rtpInterface.attachSocket(rtp);
        this.rtcpInterface.attachSocket(rtcp);
        return { rtpPort, rtcpPort: rtpPort + 1 };
      });
      pair.catch(() => this.#pairs.delete(family));
      this.#pairs.set(family, pair);
    }
    return pair;
  }

  /**
   * The server ports a UDP client of `family` sends to and receives from: this stream's pair of
   * that family, bound now if it has none (a shared stream serving IPv4 and IPv6 clients).
   * Rejects with `ERR_PORT_RANGE_EXHAUSTED` (status 453) when no pair can be bound (no IPv6 here).
   */
  override async serverPortsFor(family: 'udp4' | 'udp6'): Promise<{ rtpPort: number | undefined; rtcpPort: number | undefined }> {
    await this.ready;
    if (this.#pairs.size === 0) return { rtpPort: undefined, rtcpPort: undefined }; // interleaved only
    const ports = await this.#bindPair(family);
    return { rtpPort: ports?.rtpPort, rtcpPort: ports?.rtcpPort };
  }

  /** The RTCP instance of this stream, once the sink is attached. */
  get rtcp(): RTCPInstance | undefined {
    return this.#rtcp;
  }

  #noteRTCPFrom(from: string): void {
    // Called before the RTCPInstance's own listener (registered later), so its 'rr' events that
    // follow synchronously are attributed to this client.
    let entry: ClientEntry | undefined;
    if (this.#lastRTCPFrom?.rtcpFrom === from) entry = this.#lastRTCPFrom;
    else {
      for (const e of this.#clients.values()) if (e.rtcpFrom === from) entry = e;
      if (!entry) {
        const addr = from.slice(0, from.lastIndexOf(':'));
        for (const e of this.#clients.values()) if (e.address === addr) entry = e;
      }
    }
    this.#lastRTCPFrom = entry;
    entry?.stream.emit('rtcp');
  }

  override attachSink(sink: RTPSinkLike): void {
    if (this.#rtcp) return;
    this.#rtcp = new RTCPInstance({
      scheduler: this.#scheduler,
      rtcpInterface: this.rtcpInterface as unknown as RTCPTransport,
      sink,
      cname: this.#cname,
    });
    this.#rtcp.on('rr', (r: RTCPReceptionReport) => {
      const e = this.#lastRTCPFrom;
      if (!e) return;
      const st = e.stream.stats;
      st.receiverReports++;
      st.fractionLost = r.fractionLost;
      st.cumulativeLost = r.cumulativeLost;
      st.jitterSeconds = r.jitterSeconds;
      if (r.rttSeconds !== undefined) st.rttSeconds = r.rttSeconds;
    });
  }

  override registerClient(stream: ServerMediaStream): void {
    const t = stream.transport;
    if (t.mode === 'multicast') throw new DorsvrError('ERR_SERVER_NO_MULTICAST', 'a multicast reader is not a destination of a unicast stream', { status: 461 });
    const entry: ClientEntry =
      t.mode === 'udp'
        ? {
            stream,
            rtp: { kind: 'udp', address: t.clientAddress, port: t.clientRTPPort },
            rtcp: { kind: 'udp', address: t.clientAddress, port: t.clientRTCPPort },
            rtcpFrom: `${t.clientAddress}:${t.clientRTCPPort}`,
            address: t.clientAddress,
          }
        : {
            stream,
            rtp: { kind: 'tcp', channel: t.channel, channelId: t.rtpChannel },
            rtcp: { kind: 'tcp', channel: t.channel, channelId: t.rtcpChannel },
            rtcpFrom: undefined,
            address: undefined,
          };
    if (t.mode === 'udp' && this.#sockets.length === 0) {
      throw new DorsvrError('ERR_SERVER_NO_UDP', 'this stream has no UDP sockets', { status: 461 });
    }
    this.#clients.set(stream, entry);
  }

  override unregisterClient(stream: ServerMediaStream): void {
    this.removeDestination(stream);
    this.#clients.delete(stream);
    if (this.#lastRTCPFrom?.stream === stream) this.#lastRTCPFrom = undefined;
  }

  override addDestination(stream: ServerMediaStream): void {
    const e = this.#clients.get(stream);
    if (!e || this.rtpInterface.destinations.includes(e.rtp)) return;
    this.rtpInterface.addDestination(e.rtp);
    this.rtcpInterface.addDestination(e.rtcp);
  }

  override removeDestination(stream: ServerMediaStream): void {
    const e = this.#clients.get(stream);
    if (!e) return;
    this.rtpInterface.removeDestination(e.rtp);
    this.rtcpInterface.removeDestination(e.rtcp);
  }

  override handleIncomingRTCP(stream: ServerMediaStream, packet: Uint8Array): void {
    const e = this.#clients.get(stream);
    if (!e) return;
    this.#lastRTCPFrom = e;
    if (this.#rtcp) this.#rtcp.injectPacket(packet);
    this.#lastRTCPFrom = undefined;
  }

  override sendBye(): void {
    // RTCPInstance sends its BYE (after a last SR) when closed; it is not needed after the end.
    this.#rtcp?.close();
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtcp?.close();
    this.rtpInterface.close();
    this.rtcpInterface.close();
    for (const s of this.#sockets) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    this.#sockets = [];
    this.#clients.clear();
  }
}

/** The factory OnDemandServerMediaSubsession uses unless given another. */
export const defaultStreamTransportFactory: StreamTransportFactory = {
  create(request: StreamTransportRequest): StreamTransport {
    return new DefaultStreamTransport(request);
  },
};
