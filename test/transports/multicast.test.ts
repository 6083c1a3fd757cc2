// Multicast for real, only inside two network namespaces this file creates and deletes (never on
// the host's interfaces), joined by a veth pair; servers run in one, readers in the other (child
// processes; two namespaces because a server may bind the group's ports itself):
// - GStreamer's RTSP server serves a shared, multicast-only stream from an address pool; two of our
//   clients ask for multicast, join the group it chose and receive frames: one group for both;
// - our RTSPServer with multicast groups: ffmpeg (-rtsp_transport udp_multicast) and our client
//   read one track at once and each gets every frame, and the server made ONE stream for both.
// Needs root and iproute2; without them the tests FAIL.
import { test, before, after } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { findPeer } from '../helpers/peers.js';
import { fixture } from '../helpers/paths.js';
import { tempDir } from '../helpers/tempDir.js';
import { probe } from '../rtspserver/helpers/ffmpeg.js';
import { framerOutput } from '../rtspclient/helpers.js';

const NS = `dorsvr-mcast-c-${process.pid}`;
const SERVER_NS = `dorsvr-mcast-s-${process.pid}`;
const SERVER_ADDR = '10.77.0.1';
const CLIENT_ADDR = '10.77.0.2';
const CHILD = fileURLToPath(new URL('./multicastClientChild.js', import.meta.url));
const SERVER_CHILD = fileURLToPath(new URL('./multicastServerChild.js', import.meta.url));
const created: string[] = [];
const tmp = tempDir();

before(() => {
  for (const ns of [SERVER_NS, NS]) {
    ip('netns', 'add', ns);
    created.push(ns);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  // A veth pair made inside the server's namespace, its other end moved to the readers'.
  ip('netns', 'exec', SERVER_NS, 'ip', 'link', 'add', 'vs', 'type', 'veth', 'peer', 'name', 'vc');
  ip('netns', 'exec', SERVER_NS, 'ip', 'link', 'set', 'vc', 'netns', NS);
  for (const [ns, dev, addr] of [[SERVER_NS, 'vs', SERVER_ADDR], [NS, 'vc', CLIENT_ADDR]] as const) {
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', dev);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', dev, 'multicast', 'on');
    ip('netns', 'exec', ns, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
});

after(() => {
  // Deleting the namespaces deletes the veth pair with them.
  for (const ns of created.splice(0)) ip('netns', 'delete', ns);
  tmp.cleanup();
});

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

function runClient(url: string, frames: number, lifetimeMs = 15_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, CHILD, url, String(frames), String(lifetimeMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  let gst: GstRtspServer | undefined;
  try {
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
  }
});

test('our server answers multicast SETUPs: ffmpeg (udp_multicast) and our client read test.264 at once, each every frame, from one stream the server sent', async () => {
  const server = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, SERVER_CHILD, SERVER_ADDR, '239.255.42.0/24'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
  try {
    const deadline = Date.now() + 15_000;
    while (!/LISTENING \d+/.test(out) && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const port = Number(/LISTENING (\d+)/.exec(out)?.[1]);
    assert.ok(port > 0, `the server child did not listen: ${out}\n${err}`);
    const url = `rtsp://${SERVER_ADDR}:${port}/gated`;
    const file = join(tmp.dir, 'ffmpeg-multicast.mkv');
    const ffmpeg = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const args = ['netns', 'exec', NS, findPeer('ffmpeg'), '-hide_banner', '-loglevel', 'warning', '-nostdin', '-y', '-rtsp_transport', 'udp_multicast', '-i', url, '-c', 'copy', file];
      const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    const [f, ours] = await Promise.all([ffmpeg, runClient(url, 1000)]);
    assert.equal(f.code, 0, f.stderr);
    const [got, want] = await Promise.all([probe(file), probe(fixture('test.264'))]);
    assert.equal(got.frames, want.frames, `ffmpeg: ${got.frames} frames of ${want.frames}`);
    assert.equal(ours.error, undefined, `our client: ${ours.error}`);
    assert.equal(ours.mode, 'multicast');
    // Frames as our client delivers them: what the server's framer makes of the file (NAL units).
    const nalUnits = (await framerOutput('test.264')).length;
    assert.equal(ours.frames, nalUnits, `our client: ${ours.frames} frames of ${nalUnits}`);
    assert.equal(ours.group, '239.255.42.1');
    assert.deepEqual(ours.ports, { rtp: 18888, rtcp: 18889 });
    // The track made one stream, to the group, for both readers.
    assert.deepEqual(out.match(/^STREAM .*$/gm), ['STREAM 239.255.42.1:18888'], out);
  } finally {
    server.stdin.end();
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
});

test('a PassiveServerMediaSubsession (a stream already sent to a group): ffmpeg (udp_multicast) and our client read it at once from the group its SETUP names', async () => {
  const server = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, SERVER_CHILD, SERVER_ADDR, '-', 'passive'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
  try {
    const deadline = Date.now() + 15_000;
    while (!/LISTENING \d+/.test(out) && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const port = Number(/LISTENING (\d+)/.exec(out)?.[1]);
    assert.ok(port > 0, `the server child did not listen: ${out}\n${err}`);
    const url = `rtsp://${SERVER_ADDR}:${port}/passive`;
    const file = join(tmp.dir, 'ffmpeg-passive.mkv');
    const ffmpeg = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const args = ['netns', 'exec', NS, findPeer('ffmpeg'), '-hide_banner', '-loglevel', 'warning', '-nostdin', '-y', '-rtsp_transport', 'udp_multicast', '-i', url, '-frames:v', '30', '-c', 'copy', file];
      const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    const [f, ours] = await Promise.all([ffmpeg, runClient(url, 40)]);
    assert.equal(f.code, 0, f.stderr);
    const got = await probe(file);
    assert.equal(got.codec, 'h264');
    assert.equal(got.width, 320);
    assert.ok(got.frames >= 25, `ffmpeg: ${got.frames} frames`);
    assert.equal(ours.error, undefined, `our client: ${ours.error}`);
    assert.equal(ours.mode, 'multicast');
    assert.equal(ours.group, '239.255.43.1');
    assert.deepEqual(ours.ports, { rtp: 19000, rtcp: 19001 });
    assert.equal(ours.frames, 40);
    // Nothing was made per reader: the passive track has no streams of its own to make.
    assert.doesNotMatch(out, /^STREAM /m);
  } finally {
    server.stdin.end();
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
});

/** Starts the server child in the server's namespace with `args`; resolves with its port and a stop function. */
async function startServerChild(args: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, SERVER_CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    server.stdin.end();
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 15_000;
  while (!/LISTENING \d+/.test(out) && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const port = Number(/LISTENING (\d+)/.exec(out)?.[1]);
  if (!(port > 0)) {
    await stop();
    throw new Error(`the server child did not listen: ${out}\n${err}`);
  }
  return { port, stop };
}

test("the SDP's a=source-filter decides our client's source-specific join: the right source is received, a wrong one filters everything out", async () => {
  const right = await startServerChild([SERVER_ADDR, '-', 'passive', '239.255.44.1', SERVER_ADDR]);
  try {
    const r = await runClient(`rtsp://${SERVER_ADDR}:${right.port}/passive`, 20);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.frames, 20);
  } finally {
    await right.stop();
  }
  const wrong = await startServerChild([SERVER_ADDR, '-', 'passive', '239.255.44.2', '10.77.0.99']);
  try {
    const r = await runClient(`rtsp://${SERVER_ADDR}:${wrong.port}/passive`, 20, 3000);
    assert.equal(r.group, '239.255.44.2');
    assert.equal(r.frames, 0, 'packets from a source the SDP does not admit are not received');
  } finally {
    await wrong.stop();
  }
});

test('dorsvr-server --multicast RANGE serves its files over multicast: ffmpeg (udp_multicast) plays test.264, every frame', async () => {
  const cli = fileURLToPath(new URL('../../../packages/rtspserver/dist/cli.js', import.meta.url));
  const server = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, cli, fixture(''), '--port', '0', '--host', SERVER_ADDR, '--multicast', '239.255.45.0/24'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
  try {
    const deadline = Date.now() + 15_000;
    while (!/rtsp:\/\/\S+\/test\.264/.test(out) && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const url = /rtsp:\/\/\S+\/test\.264/.exec(out)?.[0];
    assert.ok(url !== undefined && /multicast from 239\.255\.45\.0\/24/.test(out), out);
    const file = join(tmp.dir, 'cli-multicast.mkv');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const args = ['netns', 'exec', NS, findPeer('ffmpeg'), '-hide_banner', '-loglevel', 'warning', '-nostdin', '-y', '-rtsp_transport', 'udp_multicast', '-i', url, '-c', 'copy', file];
      const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    assert.equal(r.code, 0, r.stderr);
    const [got, want] = await Promise.all([probe(file), probe(fixture('test.264'))]);
    assert.equal(got.frames, want.frames, `${got.frames} frames of ${want.frames}`);
  } finally {
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
});
