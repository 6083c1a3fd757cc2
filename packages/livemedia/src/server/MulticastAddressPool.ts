import { isIP } from 'node:net';
import { DorsvrError } from '@dorsvr/scheduler';

/** Most groups one pool hands out (a range larger than this is refused). */
export const MAX_MULTICAST_GROUPS = 4096;
/** The first multicast RTP port of a pool unless configured (group i gets `portBase + 2i`, RTCP the next). */
export const DEFAULT_MULTICAST_PORT_BASE = 20_000;
/** The TTL of multicast streams unless configured: 1, the sender's own link only. */
export const DEFAULT_MULTICAST_TTL = 1;

/**
 * Multicast for on-demand streams (off unless given): where the server sends a stream that
 * readers asked for with `Transport: RTP/AVP;multicast`. IPv4 (ASM or SSM groups).
 */
export interface MulticastOptions {
  /**
   * The groups the server may use: `first-last` (`239.255.42.1-239.255.42.254`), a CIDR block
   * (`239.255.42.0/24`) or one address. Each stream sent takes one group (and one port pair)
   * until its last reader leaves. Source-specific groups (232/8) are answered with `source=`.
   */
  groups: string;
  /** TTL of the packets sent (default {@link DEFAULT_MULTICAST_TTL}, 0‥255). */
  ttl?: number;
  /** RTP port of the first group (even; default {@link DEFAULT_MULTICAST_PORT_BASE}); group i gets `portBase + 2i`. */
  portBase?: number;
  /**
   * Local IPv4 address of the interface multicast leaves by (and RTCP is heard on). Default: the
   * address the first reader's RTSP connection reached the server on. Never left to the routing table.
   */
  interfaceAddress?: string;
}

/** One group handed out by a {@link MulticastAddressPool}. */
export interface MulticastAllocation {
  /** The group address. */
  readonly group: string;
  /** RTP port (even). */
  readonly rtpPort: number;
  /** RTCP port (`rtpPort + 1`). */
  readonly rtcpPort: number;
  /** TTL of the packets sent. */
  readonly ttl: number;
}

function ipv4ToInt(a: string): number {
  const p = a.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function intToIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_MULTICAST_OPTIONS', message);
}

function parseRange(spec: string): [number, number] {
  const s = spec.trim();
  let first: string;
  let last: string;
  let prefix: number | undefined;
  const slash = s.indexOf('/');
  const dash = s.indexOf('-');
  if (slash >= 0) {
    first = last = s.slice(0, slash);
    const p = s.slice(slash + 1);
    if (!/^\d{1,2}$/.test(p) || Number(p) > 32) throw bad(`multicast groups "${spec}": bad prefix length`);
    prefix = Number(p);
  } else if (dash >= 0) {
    first = s.slice(0, dash).trim();
    last = s.slice(dash + 1).trim();
  } else first = last = s;
  for (const a of [first, last]) if (isIP(a) !== 4) throw bad(`multicast groups "${spec}": "${a}" is not an IPv4 address`);
  let lo = ipv4ToInt(first);
  let hi = ipv4ToInt(last);
  if (prefix !== undefined) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    lo = (lo & mask) >>> 0;
    hi = (lo | (~mask >>> 0)) >>> 0;
  }
  if (hi < lo) throw bad(`multicast groups "${spec}": the range is empty`);
  // 224.0.0.0/24 is link-local control traffic (IGMP, OSPF, mDNS): never a stream's group.
  if (lo < ipv4ToInt('224.0.1.0') || hi > ipv4ToInt('239.255.255.255')) {
    throw bad(`multicast groups "${spec}": every group must be in 224.0.1.0‥239.255.255.255`);
  }
  if (hi - lo + 1 > MAX_MULTICAST_GROUPS) throw bad(`multicast groups "${spec}": more than ${MAX_MULTICAST_GROUPS} groups`);
  return [lo, hi];
}

/**
 * The multicast groups (and their port pairs) a server sends on-demand streams to: one
 * {@link MulticastAllocation} per stream sent, handed back when its last reader leaves.
 * Construction checks the options and throws `ERR_MULTICAST_OPTIONS` for anything doubtful
 * (not multicast, not IPv4, too many groups, ports out of range, a bad TTL or interface).
 */
export class MulticastAddressPool {
  /** The configured TTL. */
  readonly ttl: number;
  /** The configured first RTP port. */
  readonly portBase: number;
  /** The configured interface address, if any. */
  readonly interfaceAddress: string | undefined;
  readonly #first: number;
  readonly #count: number;
  readonly #used = new Set<number>();

  constructor(options: MulticastOptions) {
    if (typeof options !== 'object' || options === null || typeof options.groups !== 'string') {
      throw bad('multicast options need `groups` (a range such as "239.255.42.1-239.255.42.254")');
    }
    const [lo, hi] = parseRange(options.groups);
    this.#first = lo;
    this.#count = hi - lo + 1;
    const ttl = options.ttl ?? DEFAULT_MULTICAST_TTL;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw bad(`multicast ttl ${String(ttl)} is not an integer 0‥255`);
    this.ttl = ttl;
    const base = options.portBase ?? DEFAULT_MULTICAST_PORT_BASE;
    if (!Number.isInteger(base) || base % 2 !== 0 || base < 1024 || base + 2 * this.#count - 1 > 65535) {
      throw bad(`multicast portBase ${String(base)} must be even, ≥ 1024, with room for ${this.#count} port pairs below 65536`);
    }
    this.portBase = base;
    if (options.interfaceAddress !== undefined && isIP(options.interfaceAddress) !== 4) {
      throw bad(`multicast interfaceAddress "${String(options.interfaceAddress)}" is not an IPv4 address`);
    }
    this.interfaceAddress = options.interfaceAddress;
  }

  /** How many groups the pool has. */
  get size(): number {
    return this.#count;
  }

  /** How many groups are handed out. */
  get inUse(): number {
    return this.#used.size;
  }

  /** The first free group and its ports, or undefined when every group is in use. */
  allocate(): MulticastAllocation | undefined {
    for (let i = 0; i < this.#count; i++) {
      if (this.#used.has(i)) continue;
      this.#used.add(i);
      const rtpPort = this.portBase + 2 * i;
      return { group: intToIPv4(this.#first + i), rtpPort, rtcpPort: rtpPort + 1, ttl: this.ttl };
    }
    return undefined;
  }

  /** Hand a group back (its stream stopped). Idempotent. */
  release(allocation: MulticastAllocation): void {
    const i = ipv4ToInt(allocation.group) - this.#first;
    if (i >= 0 && i < this.#count && this.portBase + 2 * i === allocation.rtpPort) this.#used.delete(i);
  }
}
