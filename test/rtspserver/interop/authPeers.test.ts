// Real players authenticate with Digest against our server, including the recovery path: a right
// digest over a nonce the server never issued (a restart, another server) gets stale=true and the
// player retries with the new nonce on its own, without failing. (ffmpeg retries a stale 401 only
// when it is the first answer to a request, so the unknown nonce is met on SETUP, as after a
// restart between DESCRIBE and SETUP; on DESCRIBE's second try ffmpeg gives up whatever we say.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, UserAuthenticationDatabase } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../helpers/ffmpeg.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';
import { SwitchingProxy } from '../helpers/SwitchingProxy.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const REALM = 'dorsvr-auth';
const db = new UserAuthenticationDatabase({ realm: REALM }).addUser('viewer', 'pa55');

async function securedServer() {
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', authDatabase: db });
  await server.listen();
  const errors: unknown[] = [];
  server.on('error', (e) => errors.push(e));
  return {
    server,
    errors,
    async close() {
      await server.close();
      scheduler.close();
    },
  };
}

/**
 * Two servers with the same files and users (each with its own nonce secret) behind a proxy that
 * moves the connection from the first to the second once DESCRIBE is answered: the player's SETUP
 * then carries a nonce the second server never issued, with a digest that is right otherwise.
 */
/** `url(name, user)`: the stream's URL through the proxy, with userinfo `user` (default `viewer:pa55`; '' for none). */
async function restartedBetweenRequests(body: (url: (name: string, user?: string) => string, proxy: SwitchingProxy) => Promise<void>): Promise<void> {
  const [a, b] = [await securedServer(), await securedServer()];
  const proxy = await SwitchingProxy.start(a.server.port, b.server.port);
  try {
    await body((name, user = 'viewer:pa55') => `rtsp://${user === '' ? '' : `${user}@`}127.0.0.1:${proxy.port}/${name}`, proxy);
  } finally {
    await proxy.close();
    await a.close();
    await b.close();
  }
}

const statusLine = (head: string): string => head.split('\r\n', 1)[0]!;

test('ffmpeg: a correct digest over a nonce the server never issued gets stale=true; ffmpeg retries with the new nonce and plays test.264 to the end', async () => {
  await restartedBetweenRequests(async (url, proxy) => {
    const out = join(tmp.dir, 'stale.mkv');
    const r = await ffmpegCopy(url('test.264'), 'tcp', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await probe(out)).frames, 50);
    const seen = proxy.responses.map((x) => `${x.from}: ${statusLine(x.head)}${/stale=true/.test(x.head) ? ' (stale)' : ''}`);
    const fromSecond = proxy.responses.filter((x) => x.from === 'second');
    assert.ok(/^RTSP\/1\.0 401/.test(fromSecond[0]!.head) && /stale=true/.test(fromSecond[0]!.head), `the first SETUP is answered 401 stale=true: ${seen.join(' | ')}`);
    assert.match(fromSecond[1]!.head, /^RTSP\/1\.0 200/, `then the retried SETUP is served: ${seen.join(' | ')}`);
  });
});

test('ffprobe: the same recovery; a wrong password on the same path fails at DESCRIBE and is never called stale', async () => {
  await restartedBetweenRequests(async (url, proxy) => {
    const ok = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url('test.265')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /hevc/);
    assert.equal(proxy.responses.filter((x) => /stale=true/.test(x.head)).length, 1);
  });
  await restartedBetweenRequests(async (url, proxy) => {
    const bad = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', url('test.265', 'viewer:wrong')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /401|Unauthorized/i);
    assert.equal(proxy.responses.filter((x) => /stale=true/.test(x.head)).length, 0);
  });
});

test('GStreamer rtspsrc authenticates with Digest (user-id/user-pw) and plays test.264 to the end; a wrong password is refused', async () => {
  const s = await securedServer();
  try {
    const url = `rtsp://127.0.0.1:${s.server.port}/test.264`;
    const out = join(tmp.dir, 'gst-auth.264');
    const gst = (pw: string, file: string) =>
      runPeer(findPeer('gst-launch-1.0'), ['-e', 'rtspsrc', `location=${url}`, 'protocols=tcp', 'user-id=viewer', `user-pw=${pw}`, '!', 'rtph264depay', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream', '!', 'filesink', `location=${file}`], 15_000);
    const r = await gst('pa55', out);
    assertGstStoppedByItself(r, 'GStreamer with credentials', 15_000);
    assert.equal((await probe(out)).frames, 50);
    const bad = await gst('wrong', join(tmp.dir, 'gst-denied.264'));
    assert.notEqual(bad.code, 0);
    assert.match(`${bad.stdout}\n${bad.stderr}`, /Unauthorized|401|authenticat/i);
  } finally {
    await s.close();
  }
});

test('GStreamer rtspsrc: the same recovery, a SETUP over a nonce the server never issued gets stale=true and rtspsrc retries and plays to the end', async () => {
  await restartedBetweenRequests(async (url, proxy) => {
    const r = await runPeer(findPeer('gst-launch-1.0'), ['-e', 'rtspsrc', `location=${url('test.264', '')}`, 'protocols=tcp', 'user-id=viewer', 'user-pw=pa55', '!', 'fakesink'], 15_000);
    assertGstStoppedByItself(r, 'GStreamer through a restart', 15_000);
    const fromSecond = proxy.responses.filter((x) => x.from === 'second');
    const seen = proxy.responses.map((x) => `${x.from}: ${statusLine(x.head)}${/stale=true/.test(x.head) ? ' (stale)' : ''}`).join(' | ');
    assert.ok(/^RTSP\/1\.0 401/.test(fromSecond[0]!.head) && /stale=true/.test(fromSecond[0]!.head), seen);
    assert.match(fromSecond[1]!.head, /^RTSP\/1\.0 200/, seen);
  });
});
