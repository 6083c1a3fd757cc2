// Digest replay with real clients (issue #11 follow-up). Our server offers qop="auth" and binds
// each nonce to the client's address: ffmpeg answers with qop=auth and a growing nonce count, so
// a captured header of it is refused when replayed, from its address or another; GStreamer answers
// without qop (RFC 2069), whose header does not change between requests: a nonce then authorizes
// each method and uri once, so a captured header is refused from its own address too, and
// GStreamer's repeated keep-alives each take a fresh nonce (stale=true, then retried). All play.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, UserAuthenticationDatabase, type RTSPRequestContext, type RTSPResponse } from '@dorsvr/rtspserver';
import type { ServerMediaSession } from '@dorsvr/livemedia';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../helpers/ffmpeg.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';
import { RTSPClient } from '@dorsvr/rtspclient';

const tmp = tempDir();
after(() => tmp.cleanup());
const longClip = join(tmp.dir, 'media', 'ten.264');
before(async () => {
  mkdirSync(join(tmp.dir, 'media'));
  const r = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', '25', '-f', 'h264', longClip], 60_000);
  assert.equal(r.code, 0, r.stderr);
});

/** A server that keeps every Authorization header a DESCRIBE was served with. */
class CapturingServer extends DynamicRTSPServer {
  readonly accepted: string[] = [];
  protected override async authorize(ctx: RTSPRequestContext, sms: ServerMediaSession | undefined, action: 'read' | 'publish'): Promise<RTSPResponse | undefined> {
    const denied = await super.authorize(ctx, sms, action);
    const h = ctx.request.headers.get('Authorization');
    if (denied === undefined && h !== undefined && ctx.request.method === 'DESCRIBE') this.accepted.push(h);
    return denied;
  }
}

async function securedServer(requireDigestQop = false) {
  const scheduler = new BasicTaskScheduler();
  const db = new UserAuthenticationDatabase({ realm: 'replay' }).addUser('viewer', 'pa55');
  const server = new CapturingServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', authDatabase: db, requireDigestQop });
  await server.listen();
  return {
    server,
    async close() {
      await server.close();
      scheduler.close();
    },
  };
}

/** DESCRIBE with a captured header, from `localAddress`: the status and whether it says stale. */
async function replay(port: number, header: string, localAddress: string): Promise<{ status: number; stale: boolean }> {
  const c = await RawRTSPClient.connect(port, '127.0.0.1', localAddress);
  try {
    const uri = /uri="([^"]*)"/.exec(header)![1]!;
    const abs = uri.startsWith('rtsp://') ? uri : `rtsp://127.0.0.1:${port}${uri}`;
    const r = await c.request('DESCRIBE', abs, { Accept: 'application/sdp', Authorization: header });
    return { status: r.status, stale: /stale=true/i.test((r.all['www-authenticate'] ?? []).join('\n')) };
  } finally {
    c.close();
  }
}

test('ffmpeg plays with Digest qop=auth; its captured DESCRIBE header replayed from its own address or another is refused (stale)', async () => {
  const s = await securedServer();
  try {
    const out = join(tmp.dir, 'ffmpeg-auth.mkv');
    const r = await ffmpegCopy(`rtsp://viewer:pa55@127.0.0.1:${s.server.port}/test.264`, 'tcp', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await probe(out)).frames, 50);
    const header = s.server.accepted.at(-1);
    assert.ok(header, 'ffmpeg DESCRIBEd with credentials');
    assert.match(header, /qop="?auth"?/, `ffmpeg uses qop=auth: ${header}`);
    assert.match(header, /nc=0*1\b/);
    assert.deepEqual(await replay(s.server.port, header, '127.0.0.1'), { status: 401, stale: true }, 'replayed from its own address');
    assert.deepEqual(await replay(s.server.port, header, '127.0.0.2'), { status: 401, stale: true }, 'replayed from another address');
  } finally {
    await s.close();
  }
});

test('our RTSPClient plays with Digest qop=auth, its header replays are refused; GStreamer (no qop) plays, and its captured header is refused from another address and from its own', async () => {
  const s = await securedServer();
  try {
    const client = new RTSPClient(`rtsp://viewer:pa55@127.0.0.1:${s.server.port}/test.264`);
    try {
      const session = await client.describe();
      assert.equal(session.subsessions.length, 1);
    } finally {
      await client.close();
    }
    const ours = s.server.accepted.at(-1)!;
    assert.match(ours, /qop="?auth"?/, ours);
    assert.equal((await replay(s.server.port, ours, '127.0.0.1')).status, 401);

    const bound = 15_000;
    const g = await runPeer(
      findPeer('gst-launch-1.0'),
      ['-e', 'rtspsrc', `location=rtsp://127.0.0.1:${s.server.port}/test.264`, 'protocols=tcp', 'user-id=viewer', 'user-pw=pa55', '!', 'fakesink'],
      bound,
    );
    assertGstStoppedByItself(g, 'GStreamer with credentials', bound);
    const gst = s.server.accepted.at(-1)!;
    assert.notEqual(gst, ours);
    assert.doesNotMatch(gst, /qop=/, `GStreamer answers without qop: ${gst}`);
    assert.deepEqual(await replay(s.server.port, gst, '127.0.0.2'), { status: 401, stale: true }, 'from another address');
    assert.deepEqual(await replay(s.server.port, gst, '127.0.0.1'), { status: 401, stale: true }, 'from its own address, while the nonce lives');
  } finally {
    await s.close();
  }
});

test('requireDigestQop: ffmpeg (qop=auth) still plays; GStreamer rtspsrc (no qop) is refused with 401 and cannot play; no accepted header can be replayed', async () => {
  const s = await securedServer(true);
  try {
    const out = join(tmp.dir, 'ffmpeg-qop-required.mkv');
    const r = await ffmpegCopy(`rtsp://viewer:pa55@127.0.0.1:${s.server.port}/test.264`, 'tcp', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await probe(out)).frames, 50);
    const header = s.server.accepted.at(-1)!;
    assert.match(header, /qop="?auth"?/, header);
    assert.deepEqual(await replay(s.server.port, header, '127.0.0.1'), { status: 401, stale: true }, 'replayed from its own address');
    const accepted = s.server.accepted.length;

    const bound = 15_000;
    const g = await runPeer(
      findPeer('gst-launch-1.0'),
      ['-e', 'rtspsrc', `location=rtsp://127.0.0.1:${s.server.port}/test.264`, 'protocols=tcp', 'user-id=viewer', 'user-pw=pa55', '!', 'fakesink'],
      bound,
    );
    assert.equal(g.signal, null, 'gst-launch gave up by itself');
    assert.notEqual(g.code, 0, 'GStreamer did not play');
    assert.match(`${g.stdout}\n${g.stderr}`, /Unauthorized|401/i);
    assert.equal(s.server.accepted.length, accepted, 'no DESCRIBE of GStreamer was served');
  } finally {
    await s.close();
  }
});

test('GStreamer (no qop) over UDP keeps its session alive: each repeated GET_PARAMETER keep-alive gets stale=true and is retried with the new nonce, and it plays a 10 s clip to the end', async () => {
  const scheduler = new BasicTaskScheduler();
  const db = new UserAuthenticationDatabase({ realm: 'replay' }).addUser('viewer', 'pa55');
  // A 5 s session timeout: rtspsrc sends a keep-alive every 4 s.
  const server = new DynamicRTSPServer({ scheduler, root: join(tmp.dir, 'media'), port: 0, host: '127.0.0.1', authDatabase: db, reclamationSeconds: 5 });
  await server.listen();
  const requests: string[] = [];
  server.on('request', (_info, method) => requests.push(method));
  const closed: string[] = [];
  server.on('sessionClosed', (_s, reason) => closed.push(reason));
  try {
    const bound = 40_000;
    const g = await runPeer(
      findPeer('gst-launch-1.0'),
      ['-e', 'rtspsrc', `location=rtsp://127.0.0.1:${server.port}/ten.264`, 'protocols=udp', 'user-id=viewer', 'user-pw=pa55', '!', 'rtph264depay', '!', 'h264parse', '!', 'fakesink', 'silent=false', '-v'],
      bound,
    );
    assertGstStoppedByItself(g, 'GStreamer with keep-alives', bound);
    const buffers = (g.stdout.match(/fakesink0.*chain/g) ?? []).length;
    assert.ok(buffers >= 245 && buffers <= 251, `GStreamer's sink got ${buffers} of 250 frames`);
    const keepAlives = requests.filter((m) => m === 'GET_PARAMETER').length;
    // At least two keep-alives, the second and later each sent twice (stale, then the retry).
    assert.ok(keepAlives >= 3, `requests: ${requests.join(' ')}`);
    assert.ok(!closed.includes('timeout'), `sessions closed: ${closed.join(', ')}`);
  } finally {
    await server.close();
    scheduler.close();
  }
});
