// Our server's multicast, for real, only inside a network namespace this test creates and deletes
// (never on the host's interfaces): its loopback is up, multicast-capable and the route for
// 224.0.0.0/4; dorsvr-server (`--multicast`), ffmpeg and our clients all run inside it (`ip netns
// exec`). Needs root and iproute2; without them the test FAILS saying so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, fixture } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { withTempDir } from '../helpers/tempDir.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';

const NS = `dorsvr-mcs-${process.pid}`;
const CLI = join(repoRoot, 'packages/rtspserver/dist/cli.js');
const READERS = fileURLToPath(new URL('./multicastReadersChild.js', import.meta.url));
/** test.264: 50 frames, 2 s. */
const FILE_FRAMES = 50;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`the multicast test needs network namespaces (root + iproute2): "ip ${args.join(' ')}" failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
}

let created = false;

before(() => {
  ip('netns', 'add', NS);
  created = true;
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'multicast', 'on');
  ip('netns', 'exec', NS, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
});

after(() => {
  if (created) ip('netns', 'delete', NS);
});

/** dorsvr-server inside the namespace, on 127.0.0.1:port, serving test/fixtures. */
async function startServer(port: number, extra: readonly string[]): Promise<{ child: ChildProcess; out: () => string; stop: () => Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, join(repoRoot, 'test/fixtures'), '--host', '127.0.0.1', '--port', String(port), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!out.includes('dorsvr-server: serving') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  if (!out.includes('dorsvr-server: serving')) {
    child.kill('SIGKILL');
    throw new Error(`dorsvr-server did not start in the namespace: ${out}`);
  }
  return {
    child,
    out: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

test('ffmpeg -rtsp_transport udp_multicast plays a file from dorsvr-server --multicast and gets every frame', async () => {
  const server = await startServer(8554, ['--multicast', '239.255.42.1-239.255.42.4']);
  try {
    await withTempDir(async (dir) => {
      const outFile = join(dir, 'out.264');
      const r = await runPeer('ip', [
        'netns', 'exec', NS, findPeer('ffmpeg'),
        '-hide_banner', '-loglevel', 'info', '-nostdin', '-y',
        '-rtsp_transport', 'udp_multicast',
        '-i', 'rtsp://127.0.0.1:8554/test.264',
        '-c', 'copy', outFile,
      ], 20_000);
      assert.equal(r.code, 0, `ffmpeg failed (${r.signal ?? r.code}): ${r.stderr.slice(-3000)}\n${server.out()}`);
      // udp_multicast offers nothing but `RTP/AVP;multicast`: a server without multicast answers 461.
      assert.match(server.out(), /session \w+: \S+ plays test\.264/);
      const p = await probe(outFile);
      assert.equal(p.codec, 'h264');
      assert.equal(p.frames, FILE_FRAMES, `ffmpeg got ${p.frames} of ${FILE_FRAMES} frames\n${r.stderr.slice(-2000)}`);
    });
  } finally {
    await server.stop();
  }
});

test('GStreamer rtspsrc protocols=udp-mcast plays a file from dorsvr-server --multicast and gets every frame', async () => {
  const server = await startServer(8557, ['--multicast', '239.255.45.1-239.255.45.4']);
  try {
    await withTempDir(async (dir) => {
      const outFile = join(dir, 'gst.264');
      const r = await runPeer('ip', [
        'netns', 'exec', NS, findPeer('gst-launch-1.0'), '-e',
        'rtspsrc', 'location=rtsp://127.0.0.1:8557/test.264', 'protocols=udp-mcast',
        '!', 'rtph264depay', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream', '!', 'filesink', `location=${outFile}`,
      ], 20_000);
      assert.equal(r.code, 0, `gst-launch failed (${r.signal ?? r.code}): ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}\n${server.out()}`);
      const p = await probe(outFile);
      assert.equal(p.frames, FILE_FRAMES, `GStreamer got ${p.frames} of ${FILE_FRAMES} frames`);
    });
  } finally {
    await server.stop();
  }
});

interface ReadersResult {
  error?: string;
  transports?: Array<{ mode: string; group?: string; ports?: { rtp: number; rtcp: number }; ssrc?: number; source?: string; header?: string }>;
  frames?: number[];
  packets?: number;
  distinctSeqs?: number;
  ssrcs?: number[];
  groupAgain?: string;
  framesAgain?: number;
  packetsAfterLeave?: number;
  sdp?: { port: number; address?: string; ttl?: number; sourceFilter?: string };
}

async function runReaders(url: string, readers: number): Promise<ReadersResult> {
  const r = await runPeer('ip', ['netns', 'exec', NS, process.execPath, READERS, url, String(readers), String(FILE_FRAMES), '127.0.0.1'], 30_000);
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ReadersResult;
  } catch {
    throw new Error(`readers child printed no result (${r.signal ?? r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

for (const [kind, range, first] of [
  ['any-source', '239.255.43.1-239.255.43.4', '239.255.43.1'],
  ['source-specific (232/8)', '232.1.2.1-232.1.2.4', '232.1.2.1'],
] as const) {
  test(`two of our clients read one ${kind} multicast stream: every frame each, one stream on the wire, stopped and the group freed when the last leaves`, async () => {
    const server = await startServer(8555, ['--multicast', range, '--multicast-interface', '127.0.0.1', '--multicast-ttl', '1']);
    try {
      const r = await runReaders('rtsp://127.0.0.1:8555/test.264', 2);
      assert.equal(r.error, undefined, `${r.error}\n${server.out()}`);
      const [a, b] = r.transports!;
      for (const t of [a!, b!]) {
        assert.equal(t.mode, 'multicast');
        assert.equal(t.group, first);
        assert.deepEqual(t.ports, { rtp: 20000, rtcp: 20001 });
        assert.equal(t.source, '127.0.0.1');
        assert.match(t.header ?? '', new RegExp(`^RTP/AVP;multicast;destination=${first.replace(/\./g, '\\.')};source=127\\.0\\.0\\.1;port=20000-20001;ttl=1;ssrc=[0-9A-F]{8}`), t.header);
      }
      // One stream: the same SSRC for both readers, and on the wire each packet once, one SSRC.
      assert.equal(a!.ssrc, b!.ssrc);
      assert.deepEqual(r.frames, [FILE_FRAMES, FILE_FRAMES]);
      assert.deepEqual(r.ssrcs, [a!.ssrc]);
      assert.ok(r.packets! >= FILE_FRAMES, `${r.packets} packets`);
      assert.equal(r.packets, r.distinctSeqs, `${r.packets} datagrams on the wire for ${r.distinctSeqs} packets: sent more than once`);
      // The last reader gone: the group is free again, and a reader leaving mid-file stops the sending.
      assert.equal(r.groupAgain, first);
      assert.equal(r.framesAgain, 5);
      assert.equal(r.packetsAfterLeave, 0, `${r.packetsAfterLeave} packets after the last reader left`);
    } finally {
      await server.stop();
    }
  });
}

const PASSIVE_SERVER = fileURLToPath(new URL('./passiveServerChild.js', import.meta.url));

for (const [kind, group, port, ssm] of [
  ['any-source', '239.255.44.7', 8556, false],
  ['source-specific', '232.4.4.7', 8559, true],
] as const) {
  test(`a PassiveServerMediaSubsession (a stream always sent to its ${kind} group): SDP c=group/ttl${ssm ? ' and a=source-filter' : ''}; ffmpeg udp_multicast and two of our clients (told nothing, the SDP says multicast) each get every frame of the one stream sent`, async () => {
    const server = spawn('ip', ['netns', 'exec', NS, process.execPath, PASSIVE_SERVER, String(port), group, fixture('test.264')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (what: () => boolean, ms: number, label: string): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!what() && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      if (!what()) throw new Error(`passive server: ${label} did not happen: ${out}`);
    };
    try {
      await waitFor(() => out.includes('READY'), 10_000, 'READY');
      await withTempDir(async (dir) => {
        const outFile = join(dir, 'passive.264');
        const ff = runPeer('ip', [
          'netns', 'exec', NS, findPeer('ffmpeg'),
          '-hide_banner', '-loglevel', 'info', '-nostdin', '-y',
          '-rtsp_transport', 'udp_multicast',
          '-i', `rtsp://127.0.0.1:${port}/live`,
          '-c', 'copy', outFile,
        ], 25_000);
        const readers = runPeer('ip', ['netns', 'exec', NS, process.execPath, READERS, `rtsp://127.0.0.1:${port}/live`, '2', String(FILE_FRAMES), '127.0.0.1', 'passive'], 25_000);
        const sessionsBefore = (out.match(/SESSION/g) ?? []).length;
        // ffmpeg and both our readers have SET UP (joined the group) before the stream starts.
        await waitFor(() => (out.match(/SESSION/g) ?? []).length >= sessionsBefore + 3, 15_000, 'three reader sessions');
        await new Promise((r) => setTimeout(r, 1500));
        server.stdin!.write('go\n');
        const [f, r] = await Promise.all([ff, readers]);
        const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ReadersResult;
        assert.equal(res.error, undefined, `${res.error}\n${r.stderr}\n${out}`);
        // The SDP said where the stream goes (m= port, c=IN IP4 group/ttl), so our clients used multicast unasked.
        assert.deepEqual(res.sdp, { port: 22000, address: group, ttl: 1, ...(ssm ? { sourceFilter: `incl IN IP4 ${group} 127.0.0.1` } : {}) });
        for (const t of res.transports!) {
          assert.equal(t.mode, 'multicast');
          assert.equal(t.group, group);
          assert.deepEqual(t.ports, { rtp: 22000, rtcp: 22001 });
        }
        assert.deepEqual(res.frames, [FILE_FRAMES, FILE_FRAMES]);
        const sent = /SENT (\d+) (\d+)/.exec(out);
        assert.ok(sent, out);
        // One stream: each packet sent once (one datagram per packet), and seen once on the wire.
        assert.equal(Number(sent[1]), Number(sent[2]));
        assert.equal(res.packets, Number(sent[2]), `${res.packets} datagrams seen, ${sent[2]} sent`);
        assert.equal(res.distinctSeqs, res.packets);
        assert.equal(f.code, 0, `ffmpeg failed (${f.signal ?? f.code}): ${f.stderr.slice(-3000)}\n${out}`);
        const p = await probe(outFile);
        assert.equal(p.frames, FILE_FRAMES, `ffmpeg got ${p.frames} of ${FILE_FRAMES} frames`);
      });
    } finally {
      server.stdin!.write('quit\n');
      await new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        const t = setTimeout(() => server.kill('SIGKILL'), 5_000);
        server.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  });
}

const CLIENT_CHILD = fileURLToPath(new URL('../transports/multicastClientChild.js', import.meta.url));

test('every group in use: a multicast SETUP of another stream gets 453, and the first reader plays on', async () => {
  const server = await startServer(8558, ['--multicast', '239.255.46.1', '--multicast-interface', '127.0.0.1']);
  try {
    const run = (file: string): Promise<{ frames: number; error?: string; group?: string }> =>
      runPeer('ip', ['netns', 'exec', NS, process.execPath, CLIENT_CHILD, `rtsp://127.0.0.1:8558/${file}`, String(FILE_FRAMES)], 25_000).then((r) => {
        try {
          return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { frames: number; error?: string; group?: string };
        } catch {
          throw new Error(`client child printed no result: ${r.stdout}${r.stderr}`);
        }
      });
    const first = run('test.264');
    await new Promise((r) => setTimeout(r, 800)); // the first stream holds the only group by now
    const second = await run('test.265');
    assert.match(second.error ?? '', /453/, JSON.stringify(second));
    const a = await first;
    assert.equal(a.error, undefined, `${a.error}\n${server.out()}`);
    assert.equal(a.group, '239.255.46.1');
    assert.equal(a.frames, FILE_FRAMES);
  } finally {
    await server.stop();
  }
});
