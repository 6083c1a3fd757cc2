// A child process of serverMulticast.test.ts, run inside the test's network namespace (`ip netns
// exec`): N of our clients ask URL for multicast. All SETUP first (each joins the group then), then
// all PLAY, so every reader can get every frame of a file. Beside them a sniffer socket joined to
// the same group counts every RTP datagram on the wire (seq, SSRC). After they leave, a fresh
// reader SETs UP (the group must be free again), plays 5 frames and leaves mid-file; the sniffer
// listens on (the server must have stopped sending). Prints one JSON line.
import { Groupsock } from '@dorsvr/groupsock';
import { RTSPClient } from '@dorsvr/rtspclient';

const [url, readersArg, framesArg, ifaceArg] = process.argv.slice(2);
const readers = Number(readersArg ?? 2);
const wanted = Number(framesArg ?? 50);
const iface = ifaceArg ?? '127.0.0.1';
// `passive`: the clients are not told to use multicast (the SDP's c= says so), and only phase 1 runs.
const passive = process.argv[6] === 'passive';
const lifetime = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ error: 'timed out (20 s)' })}\n`);
  process.exit(1);
}, 20_000);

interface Reader {
  client: RTSPClient;
  frames: number;
  done: Promise<void>;
}

const result: Record<string, unknown> = {};
const clients: RTSPClient[] = [];
let sniffer: Groupsock | undefined;
try {
  const list: Reader[] = [];
  for (let i = 0; i < readers; i++) {
    const client = new RTSPClient(url!, passive ? {} : { transport: 'multicast' });
    clients.push(client);
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    result.sdp = {
      port: sub.media.port,
      address: sub.media.connections[0]?.address,
      ttl: sub.media.connections[0]?.ttl,
      sourceFilter: sub.media.attributes.find((x) => x.name === 'source-filter')?.value?.trim(),
    };
    await client.setup(sub);
    const r: Reader = { client, frames: 0, done: Promise.resolve() };
    r.done = new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 10_000); // bounded: the file plays in 2 s
      sub.on('frame', () => {
        if (++r.frames === wanted) {
          clearTimeout(bound);
          resolve();
        }
      });
    });
    list.push(r);
  }
  const t = list.map((r) => r.client.session!.subsessions[0]!.transport!);
  result.transports = t.map((x) => ({ mode: x.mode, group: x.group, ports: x.clientPorts, ssrc: x.ssrc, source: x.serverAddress, header: x.header }));
  const group = t[0]!.group!;
  const port = t[0]!.clientPorts!.rtp;
  // The sniffer: every RTP datagram sent to the group, whoever it was meant for.
  sniffer = await Groupsock.create({ type: 'udp4', port, reuseAddr: true });
  sniffer.joinGroup(group, iface);
  const seen: Array<{ seq: number; ssrc: number }> = [];
  let afterLeave = -1;
  sniffer.on('packet', (p) => {
    if (p.length < 12) return;
    seen.push({ seq: p.readUInt16BE(2), ssrc: p.readUInt32BE(8) });
    if (afterLeave >= 0) afterLeave++;
  });
  await Promise.all(list.map((r) => r.client.play()));
  process.stdout.write('PLAYING\n');
  await Promise.all(list.map((r) => r.done));
  result.frames = list.map((r) => r.frames);
  // Give the last packets time to land, then leave (TEARDOWN).
  await new Promise((r) => setTimeout(r, 300));
  result.packets = seen.length;
  result.distinctSeqs = new Set(seen.map((s) => `${s.ssrc}/${s.seq}`)).size;
  result.ssrcs = [...new Set(seen.map((s) => s.ssrc))];
  await Promise.all(clients.map((c) => c.close()));
  if (!passive) {
    // The group is free again: a new reader gets the first group of the range once more. It plays a
    // few frames and leaves in the middle of the file: the server must stop sending at once.
    const again = new RTSPClient(url!, { transport: 'multicast' });
    clients.push(again);
    const s2 = await again.describe();
    const sub2 = s2.subsessions[0]!;
    await again.setup(sub2);
    result.groupAgain = sub2.transport?.group;
    let frames2 = 0;
    const some = new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 10_000);
      sub2.on('frame', () => {
        if (++frames2 === 5) {
          clearTimeout(bound);
          resolve();
        }
      });
    });
    await again.play();
    await some;
    result.framesAgain = frames2;
    await again.close();
    afterLeave = 0;
    await new Promise((r) => setTimeout(r, 800));
    result.packetsAfterLeave = afterLeave;
  }
} catch (err) {
  result.error = (err as Error).message;
}
clearTimeout(lifetime);
await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
await sniffer?.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
