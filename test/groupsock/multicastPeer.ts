// A child process for the multicast test, run inside a network namespace with `ip netns exec`.
// It reads JSON commands on stdin, one per line, and writes JSON events on stdout:
//   {"cmd":"open","id":"r","port":5004}                       → bind 0.0.0.0:port (SO_REUSEADDR)
//   {"cmd":"join","id":"r","group":"239.1.2.3","iface":"127.0.0.1"}
//   {"cmd":"joinSSM","id":"r","source":"127.0.0.1","group":"232.1.2.3","iface":"127.0.0.1"}
//   {"cmd":"leave","id":"r","group":"239.1.2.3","iface":"127.0.0.1"}
//   {"cmd":"send","bind":"127.0.0.1","iface":"127.0.0.1","group":"239.1.2.3","port":5004,"payloads":["a","b"]}
//   {"cmd":"exit"}
// Every command is answered with {"ev":"ok","n":<command number>} or {"ev":"error","n":…,"message":…};
// every datagram received with {"ev":"packet","id":…,"from":"addr:port","data":"…"}.
import { createInterface } from 'node:readline';
import { Groupsock, formatHostPort } from '@dorsvr/groupsock';

interface Command {
  cmd: string;
  id?: string;
  port?: number;
  group?: string;
  source?: string;
  iface?: string;
  bind?: string;
  payloads?: string[];
}

const socks = new Map<string, Groupsock>();
const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
// Never outlive the test, whatever happens to it.
const lifetime = setTimeout(() => void shutdown(), 30_000);

async function shutdown(): Promise<void> {
  clearTimeout(lifetime);
  await Promise.all([...socks.values()].map((s) => s.close()));
  process.exit(0);
}

function sock(id: string | undefined): Groupsock {
  const s = socks.get(id ?? '');
  if (!s) throw new Error(`no socket ${id}`);
  return s;
}

async function handle(c: Command): Promise<void> {
  switch (c.cmd) {
    case 'open': {
      const s = await Groupsock.create({ port: c.port ?? 0, reuseAddr: true });
      s.on('packet', (data, from) => out({ ev: 'packet', id: c.id, from: formatHostPort(from.address, from.port), data: data.toString() }));
      socks.set(c.id!, s);
      return;
    }
    case 'join':
      return sock(c.id).joinGroup(c.group!, c.iface);
    case 'joinSSM':
      return sock(c.id).joinSourceSpecificGroup(c.source!, c.group!, c.iface);
    case 'leave':
      return sock(c.id).leaveGroup(c.group!, c.iface);
    case 'send': {
      const s = await Groupsock.create({ address: c.bind!, multicastInterface: c.iface!, multicastTTL: 1, multicastLoopback: true });
      s.addDestination(c.group!, c.port!);
      for (const p of c.payloads ?? []) s.send([Buffer.from(p)]);
      await s.close();
      return;
    }
    case 'exit':
      return shutdown();
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

let n = 0;
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const k = n++;
  chain = chain.then(async () => {
    try {
      await handle(JSON.parse(line) as Command);
      out({ ev: 'ok', n: k });
    } catch (err) {
      out({ ev: 'error', n: k, message: (err as Error).message });
    }
  });
});
process.stdin.on('end', () => void shutdown());
