// How many bytes wait unread in a UDP socket's receive queue on this machine, from Linux's
// /proc/net/udp and /proc/net/udp6 (the rx_queue column of the socket bound to that local port):
// for a test to know that a peer process has read every datagram sent to it.
import { readFileSync } from 'node:fs';

/** Bytes queued for reading in the UDP socket(s) bound to local `port` (0: none, or no such socket). */
export function udpReceiveQueueBytes(port: number): number {
  let total = 0;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    // "sl local_address rem_address st tx_queue:rx_queue ...", addresses and queues in hex.
    for (const line of text.split('\n').slice(1)) {
      const [, local, , , queues] = line.trim().split(/\s+/);
      if (local === undefined || queues === undefined) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
      total += Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16);
    }
  }
  return total;
}

/**
 * Resolves once nothing waits in the receive queues of the UDP sockets on `ports` (polled every
 * 10 ms), or after `timeoutMs` with false.
 */
export async function udpReceiveQueuesDrained(ports: readonly number[], timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ports.every((p) => udpReceiveQueueBytes(p) === 0)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
