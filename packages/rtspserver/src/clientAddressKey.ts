import { isIPv4, isIPv6 } from 'node:net';

/**
 * What the per-address limits count a client by: its IPv4 address, or the /64 prefix of its IPv6
 * address (`2001:db8:0:1::/64`). One IPv6 host may use any address of its /64 (privacy addresses),
 * so counting single IPv6 addresses would let one client take every place; a /64 is one
 * subscriber's network, as one IPv4 address behind NAT is. Anything else is counted as given.
 */
export function clientAddressKey(address: string): string {
  if (isIPv4(address)) return address;
  const bare = address.replace(/%.*$/, '');
  if (!isIPv6(bare)) return address;
  if (bare.startsWith('::ffff:') && isIPv4(bare.slice(7))) return bare.slice(7);
  const [head = '', tail] = bare.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (`::1.2.3.4`) lies in the last 32 bits: it never reaches the prefix.
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  const prefix = groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16));
  return `${prefix.join(':')}::/64`;
}
