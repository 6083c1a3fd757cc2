// More real-peer tests: two ffmpeg players on one shared stream (UDP and TCP), GStreamer as a
// player, PAUSE/PLAY/TEARDOWN on real H.264 with our own byte-level client, and a media server
// that never serves anything outside its directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ADTSAudioFileServerMediaSubsession, H264VideoFileServerMediaSubsession, ServerMediaSession, parseRTPHeader } from '@dorsvr/livemedia';
import { DynamicRTSPServer, RTSPServer, type RTSPClientSession } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';
import { ffmpegCopy, probe, runPeer } from '../helpers/ffmpeg.js';
import { tempDir } from '../../helpers/tempDir.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';
import { gatedH264Subsession } from '../helpers/fixtureServer.js';

test('two ffmpeg players at once on one shared stream, one over UDP and one over TCP, both get the whole clip', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  // Both watch from the first frame: the first PLAY waits for the second (see gatedH264Subsession).
  const GatedSubsession = gatedH264Subsession(2);
  const sub = new GatedSubsession(fixture('test.264'), { scheduler, reuseFirstSource: true });
  server.addServerMediaSession(new ServerMediaSession('shared').addSubsession(sub));
  const ssrcs: Array<number | undefined> = [];
  server.on('play', (s: RTSPClientSession) => ssrcs.push([...s.streams.values()][0]?.ssrc));
  await server.listen();
  const tmp = tempDir();
  try {
    const url = `rtsp://127.0.0.1:${server.port}/shared`;
    const [u, t] = await Promise.all([
      ffmpegCopy(url, 'udp', join(tmp.dir, 'udp.mkv')),
      ffmpegCopy(url, 'tcp', join(tmp.dir, 'tcp.mkv')),
    ]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(t.code, 0, t.stderr);
    const [pu, pt] = await Promise.all([probe(join(tmp.dir, 'udp.mkv')), probe(join(tmp.dir, 'tcp.mkv'))]);
    for (const p of [pu, pt]) {
      assert.equal(p.codec, 'h264');
      assert.equal(p.width, 320);
      // Both were watching when the first frame went out: the whole 50-frame clip.
      assert.equal(p.frames, 50, `${p.frames} frames`);
    }
    // One stream, packetized once: both sessions were fed by the same RTP sink (same SSRC).
    assert.equal(ssrcs.length, 2);
    assert.ok(ssrcs[0] !== undefined && ssrcs[0] === ssrcs[1], `SSRCs ${ssrcs.join(', ')}`);
  } finally {
    tmp.cleanup();
    await server.close();
    scheduler.close();
  }
});

test('GStreamer (rtspsrc, TCP) plays an H.264 stream to the end', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1' });
  await server.listen();
  try {
    const r = await runPeer(
      findPeer('gst-launch-1.0'),
      ['rtspsrc', `location=rtsp://127.0.0.1:${server.port}/test.264`, 'protocols=tcp', '!', 'rtph264depay', '!', 'h264parse', '!', 'fakesink', 'silent=false', '-v'],
      30_000,
    );
    assertGstStoppedByItself(r, 'rtspsrc over TCP', 30_000);
    const buffers = (r.stdout.match(/fakesink0.*chain/g) ?? []).length;
    assert.ok(buffers >= 49 && buffers <= 51, `GStreamer's sink got ${buffers} buffers`);
  } finally {
    await server.close();
    scheduler.close();
  }
});

test('real H.264 over interleaved TCP: PLAY, PAUSE, PLAY resumes with the next sequence number, TEARDOWN stops it', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1' });
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/test.264`;
    const d = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
    assert.equal(d.status, 200);
    assert.match(d.body, /a=fmtp:96 packetization-mode=1;profile-level-id=42C0..;sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+\r\n/);
    assert.match(d.body, /a=range:npt=0-2\.000\r\n/);
    const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const session = s.headers['session']!.split(';')[0]!;
    const p1 = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0-' });
    assert.equal(p1.headers['range'], 'npt=0.000-2.000');
    const seq0 = Number(/seq=(\d+)/.exec(p1.headers['rtp-info']!)![1]);
    await c.waitFor(() => c.frameCount(0) >= 20, 5000, '20 RTP packets');
    assert.equal(parseRTPHeader(c.frames.get(0)![0]!.payload).sequenceNumber, seq0);
    assert.equal((await c.request('PAUSE', `${url}/`, { Session: session })).status, 200);
    const n = c.frameCount(0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.frameCount(0), n, 'no RTP while paused');
    const lastSeq = parseRTPHeader(c.frames.get(0)![n - 1]!.payload).sequenceNumber;
    const p2 = await c.request('PLAY', `${url}/`, { Session: session });
    const seq1 = Number(/seq=(\d+)/.exec(p2.headers['rtp-info']!)![1]);
    assert.equal(seq1, (lastSeq + 1) & 0xffff);
    await c.waitFor(() => c.frameCount(0) > n, 5000, 'RTP after resuming');
    const all = c.frames.get(0)!.map((f) => parseRTPHeader(f.payload).sequenceNumber);
    for (let i = 1; i < all.length; i++) assert.equal(all[i], (all[i - 1]! + 1) & 0xffff, 'sequence numbers are continuous');
    // RTCP sender reports arrive on channel 1 (after the first report interval they may not yet).
    assert.equal((await c.request('TEARDOWN', `${url}/`, { Session: session })).status, 200);
    const m = c.frameCount(0);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(c.frameCount(0) <= m + 1, 'nothing after TEARDOWN');
    assert.equal(server.clientSessions.size, 0);
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('the media server never serves outside its directory: .., encoded tricks, absolute paths, symlinks out → 404', async () => {
  const tmp = tempDir();
  const root = join(tmp.dir, 'media');
  mkdirSync(join(root, 'sub'), { recursive: true });
  copyFileSync(fixture('test.264'), join(root, 'sub', 'ok.264'));
  // A file outside the root, and a symlink pointing at it from inside.
  writeFileSync(join(tmp.dir, 'secret.264'), Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0, 0x1e]));
  symlinkSync(join(tmp.dir, 'secret.264'), join(root, 'link.264'));
  symlinkSync(tmp.dir, join(root, 'up'));
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root, port: 0, host: '127.0.0.1' });
  server.on('error', () => {}); // the junk file below is reported there
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const base = `rtsp://127.0.0.1:${server.port}`;
    assert.equal((await c.request('DESCRIBE', `${base}/sub/ok.264`)).status, 200);
    for (const path of [
      '/../secret.264',
      '/sub/../../secret.264',
      '/%2e%2e/secret.264',
      '/%2E%2E%2Fsecret.264',
      '/sub/%2e%2e/%2e%2e/secret.264',
      '//' + join(tmp.dir, 'secret.264'),
      '/' + encodeURIComponent(join(tmp.dir, 'secret.264')),
      '/link.264',
      '/up/secret.264',
      '/sub/ok.264%00.264',
      '/..%5csecret.264',
    ]) {
      const r = await c.request('DESCRIBE', `${base}${path}`);
      assert.ok(r.status === 404 || r.status === 400, `${path} → ${r.status}`);
    }
    // A file that is not what its name says: 415, and the server goes on.
    writeFileSync(join(root, 'junk.264'), Buffer.alloc(3000, 0xab));
    assert.equal((await c.request('DESCRIBE', `${base}/junk.264`)).status, 415);
    // The connection still serves.
    assert.equal((await c.request('OPTIONS', '*')).status, 200);
    assert.equal((await c.request('DESCRIBE', `${base}/sub/ok.264`)).status, 200);
  } finally {
    c.close();
    await server.close();
    scheduler.close();
    tmp.cleanup();
  }
});

test('a two-track stream (H.264 + AAC): ffmpeg sets up both, one aggregate PLAY, RTP-Info for each, both tracks complete', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(
    new ServerMediaSession('av')
      .addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler }))
      .addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler })),
  );
  const methods: string[] = [];
  server.on('request', (_c, m, uri) => methods.push(`${m} ${uri.replace(/^rtsp:\/\/[^/]+/, '')}`));
  await server.listen();
  const tmp = tempDir();
  try {
    const out = join(tmp.dir, 'av.mkv');
    const r = await ffmpegCopy(`rtsp://127.0.0.1:${server.port}/av`, 'tcp', out, [], 30_000, ['-map', '0']);
    assert.equal(r.code, 0, r.stderr);
    const [v, a] = await Promise.all([probe(out, 'v:0'), probe(out, 'a:0')]);
    assert.equal(v.codec, 'h264');
    assert.equal(v.frames, 50);
    assert.equal(a.codec, 'aac');
    assert.equal(a.frames, 45);
    assert.ok(methods.includes('SETUP /av/track1') && methods.includes('SETUP /av/track2'), methods.join(', '));
    assert.equal(methods.filter((m) => m.startsWith('PLAY')).length, 1);
  } finally {
    tmp.cleanup();
    await server.close();
    scheduler.close();
  }
});
