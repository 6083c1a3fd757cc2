import type { Socket as UDPSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { EventEmitter } from 'eventemitter3';

/** Where one client receives: a UDP address and port, or an interleaved channel of its connection. */
export type FanoutDestination =
  | { readonly kind: 'udp'; readonly address: string; readonly port: number }
  | {
      readonly kind: 'tcp';
      readonly channel: { sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean };
      readonly channelId: number;
    };

/** Options of a {@link ServerFanout}. */
export interface ServerFanoutOptions {
  /**
   * While the fanout has exactly one destination, a UDP one given as an address literal,
   * `connect()` its socket to that destination and send without an address (default false): Node
   * then skips its per-send lookup and checks, and the kernel its route lookup. Only for a socket
   * used by this fanout alone: a connected socket receives only from that destination (so not for
   * RTCP, whose reports may come from elsewhere). A connected socket also hears the client's ICMP
   * "port unreachable" as an `'error'`: the fanout listens for it and then goes back to sending
   * with an address (which hears no ICMP) until its destinations change, so a vanished client
   * costs one error, not one per packet.
   */
  connectSoleDestination?: boolean;
}

/** Events of a {@link ServerFanout}. */
export interface ServerFanoutEvents {
  /** A packet arrived (on the UDP socket, or injected from an interleaved channel). */
  packet: [data: Uint8Array, from: string];
}

/**
 * The sending end of one server stream (RTP or RTCP): every packet handed to {@link send} goes,
 * as the same chunks (no concatenation, no copy), to every destination — each client's UDP
 * address:port through the stream's socket, each interleaved client through its RTSP connection.
 * Packetize once, fan out many. Incoming packets are re-emitted as `'packet'` events (what
 * RTCPInstance listens to).
 */
export class ServerFanout extends EventEmitter<ServerFanoutEvents> {
  #socket: UDPSocket | undefined;
  #socket6: UDPSocket | undefined;
  readonly #destinations: FanoutDestination[] = [];
  /**
   * Per destination (same index): 0 an interleaved one, else a UDP one — 4 or 6 for an IPv4 or
   * IPv6 literal (sent without a callback), 1 for a host name (sent with one: a failed lookup
   * must not become the socket's `'error'`). Worked out once, not per packet.
   */
  readonly #kinds: number[] = [];
  /** Packets handed to {@link send}. */
  packetsSent = 0;
  /** Sends refused by a full interleaved queue, or to a UDP destination with no socket of its family. */
  packetsDropped = 0;
  #closed = false;
  readonly #connectSole: boolean;
  /** The socket connected to the sole destination (sends to it carry no address), if any. */
  #connected: UDPSocket | undefined;
  /** The sole destination refused (ICMP): no connecting again until the destinations change. */
  #refused = false;
  readonly #onSocketError = (err: NodeJS.ErrnoException): void => {
    if (this.#connected === undefined || err.code !== 'ECONNREFUSED') return;
    this.#refused = true;
    this.#updateConnection();
  };

  constructor(socket?: UDPSocket, options: ServerFanoutOptions = {}) {
    super();
    this.#connectSole = options.connectSoleDestination === true;
    if (socket) this.attachSocket(socket);
  }

  /**
   * Send UDP destinations' packets through `socket` (bound later than the fanout is made), and
   * listen on it. A fanout takes one bound socket per address family: IPv6 destinations go out
   * through the IPv6 one, IPv4 destinations through the IPv4 one. Make the socket with groupsock's `literalLookup` (`createSocket({ type, lookup:
   * literalLookup })`): with Node's default lookup every send waits for the next tick, so
   * {@link send} could not tell that Node still holds a packet's bytes.
   */
  attachSocket(socket: UDPSocket): void {
    // One socket per address family: a shared stream may serve IPv4 and IPv6 clients at once.
    let v6 = false;
    try {
      v6 = socket.address().family === 'IPv6';
    } catch {
      /* not bound yet: taken as the IPv4 socket */
    }
    if (v6) this.#socket6 = socket;
    else this.#socket = socket;
    socket.on('message', (msg: Buffer, rinfo) => {
      if (!this.#closed) this.emit('packet', msg, `${rinfo.address}:${rinfo.port}`);
    });
    if (this.#connectSole) socket.on('error', this.#onSocketError);
    this.#updateConnection();
  }

  /** The socket a UDP destination of kind 1, 4 or 6 (see #kinds) is sent through, if any. */
  #socketFor(d: { address: string }, kind: number): UDPSocket | undefined {
    // An IPv6 literal (IPv4-mapped ones too) goes through the IPv6 socket, an IPv4 one through the
    // IPv4 socket (with only a socket of the other family, the send fails, swallowed).
    return kind === 6 || (kind === 1 && d.address.includes(':')) ? (this.#socket6 ?? this.#socket) : (this.#socket ?? this.#socket6);
  }

  /** Connect the socket to a sole literal UDP destination, or disconnect it when that is no longer the case. */
  #updateConnection(): void {
    if (!this.#connectSole) return;
    const d = this.#destinations.length === 1 ? this.#destinations[0]! : undefined;
    const kind = this.#kinds[0];
    const want = d !== undefined && d.kind === 'udp' && (kind === 4 || kind === 6) && !this.#closed && !this.#refused ? this.#socketFor(d, kind) : undefined;
    const connected = this.#connected;
    if (connected !== undefined) {
      if (connected === want) return; // the same sole destination (a destination cannot change)
      this.#connected = undefined;
      try {
        connected.disconnect();
      } catch {
        /* closed, or not connected after all */
      }
    }
    if (want === undefined || d === undefined || d.kind !== 'udp') return;
    try {
      want.address(); // connect() on a socket not bound yet would complete later: not then
    } catch {
      return;
    }
    try {
      // With an address literal (and groupsock's literalLookup) Node connects inside connect().
      want.connect(d.port, d.address, swallow);
    } catch {
      return; // e.g. connected by someone else: keep sending with an address
    }
    try {
      want.remoteAddress(); // throws unless connected now
      this.#connected = want;
    } catch {
      // Still under way (a lookup that answers later): sends with an address would then throw,
      // so undo the connection when it completes.
      want.once('connect', () => {
        if (this.#connected === want) return;
        try {
          want.disconnect();
        } catch {
          /* gone */
        }
      });
    }
  }

  /** Destinations currently receiving. */
  get destinations(): readonly FanoutDestination[] {
    return this.#destinations;
  }

  addDestination(d: FanoutDestination): void {
    this.#destinations.push(d);
    this.#kinds.push(d.kind === 'tcp' ? 0 : isIP(d.address) === 0 ? 1 : d.address.includes(':') ? 6 : 4);
    this.#refused = false;
    this.#updateConnection();
  }

  removeDestination(d: FanoutDestination): void {
    const i = this.#destinations.indexOf(d);
    if (i >= 0) {
      this.#destinations.splice(i, 1);
      this.#kinds.splice(i, 1);
      this.#refused = false;
      this.#updateConnection();
    }
  }

  /**
   * Send one packet, given as chunks (header, payload views), to every destination. Returns true
   * when a UDP send was queued by Node (the kernel buffer was full, or a destination is a host name
   * still being looked up): the socket then still holds
   * the chunks, so the caller must not write into them again (an RTP sink takes a fresh header).
   * Interleaved sends copy, so they never hold the chunks.
   */
  send(chunks: readonly Uint8Array[]): boolean {
    if (this.#closed) return false;
    this.packetsSent++;
    let udp4 = false;
    let udp6 = false;
    // A host name is looked up before Node sends: the chunks are held until then, whatever the queue says.
    let lookup = false;
    const destinations = this.#destinations;
    // One chunk (an RTP sink's whole packet) is sent as it is: Node's dgram makes a Buffer object
    // per chunk of a list, and a new array for them, on every send.
    const msg = chunks.length === 1 ? chunks[0]! : (chunks as Uint8Array[]);
    for (let i = 0; i < destinations.length; i++) {
      const d = destinations[i]!;
      const kind = this.#kinds[i]!;
      if (d.kind === 'udp') {
        const socket = this.#socketFor(d, kind);
        if (socket) {
          // To a literal, no callback: with one, Node queues a tick per packet to call it. Without
          // one, a failed send is dropped silently, as `swallow` would; only a failed host-name
          // lookup would be emitted as the socket's 'error', hence the callback for those.
          if (socket === this.#connected) socket.send(msg);
          else if (kind === 1) {
            socket.send(msg, d.port, d.address, swallow);
            lookup = true;
          }
          else socket.send(msg, d.port, d.address);
          if (socket === this.#socket6) udp6 = true;
          else udp4 = true;
        } else this.packetsDropped++;
      } else if (!d.channel.sendInterleaved(d.channelId, chunks)) {
        this.packetsDropped++;
      }
    }
    // A send that could not go out at once waits in Node's queue with references to the chunks.
    return lookup || (udp4 && queued(this.#socket)) || (udp6 && queued(this.#socket6));
  }

  /** Feed a packet received elsewhere (an interleaved channel) as if it arrived here. */
  inject(data: Uint8Array, from: string): void {
    if (!this.#closed) this.emit('packet', data, from);
  }

  close(): void {
    this.#closed = true;
    this.#connected = undefined;
    this.#destinations.length = 0;
    this.#kinds.length = 0;
    this.removeAllListeners();
  }
}

function queued(socket: UDPSocket | undefined): boolean {
  try {
    return socket !== undefined && socket.getSendQueueCount() > 0;
  } catch {
    return false; // the socket was closed under us: nothing can be queued on it
  }
}

function swallow(): void {
  // UDP send errors (ICMP unreachable on loopback, a vanished client) are not the server's to raise.
}
