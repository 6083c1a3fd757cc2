import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { EventEmitter } from 'eventemitter3';
import createDebug from 'debug';
import { DorsvrError } from '@dorsvr/scheduler';
import { literalLookup } from './literalLookup.js';
import {
  anyAddress,
  formatHostPort,
  isMulticastAddress,
  socketTypeFor,
  type UDPEndpoint,
  type UDPSocketType,
} from './NetAddress.js';

const debug = createDebug('dorsvr:groupsock:socket');

/** Largest UDP payload over IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8, no jumbograms). */
const MAX_UDP4_PAYLOAD = 65_507;
const MAX_UDP6_PAYLOAD = 65_527;

/** Who sent a received datagram (Node's `RemoteInfo`, passed through without copying). */
export interface SenderAddress {
  /** Sender's IP literal. */
  address: string;
  /** Sender's port. */
  port: number;
  /** `'IPv4'` or `'IPv6'`. */
  family: 'IPv4' | 'IPv6';
  /** Datagram size in bytes. */
  size: number;
}

/** Events a {@link Groupsock} emits. */
export interface GroupsockEvents {
  /** A datagram arrived. `data` is a fresh Buffer owned by the listener. */
  packet: [data: Buffer, from: SenderAddress];
  /** A socket-level error after binding (e.g. a send the kernel refused); the socket stays open. */
  error: [err: DorsvrError];
  /** The socket was closed. */
  close: [];
}

/** Options for {@link Groupsock.create}. */
export interface GroupsockOptions {
  /** `'udp4'` or `'udp6'`; by default taken from `address`, else IPv4. */
  type?: UDPSocketType;
  /** Local address to bind; the wildcard (`0.0.0.0` / `::`) by default. */
  address?: string;
  /** Local port; 0 (the default) lets the OS choose. */
  port?: number;
  /** SO_REUSEADDR, so several receivers can share a multicast port. Off by default, so that a port in use is detected. */
  reuseAddr?: boolean;
  /** For `'udp6'`: refuse IPv4-mapped traffic. */
  ipv6Only?: boolean;
  /** SO_RCVBUF in bytes (the kernel may cap it). */
  recvBufferSize?: number;
  /** SO_SNDBUF in bytes (the kernel may cap it). */
  sendBufferSize?: number;
  /** Multicast TTL (hop limit) for sent packets. */
  multicastTTL?: number;
  /** Whether this host's own group members receive what we send to a group. */
  multicastLoopback?: boolean;
  /** Local address of the interface multicast packets leave by. */
  multicastInterface?: string;
  /** Destinations to start with. */
  destinations?: readonly UDPEndpoint[];
  /**
   * Report failures the kernel returns for individual sends (e.g. ENETUNREACH) as `'error'`
   * events. Off by default: it costs a completion callback per datagram. Oversized datagrams
   * are always reported.
   */
  reportSendErrors?: boolean;
}

function bindSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address, exclusive: true });
  });
}

/**
 * live555's Groupsock: one bound UDP socket (IPv4 or IPv6) that sends each packet to every one
 * of its destinations and reports what it receives as `'packet'` events.
 *
 * Sends are scatter/gather: pass the header and payload as separate chunks and the kernel gathers
 * them, so they are never copied together. Destinations are IP literals, resolved without the
 * event loop; a destination removed with {@link removeDestination} gets no packet from any later
 * `send`. Multicast: any-source ({@link joinGroup}) and source-specific ({@link joinSourceSpecificGroup})
 * membership, TTL, loopback and outgoing interface.
 *
 * @example
 * ```ts
 * import { Groupsock } from '@dorsvr/groupsock';
 *
 * const receiver = await Groupsock.create({ address: '127.0.0.1' });
 * const received = new Promise<Buffer>((resolve) => receiver.once('packet', (data) => resolve(data)));
 * const sender = await Groupsock.create({ address: '127.0.0.1', destinations: [{ address: '127.0.0.1', port: receiver.port }] });
 * sender.send([Buffer.from('head'), Buffer.from('payload')]); // one datagram, gathered by the kernel
 * console.log((await received).toString()); // headpayload
 * await Promise.all([sender.close(), receiver.close()]);
 * ```
 */
export class Groupsock extends EventEmitter<GroupsockEvents> {
  readonly #socket: Socket;
  readonly #type: UDPSocketType;
  #dests: readonly UDPEndpoint[] = [];
  #closing: Promise<void> | undefined;
  #onSent: ((err: Error | null) => void) | undefined;
  #address = '';
  #port = 0;
  /** Datagrams handed to the kernel (one per destination per send). */
  packetsSent = 0;
  /** Bytes handed to the kernel, counted per destination. */
  bytesSent = 0;
  /** Datagrams received. */
  packetsReceived = 0;
  /** Bytes received. */
  bytesReceived = 0;

  private constructor(socket: Socket, type: UDPSocketType) {
    super();
    this.#socket = socket;
    this.#type = type;
  }

  /**
   * Open and bind a socket. Rejects with a DorsvrError: `ERR_GROUPSOCK_ADDRESS_IN_USE` when the
   * port is taken, `ERR_GROUPSOCK_BIND` for any other bind failure, `ERR_GROUPSOCK_ADDRESS` for a
   * bad address.
   */
  static async create(options: GroupsockOptions = {}): Promise<Groupsock> {
    const type = options.type ?? (options.address !== undefined ? socketTypeFor(options.address) : 'udp4');
    const address = options.address ?? anyAddress(type);
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `invalid port ${port}`);
    }
    if (isIP(address) === 0 || socketTypeFor(address) !== type) {
      throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `bind address "${address}" is not an ${type === 'udp6' ? 'IPv6' : 'IPv4'} literal`);
    }
    const socket = createSocket({
      type,
      reuseAddr: options.reuseAddr ?? false,
      ipv6Only: options.ipv6Only ?? false,
      lookup: literalLookup as never,
    });
    try {
      await bindSocket(socket, port, address);
    } catch (err) {
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      const code = (err as NodeJS.ErrnoException).code;
      const where = formatHostPort(address, port);
      debug('bind %s failed: %s', where, code);
      throw code === 'EADDRINUSE'
        ? new DorsvrError('ERR_GROUPSOCK_ADDRESS_IN_USE', `UDP ${where} is in use`, { cause: err })
        : new DorsvrError('ERR_GROUPSOCK_BIND', `cannot bind UDP ${where}: ${(err as Error).message}`, { cause: err });
    }
    const gs = new Groupsock(socket, type);
    if (options.reportSendErrors) {
      // One callback for every send, not a closure per packet.
      gs.#onSent = (err) => {
        if (err) gs.emit('error', new DorsvrError('ERR_GROUPSOCK_SEND', `send failed: ${err.message}`, { cause: err }));
      };
    }
    const bound = socket.address();
    gs.#address = bound.address;
    gs.#port = bound.port;
    socket.on('message', (data, rinfo) => {
      gs.packetsReceived++;
      gs.bytesReceived += data.length;
      gs.emit('packet', data, rinfo as SenderAddress);
    });
    socket.on('error', (err) => {
      debug('%s: socket error %s', formatHostPort(gs.#address, gs.#port), (err as NodeJS.ErrnoException).code ?? err.message);
      gs.emit('error', new DorsvrError('ERR_GROUPSOCK_SOCKET', `UDP socket ${formatHostPort(gs.#address, gs.#port)}: ${err.message}`, { cause: err }));
    });
    try {
      if (options.recvBufferSize !== undefined) socket.setRecvBufferSize(options.recvBufferSize);
      if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
      if (options.multicastTTL !== undefined) gs.setMulticastTTL(options.multicastTTL);
      if (options.multicastLoopback !== undefined) gs.setMulticastLoopback(options.multicastLoopback);
      if (options.multicastInterface !== undefined) gs.setMulticastInterface(options.multicastInterface);
      for (const d of options.destinations ?? []) gs.addDestination(d.address, d.port);
    } catch (err) {
      await gs.close();
      throw err instanceof DorsvrError ? err : new DorsvrError('ERR_GROUPSOCK_BIND', `cannot configure UDP socket: ${(err as Error).message}`, { cause: err });
    }
    debug('bound %s', formatHostPort(gs.#address, gs.#port));
    return gs;
  }

  /** `'udp4'` or `'udp6'`. */
  get type(): UDPSocketType {
    return this.#type;
  }

  /** The bound local address. */
  get address(): string {
    return this.#address;
  }

  /** The bound local port (the OS's choice when bound to port 0). */
  get port(): number {
    return this.#port;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Current destinations (a snapshot; changing it changes nothing). */
  get destinations(): readonly UDPEndpoint[] {
    return this.#dests;
  }

  /**
   * Send every later packet also to `address:port` (an IP literal of this socket's family).
   * Returns false when it already was a destination.
   */
  addDestination(address: string, port: number): boolean {
    this.#checkEndpoint(address, port);
    if (this.#indexOf(address, port) >= 0) return false;
    this.#dests = [...this.#dests, { address, port }];
    debug('%s: + destination %s', this.#port, formatHostPort(address, port));
    return true;
  }

  /** Stop sending to `address:port`; no later `send` reaches it. Returns false when it was not a destination. */
  removeDestination(address: string, port: number): boolean {
    const i = this.#indexOf(address, port);
    if (i < 0) return false;
    this.#dests = this.#dests.filter((_, j) => j !== i);
    debug('%s: - destination %s', this.#port, formatHostPort(address, port));
    return true;
  }

  /** Forget every destination. */
  removeAllDestinations(): void {
    this.#dests = [];
  }

  /** True when `address:port` is a destination. */
  hasDestination(address: string, port: number): boolean {
    return this.#indexOf(address, port) >= 0;
  }

  /**
   * Send one datagram, made of `chunks` gathered in order, to every destination. The chunks are
   * not copied: normally the kernel takes them inside this call, so a caller may reuse a header
   * buffer as soon as it returns. Only when the socket's send buffer is full does Node queue a
   * datagram and read its chunks later; once anything is queued ({@link sendQueueCount} > 0) this
   * method gathers later datagrams into a private copy. Returns true when Node still holds the
   * chunks after this call (the datagram that filled the buffer): the caller must not write into
   * them until that send is done — what an RTP sink asks of its `rtpInterface`, so a Groupsock can
   * be one. False when the chunks are free again (sent, copied, no destination, or closed).
   */
  send(chunks: readonly Uint8Array[] | Uint8Array): boolean {
    const dests = this.#dests;
    if (this.#closing || dests.length === 0) return false;
    let held = false;
    for (const d of dests) if (this.#sendOne(chunks, d.port, d.address)) held = true;
    return held;
  }

  /** Send one datagram to `address:port` only (not to the destination list). Returns false after close. */
  sendTo(chunks: readonly Uint8Array[] | Uint8Array, address: string, port: number): boolean {
    if (this.#closing) return false;
    this.#checkEndpoint(address, port);
    this.#sendOne(chunks, port, address);
    return true;
  }

  /** One datagram; true when Node queued it with the caller's own chunks (not a copy). */
  #sendOne(chunks: readonly Uint8Array[] | Uint8Array, port: number, address: string): boolean {
    let size: number;
    if (chunks instanceof Uint8Array) size = chunks.byteLength;
    else {
      size = 0;
      for (const c of chunks) size += c.byteLength;
    }
    if (size > (this.#type === 'udp6' ? MAX_UDP6_PAYLOAD : MAX_UDP4_PAYLOAD)) {
      // Node drops these silently without a callback: say so, keep the socket.
      this.emit('error', new DorsvrError('ERR_GROUPSOCK_SEND', `datagram of ${size} bytes to ${formatHostPort(address, port)} is larger than UDP allows`));
      return false;
    }
    // Node queues behind an earlier datagram that is still waiting: give it a copy it may keep.
    const copied = this.#socket.getSendQueueCount() > 0;
    if (copied) chunks = Buffer.concat(chunks instanceof Uint8Array ? [chunks] : (chunks as Uint8Array[]), size);
    try {
      this.#socket.send(chunks as Uint8Array, port, address, this.#onSent);
      this.packetsSent++;
      this.bytesSent += size;
    } catch (err) {
      this.emit('error', new DorsvrError('ERR_GROUPSOCK_SEND', `send to ${formatHostPort(address, port)} failed: ${(err as Error).message}`, { cause: err }));
      return false;
    }
    // Sent inside the call (literal addresses), unless the kernel's buffer was full: then queued.
    return !copied && this.#socket.getSendQueueCount() > 0;
  }

  /** Join multicast `group` (any-source), on the interface with local address `interfaceAddress` (the OS's choice if omitted). */
  joinGroup(group: string, interfaceAddress?: string): void {
    this.#checkGroup(group);
    this.#multicast('join', group, () => this.#socket.addMembership(group, interfaceAddress));
  }

  /** Leave an any-source group joined with {@link joinGroup}. */
  leaveGroup(group: string, interfaceAddress?: string): void {
    this.#checkGroup(group);
    this.#multicast('leave', group, () => this.#socket.dropMembership(group, interfaceAddress));
  }

  /** Join `group`, receiving only what `source` sends to it (SSM, RFC 4607; IGMPv3/MLDv2). */
  joinSourceSpecificGroup(source: string, group: string, interfaceAddress?: string): void {
    this.#checkGroup(group);
    this.#checkLiteral(source);
    this.#multicast('join', `${source}→${group}`, () => this.#socket.addSourceSpecificMembership(source, group, interfaceAddress));
  }

  /** Leave a source-specific membership joined with {@link joinSourceSpecificGroup}. */
  leaveSourceSpecificGroup(source: string, group: string, interfaceAddress?: string): void {
    this.#checkGroup(group);
    this.#checkLiteral(source);
    this.#multicast('leave', `${source}→${group}`, () => this.#socket.dropSourceSpecificMembership(source, group, interfaceAddress));
  }

  /** TTL (IPv6 hop limit) of multicast packets we send, 0‥255. */
  setMulticastTTL(ttl: number): void {
    this.#multicast('set TTL', String(ttl), () => this.#socket.setMulticastTTL(ttl));
  }

  /** Whether members of the group on this host (this socket included) get our multicast packets. */
  setMulticastLoopback(on: boolean): void {
    this.#multicast('set loopback', String(on), () => this.#socket.setMulticastLoopback(on));
  }

  /** Send multicast through the interface with this local address (IPv6: `::%ifname` or a scope id). */
  setMulticastInterface(interfaceAddress: string): void {
    this.#multicast('set interface', interfaceAddress, () => this.#socket.setMulticastInterface(interfaceAddress));
  }

  /** Unicast TTL (hop limit) of packets we send, 1‥255. */
  setTTL(ttl: number): void {
    this.#multicast('set unicast TTL', String(ttl), () => this.#socket.setTTL(ttl));
  }

  /** Datagrams Node has queued because the socket's send buffer was full (0 in the normal case). */
  get sendQueueCount(): number {
    return this.#closing ? 0 : this.#socket.getSendQueueCount();
  }

  /** Let the process exit while this socket is open. */
  unref(): this {
    this.#socket.unref();
    return this;
  }

  /** Undo {@link unref}. */
  ref(): this {
    this.#socket.ref();
    return this;
  }

  /** Close the socket; resolves once the port can be bound again. Idempotent, safe to call concurrently. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#dests = [];
    this.#closing = new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // already closed underneath us
      }
    }).then(() => {
      debug('closed %s', formatHostPort(this.#address, this.#port));
      this.emit('close');
      this.removeAllListeners();
    });
    return this.#closing;
  }

  #indexOf(address: string, port: number): number {
    const d = this.#dests;
    for (let i = 0; i < d.length; i++) if (d[i]!.port === port && d[i]!.address === address) return i;
    return -1;
  }

  #checkLiteral(address: string): void {
    const fam = isIP(address);
    if (fam === 0 || (fam === 6) !== (this.#type === 'udp6')) {
      throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `"${address}" is not an ${this.#type === 'udp6' ? 'IPv6' : 'IPv4'} address`);
    }
  }

  #checkEndpoint(address: string, port: number): void {
    this.#checkLiteral(address);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `invalid destination port ${port}`);
    }
  }

  #checkGroup(group: string): void {
    this.#checkLiteral(group);
    if (!isMulticastAddress(group)) throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `"${group}" is not a multicast address`);
  }

  #multicast(what: string, arg: string, f: () => void): void {
    if (this.#closing) throw new DorsvrError('ERR_GROUPSOCK_CLOSED', `cannot ${what} ${arg}: socket closed`);
    try {
      f();
      debug('%s: %s %s', this.#port, what, arg);
    } catch (err) {
      throw new DorsvrError('ERR_GROUPSOCK_MULTICAST', `cannot ${what} ${arg}: ${(err as Error).message}`, { cause: err });
    }
  }
}
