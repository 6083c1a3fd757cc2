import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** What this process holds that a leak would grow: open file descriptors and bound UDP ports. */
export interface ProcessResources {
  /** Entries of /proc/self/fd (files, sockets, pipes, event fds). */
  readonly fds: number;
  /** Local ports of the UDP sockets (IPv4 and IPv6) among those descriptors, sorted. */
  readonly udpPorts: readonly number[];
  /** Resident set size in bytes. */
  readonly rss: number;
}

/** Socket inodes → local port, from one of /proc/net/udp, /proc/net/udp6. */
function udpTable(file: string): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const local = cols[1];
    const inode = cols[9];
    if (local === undefined || inode === undefined) continue;
    out.set(inode, parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
  }
  return out;
}

/**
 * Count this process's open descriptors (Linux /proc) and the UDP ports they hold. The listing
 * itself opens a descriptor for a moment; it is not counted.
 */
export function processResources(): ProcessResources {
  const udp = new Map([...udpTable('/proc/net/udp'), ...udpTable('/proc/net/udp6')]);
  const names = readdirSync('/proc/self/fd');
  let fds = 0;
  const udpPorts: number[] = [];
  for (const n of names) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${n}`);
    } catch {
      continue; // the directory listing's own descriptor, closed meanwhile
    }
    fds++;
    const m = /^socket:\[(\d+)\]$/.exec(target);
    const port = m ? udp.get(m[1]!) : undefined;
    if (port !== undefined) udpPorts.push(port);
  }
  return { fds, udpPorts: udpPorts.sort((a, b) => a - b), rss: process.memoryUsage.rss() };
}
