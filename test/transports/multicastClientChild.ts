// A child process for the multicast test, run inside its network namespace (`ip netns exec`):
// plays URL with our client over multicast until it has N frames of the first track, or the
// stream ends (the server's BYE), or 15 s pass, then prints one JSON line: frames received, the
// transport the SETUP gave. (Closing says RTCP BYE to the group: ffmpeg, reading the same group,
// takes any BYE as the end, so a reader of a finite clip waits for the end.)
import { RTSPClient } from '@dorsvr/rtspclient';

const [url, wanted, lifetimeMs] = process.argv.slice(2);
const n = Number(wanted ?? 20);
const client = new RTSPClient(url!, { transport: 'multicast' });
const lifetime = setTimeout(() => void finish('timed out'), Number(lifetimeMs ?? 15_000));
let frames = 0;
let finished = false;

async function finish(error?: string): Promise<void> {
  if (finished) return;
  finished = true;
  clearTimeout(lifetime);
  const t = client.session?.subsessions[0]?.transport;
  process.stdout.write(`${JSON.stringify({ frames, error, mode: t?.mode, group: t?.group, ports: t?.clientPorts })}\n`);
  await client.close().catch(() => undefined);
  process.exit(0);
}

try {
  const session = await client.describe();
  const sub = session.subsessions[0]!;
  await client.setup(sub);
  sub.on('frame', () => {
    if (++frames === n) void finish();
  });
  sub.on('end', () => void finish());
  await client.play();
} catch (err) {
  await finish((err as Error).message);
}
