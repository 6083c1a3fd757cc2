import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

/**
 * A `lookup` for `dgram.createSocket` that resolves IP literals synchronously, so that `send()`
 * hands a datagram to the kernel inside the call. Node's default resolves even a literal through
 * `dns.lookup`, which answers on the next tick: every send is then deferred and still holds its
 * buffers when `send()` returns. Host names still go to `dns.lookup`.
 */
export function literalLookup(
  hostname: string,
  options: LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}
