import { isIP } from 'node:net';
import { DorsvrError } from '@dorsvr/scheduler';

/** A group and the port pair its stream is sent to. */
export interface MulticastAddress {
  readonly group: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
}

function ipv4ToNumber(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The IPv4 multicast groups (and ports) a server may send on-demand streams to, from a range
 * given as `239.255.42.0/24` (the network and broadcast-like ends excluded for prefixes up to /30)
 * or `239.255.42.1-239.255.42.20`. Each allocation takes a free group and its own port pair
 * (`portBase + 2k`), so that two tracks never share a port on a receiver. Throws
 * `ERR_SERVER_OPTION` for a range that is not multicast (224.0.0.0/4, and not the link-local
 * 224.0.0.0/24), too large (over 65536 groups), or malformed.
 */
export class MulticastGroupPool {
  readonly #first: number;
  readonly #count: number;
  readonly #portBase: number;
  readonly #used = new Map<number, number>();

  constructor(range: string, portBase = 18888) {
    const bad = (why: string): DorsvrError => new DorsvrError('ERR_SERVER_OPTION', `multicast range ${JSON.stringify(range)}: ${why}`);
    let first: number;
    let last: number;
    const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(range.trim());
    const span = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(range.trim());
    if (cidr && isIP(cidr[1]!) === 4) {
      const bits = Number(cidr[2]);
      if (bits < 16 || bits > 32) throw bad('the prefix must be /16 to /32');
      const size = 2 ** (32 - bits);
      first = Math.floor(ipv4ToNumber(cidr[1]!) / size) * size;
      last = first + size - 1;
      if (size >= 4) {
        first++;
        last--;
      }
    } else if (span && isIP(span[1]!) === 4 && isIP(span[2]!) === 4) {
      first = ipv4ToNumber(span[1]!);
      last = ipv4ToNumber(span[2]!);
    } else throw bad('expected A.B.C.D/N or A.B.C.D-E.F.G.H (IPv4)');
    if (last < first) throw bad('the range is empty');
    if (last - first + 1 > 65536) throw bad('more than 65536 groups');
    if (first < ipv4ToNumber('224.0.1.0') || last > ipv4ToNumber('239.255.255.255')) throw bad('not (only) multicast groups outside 224.0.0.0/24');
    if (!Number.isInteger(portBase) || portBase < 1024 || portBase % 2 !== 0 || portBase > 65000) throw bad('the port base must be an even number from 1024 to 65000');
    this.#first = first;
    this.#count = last - first + 1;
    this.#portBase = portBase;
  }

  /** Number of groups in the range. */
  get size(): number {
    return this.#count;
  }

  /** A free group and port pair, or undefined when every group (or port) is taken. */
  allocate(): MulticastAddress | undefined {
    const maxSlots = Math.floor((65534 - this.#portBase) / 2);
    const ports = new Set(this.#used.values());
    for (let i = 0; i < this.#count; i++) {
      const g = this.#first + i;
      if (this.#used.has(g)) continue;
      let slot = 0;
      while (ports.has(slot)) slot++;
      if (slot >= maxSlots) return undefined;
      this.#used.set(g, slot);
      const rtpPort = this.#portBase + 2 * slot;
      return { group: numberToIPv4(g >>> 0), rtpPort, rtcpPort: rtpPort + 1 };
    }
    return undefined;
  }

  /** Give a group back. */
  release(group: string): void {
    this.#used.delete(ipv4ToNumber(group));
  }
}
