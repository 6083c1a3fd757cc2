import type { Socket as UDPSocket } from 'node:dgram';
import createDebug from 'debug';
import { bindServerPortPair } from '../server/DefaultStreamTransport.js';
import type { PortRange } from '../server/StreamTransport.js';

const debug = createDebug('dorsvr:livemedia:relay');

/**
 * The server port pair one relay track sends its UDP readers from (one per address family): RTP
 * out of the even port, RTCP out of and into the odd one. Bound like every server stream's pair
 * (from the server port base, with groupsock's `literalLookup`, so a send to a reader goes out
 * inside `send()` and a queued one shows in the send queue count).
 */
export class RelaySocketPair {
  readonly rtp: UDPSocket;
  readonly rtcp: UDPSocket;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** RTCP from a reader: its bytes and where it came from. */
  onRTCP: ((data: Uint8Array, address: string, port: number) => void) | undefined;
  #closed = false;

  private constructor(rtp: UDPSocket, rtcp: UDPSocket, rtpPort: number) {
    this.rtp = rtp;
    this.rtcp = rtcp;
    this.rtpPort = rtpPort;
    this.rtcpPort = rtpPort + 1;
    for (const s of [rtp, rtcp]) s.on('error', (err) => debug('relay socket error: %s', err.message));
    // Readers send nothing on RTP (some send a packet to open a NAT): read and drop.
    rtp.on('message', () => {});
    rtcp.on('message', (msg: Buffer, rinfo) => {
      if (!this.#closed) this.onRTCP?.(msg, rinfo.address, rinfo.port);
    });
  }

  /**
   * Bind a pair on the first free even/odd ports within `range`, or at or above `portBase`
   * (default 6970) without one. Rejects with `ERR_PORT_RANGE_EXHAUSTED` (453) when none is free.
   */
  static async bind(family: 'udp4' | 'udp6', portBase?: number, range?: PortRange): Promise<RelaySocketPair> {
    const { rtp, rtcp, rtpPort } = await bindServerPortPair(family, portBase, range);
    return new RelaySocketPair(rtp, rtcp, rtpPort);
  }

  /** True when Node still queues a send on the RTP socket (the kernel's buffer was full). */
  rtpSendQueued(): boolean {
    try {
      return this.rtp.getSendQueueCount() > 0;
    } catch {
      return false; // closed under us: nothing can be queued on it
    }
  }

  /** Close both sockets. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onRTCP = undefined;
    for (const s of [this.rtp, this.rtcp]) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
  }
}
