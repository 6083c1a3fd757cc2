import createDebug from 'debug';
import { DorsvrError, isDorsvrError } from '@dorsvr/scheduler';
import { Groupsock } from './Groupsock.js';
import { anyAddress, type UDPSocketType } from './NetAddress.js';

const debug = createDebug('dorsvr:groupsock:ports');

/** Options for {@link PortPairAllocator}. */
export interface PortPairAllocatorOptions {
  /** First port of the range; rounded up to even. Default 6970 (live555's server default). */
  start?: number;
  /** Last port of the range (inclusive). Default 65535. */
  end?: number;
  /** `'udp4'` (default) or `'udp6'`. */
  type?: UDPSocketType;
  /** Local address to bind both sockets to; the wildcard by default. */
  address?: string;
}

/** A bound RTP/RTCP socket pair: RTP on an even port, RTCP on the next (odd) one. */
export interface PortPair {
  /** The even port. */
  readonly rtpPort: number;
  /** `rtpPort + 1`. */
  readonly rtcpPort: number;
  /** Socket bound to {@link rtpPort}. */
  readonly rtp: Groupsock;
  /** Socket bound to {@link rtcpPort}. */
  readonly rtcp: Groupsock;
  /** Close both sockets and give the ports back to the allocator. Idempotent. */
  release(): Promise<void>;
}

/**
 * Hands out RTP/RTCP port pairs (even, even + 1) from a range, as an RTSP server does for each
 * SETUP. A pair is only handed out once both sockets are actually bound, so ports used by other
 * programs (or by another allocator over the same range) are skipped; released pairs are reused.
 * When no pair in the range can be bound, {@link allocate} rejects with `ERR_PORT_RANGE_EXHAUSTED`.
 */
export class PortPairAllocator {
  readonly start: number;
  readonly end: number;
  readonly #type: UDPSocketType;
  readonly #address: string;
  /** Even ports this allocator holds or is trying to bind right now. */
  readonly #held = new Set<number>();
  #cursor: number;

  constructor(options: PortPairAllocatorOptions = {}) {
    const start = options.start ?? 6970;
    const end = options.end ?? 65535;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end > 65535 || start + (start & 1) + 1 > end) {
      throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `invalid port range ${start}-${end} (it must hold at least one even/odd pair)`);
    }
    this.start = start + (start & 1);
    this.end = end;
    this.#type = options.type ?? 'udp4';
    this.#address = options.address ?? anyAddress(this.#type);
    this.#cursor = this.start;
  }

  /** Number of pairs in the range. */
  get capacity(): number {
    return Math.floor((this.end - this.start + 1) / 2);
  }

  /** Number of pairs this allocator currently holds. */
  get inUse(): number {
    return this.#held.size;
  }

  /**
   * Bind the next free pair. Each pair of the range is tried at most once per call, starting after
   * the last one handed out (so a just-released pair is not immediately reused by a stale peer).
   */
  async allocate(): Promise<PortPair> {
    const n = this.capacity;
    for (let i = 0; i < n; i++) {
      const port = this.#cursor;
      this.#cursor = port + 3 > this.end ? this.start : port + 2;
      if (this.#held.has(port)) continue;
      this.#held.add(port); // claimed synchronously: concurrent allocate() calls skip it
      const pair = await this.#tryBind(port);
      if (pair) return pair;
      this.#held.delete(port);
    }
    debug('range %d-%d exhausted (%d held here)', this.start, this.end, this.#held.size);
    throw new DorsvrError('ERR_PORT_RANGE_EXHAUSTED', `no free RTP/RTCP port pair in ${this.start}-${this.end}`);
  }

  async #tryBind(port: number): Promise<PortPair | undefined> {
    let rtp: Groupsock | undefined;
    try {
      rtp = await Groupsock.create({ type: this.#type, address: this.#address, port });
      const rtcp = await Groupsock.create({ type: this.#type, address: this.#address, port: port + 1 });
      debug('allocated %d/%d', port, port + 1);
      return this.#makePair(port, rtp, rtcp);
    } catch (err) {
      await rtp?.close();
      if (isDorsvrError(err, 'ERR_GROUPSOCK_ADDRESS_IN_USE')) {
        debug('%d/%d in use, skipping', port, port + 1);
        return undefined;
      }
      this.#held.delete(port);
      throw err;
    }
  }

  #makePair(port: number, rtp: Groupsock, rtcp: Groupsock): PortPair {
    let released: Promise<void> | undefined;
    const release = (): Promise<void> =>
      (released ??= Promise.all([rtp.close(), rtcp.close()]).then(() => {
        this.#held.delete(port);
        debug('released %d/%d', port, port + 1);
      }));
    return { rtpPort: port, rtcpPort: port + 1, rtp, rtcp, release };
  }
}
