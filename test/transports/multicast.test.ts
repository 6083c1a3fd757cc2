// Multicast with a real peer, inside two network namespaces this test creates and deletes (never
// on the host's interfaces), joined by a veth pair: GStreamer's RTSP server in one serves a shared,
// multicast-only stream from an address pool; two of our clients (child processes in the other)
// ask for multicast, join the group the server chose and receive frames — one group and port pair
// for both: one stream sent. (Two namespaces because GStreamer binds the group's ports itself.)
// Needs root and iproute2; without them the test FAILS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';

const NS = `dorsvr-mcast-c-${process.pid}`;
const SERVER_NS = `dorsvr-mcast-s-${process.pid}`;
const SERVER_ADDR = '10.77.0.1';
const CLIENT_ADDR = '10.77.0.2';
const CHILD = fileURLToPath(new URL('./multicastClientChild.js', import.meta.url));

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`the multicast test needs network namespaces (root + iproute2): "ip ${args.join(' ')}" failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
}

interface ChildResult {
  frames: number;
  error?: string;
  mode?: string;
  group?: string;
  ports?: { rtp: number; rtcp: number };
}

function runClient(url: string, frames: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, CHILD, url, String(frames)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ChildResult);
      } catch {
        reject(new Error(`client child printed no result: ${out}\n${err}`));
      }
    });
  });
}

test("our client receives multicast from GStreamer's RTSP server in a private network namespace: two readers join one server-chosen group", async () => {
  const created: string[] = [];
  let gst: GstRtspServer | undefined;
  try {
    for (const ns of [SERVER_NS, NS]) {
      ip('netns', 'add', ns);
      created.push(ns);
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    }
    // A veth pair made inside the server's namespace, its other end moved to the clients'.
    ip('netns', 'exec', SERVER_NS, 'ip', 'link', 'add', 'vs', 'type', 'veth', 'peer', 'name', 'vc');
    ip('netns', 'exec', SERVER_NS, 'ip', 'link', 'set', 'vc', 'netns', NS);
    for (const [ns, dev, addr] of [[SERVER_NS, 'vs', SERVER_ADDR], [NS, 'vc', CLIENT_ADDR]] as const) {
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', dev);
      ip('netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up');
      ip('netns', 'exec', ns, 'ip', 'link', 'set', dev, 'multicast', 'on');
      ip('netns', 'exec', ns, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', dev);
    }
    gst = await startGstRtspServer({
      netns: SERVER_NS,
      host: SERVER_ADDR,
      mounts: { '/live': '( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1 )' },
      multicast: { groups: ['239.255.12.1', '239.255.12.10'], ports: [15000, 15010] },
    });
    const [a, b] = await Promise.all([runClient(gst.url('live'), 25), runClient(gst.url('live'), 25)]);
    for (const [who, r] of [['first', a], ['second', b]] as const) {
      assert.equal(r.error, undefined, `${who} reader: ${r.error}\n${gst.stderr().slice(-2000)}`);
      assert.equal(r.mode, 'multicast', who);
      assert.match(r.group ?? '', /^239\.255\.12\.([1-9]|10)$/, `${who}: group ${r.group}`);
      assert.ok(r.ports !== undefined && r.ports.rtp >= 15000 && r.ports.rtp <= 15010, `${who}: ports ${JSON.stringify(r.ports)}`);
      assert.equal(r.frames, 25, `${who}: ${r.frames} frames`);
    }
    // One stream for both: the same group and ports.
    assert.equal(a.group, b.group);
    assert.deepEqual(a.ports, b.ports);
  } finally {
    await gst?.stop();
    // Deleting the namespaces deletes the veth pair with them.
    for (const ns of created) ip('netns', 'delete', ns);
  }
});
