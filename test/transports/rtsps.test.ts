// RTSPS (RTSP over TLS), issue #13: our server with a throwaway certificate made at run time,
// played by real peers (ffmpeg, GStreamer's rtspsrc) and by our client; our client against
// GStreamer's RTSP server over TLS; certificate checks, the UDP refusal under TLS, and the edges a
// remote peer controls (a handshake that never completes, plain RTSP on the TLS port).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BasicTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { DynamicRTSPServer, RTSPServer } from '@dorsvr/rtspserver';
import { parseRTPInfoHeader, type RTPFrame } from '@dorsvr/livemedia';
import { RTSPClient, RTSPClientError, type RTSPClientOptions } from '@dorsvr/rtspclient';
import { findPeer } from '../helpers/peers.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tempDir.js';
import { makeTestCertificate, type TestCertificate } from '../helpers/tlsCertificate.js';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { ffmpegCopy, probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { assertGstStoppedByItself, GST_RTP_TIMESTAMPS } from '../rtspserver/helpers/gstreamer.js';
import { framerOutput, within } from '../rtspclient/helpers.js';

const scheduler = new BasicTaskScheduler();
const tmp = tempDir();
let cert: TestCertificate;
let server: DynamicRTSPServer;
let base = '';

before(async () => {
  cert = makeTestCertificate();
  server = new DynamicRTSPServer({
    scheduler,
    root: fixture(''),
    port: 0,
    host: '127.0.0.1',
    tls: { key: cert.key, cert: cert.cert },
    requestTimeoutSeconds: 1,
  });
  await server.listen();
  base = `rtsps://127.0.0.1:${server.port}`;
});

after(async () => {
  await server?.close();
  scheduler.close();
  cert?.cleanup();
  tmp.cleanup();
});

/** Plays `url` to the end (the server's BYE) with our client; returns the frames and the DESCRIBE/PLAY answers. */
async function playToEnd(url: string, options: RTSPClientOptions) {
  const client = new RTSPClient(url, options);
  try {
    const describe = await client.request('DESCRIBE', client.url, { Accept: 'application/sdp' });
    const session = await client.describe();
    for (const sub of session.subsessions) await client.setup(sub);
    const sub = session.subsessions[0]!;
    // What SETUP negotiated, read now: the session's end (BYE, the connection closing) detaches it.
    const transport = sub.transport;
    const frames: RTPFrame[] = [];
    const ended = new Promise<void>((resolve) => {
      sub.on('frame', (f) => frames.push({ ...f, data: Buffer.from(f.data) }));
      sub.on('end', resolve);
    });
    const play = await client.play();
    await within(ended, 30_000, `${url} to its end`);
    return { frames, describe, play, transport };
  } finally {
    await client.close();
  }
}

test('our client plays test.264 over rtsps:// with the CA pinned: every frame, inside the TLS connection; Content-Base and RTP-Info say rtsps://', async () => {
  const want = await framerOutput('test.264');
  const r = await playToEnd(`${base}/test.264`, { tls: { ca: cert.cert } });
  assert.equal(r.transport?.mode, 'tcp', 'auto over TLS is interleaved');
  assert.deepEqual(
    r.frames.map((f) => Buffer.from(f.data).toString('hex')),
    want.map((f) => f.toString('hex')),
    `${r.frames.length} frames received, the framer makes ${want.length}`,
  );
  assert.equal(r.describe.headers.get('Content-Base'), `${base}/test.264/`);
  const info = parseRTPInfoHeader(r.play.headers.get('RTP-Info') ?? '');
  assert.equal(info.length, 1);
  assert.match(info[0]!.url, new RegExp(`^${base}/test\\.264/`));
});

test('our client refuses the self-signed certificate by default (ERR_RTSP_TLS) and accepts it with rejectUnauthorized: false', async () => {
  const strict = new RTSPClient(`${base}/test.264`);
  try {
    await assert.rejects(strict.describe(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_TLS' && /self[- ]signed/i.test(err.message));
  } finally {
    await strict.close();
  }
  const other = makeTestCertificate('another');
  const wrongCA = new RTSPClient(`${base}/test.264`, { tls: { ca: other.cert } });
  try {
    await assert.rejects(wrongCA.describe(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_TLS');
  } finally {
    await wrongCA.close();
    other.cleanup();
  }
  const lax = new RTSPClient(`${base}/test.264`, { tls: { rejectUnauthorized: false } });
  try {
    const session = await lax.describe();
    assert.equal(session.subsessions[0]?.codecName, 'H264');
  } finally {
    await lax.close();
  }
});

test('under TLS a SETUP offering only UDP is answered 461 (RTP would leave the protected connection); allowUDPWithTLS accepts it', async () => {
  const client = new RTSPClient(`${base}/test.264`, { tls: { ca: cert.cert }, transport: 'udp' });
  try {
    const session = await client.describe();
    await assert.rejects(client.setup(session.subsessions[0]!), (err: unknown) => err instanceof RTSPClientError && err.status === 461);
  } finally {
    await client.close();
  }
  const s2 = new BasicTaskScheduler();
  const lax = new DynamicRTSPServer({ scheduler: s2, root: fixture(''), port: 0, host: '127.0.0.1', tls: { key: cert.key, cert: cert.cert }, allowUDPWithTLS: true });
  await lax.listen();
  try {
    const r = await playToEnd(`rtsps://127.0.0.1:${lax.port}/test.264`, { tls: { ca: cert.cert }, transport: 'udp' });
    assert.equal(r.transport?.mode, 'udp');
    assert.equal(r.frames.length, (await framerOutput('test.264')).length);
  } finally {
    await lax.close();
    s2.close();
  }
});

// ffmpeg 5.1's RTSP demuxer has no -tls_verify option ("Option tls_verify not found"): its TLS
// layer does not verify certificates unless told to, so the self-signed one is taken as it is.
test('ffmpeg plays test.264 over rtsps:// (it does not verify certificates by default): codec, size and every frame', async () => {
  const out = join(tmp.dir, 'ffmpeg-rtsps.mkv');
  const r = await ffmpegCopy(`${base}/test.264`, 'tcp', out);
  assert.equal(r.code, 0, r.stderr);
  const [got, want] = await Promise.all([probe(out), probe(fixture('test.264'))]);
  assert.equal(got.codec, 'h264');
  assert.equal(got.width, want.width);
  assert.equal(got.frames, want.frames, `${got.frames} frames of ${want.frames}`);
});

test("GStreamer's rtspsrc plays test.264 over rtsps:// (tls-validation-flags=0) to the end: every frame", async () => {
  const out = join(tmp.dir, 'gst-rtsps.mp4');
  const bound = 20_000;
  // rtspsrc offers UDP first for rtsps:// URLs too: our 461 sends it to TCP inside the TLS connection.
  const r = await runPeer(
    findPeer('gst-launch-1.0'),
    ['-e', 'rtspsrc', `location=${base}/test.264`, 'tls-validation-flags=0', ...GST_RTP_TIMESTAMPS, '!', 'rtph264depay', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${out}`],
    bound,
  );
  assertGstStoppedByItself(r, 'rtspsrc over rtsps', bound);
  const [got, want] = await Promise.all([probe(out), probe(fixture('test.264'))]);
  assert.equal(got.codec, 'h264');
  assert.equal(got.frames, want.frames, `${got.frames} frames of ${want.frames}`);
});

/** Opens a raw TCP connection to the TLS port, writes `bytes`, and resolves with how long the server took to close it. */
function closedAfterMs(bytes: Uint8Array | undefined, boundMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect({ host: '127.0.0.1', port: server.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`the server kept the connection open for ${boundMs} ms`));
    }, boundMs);
    s.on('connect', () => bytes && s.write(bytes));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - t0);
    });
    s.resume();
  });
}

test('a TLS handshake that never completes is dropped after requestTimeoutSeconds (silent, or a partial ClientHello); plain RTSP on the TLS port is dropped at once; the server serves on', async () => {
  // requestTimeoutSeconds is 1 for this server.
  const [silent, partial, plain] = await Promise.all([
    closedAfterMs(undefined, 8000),
    closedAfterMs(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]), 8000),
    closedAfterMs(Buffer.from(`OPTIONS rtsp://127.0.0.1:${server.port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`), 8000),
  ]);
  assert.ok(silent >= 900 && silent < 5000, `silent handshake closed after ${silent} ms`);
  assert.ok(partial >= 900 && partial < 5000, `partial ClientHello closed after ${partial} ms`);
  assert.ok(plain < 900, `plain RTSP closed after ${plain} ms`);
  assert.equal(server.connectionCount, 0, 'no RTSP connection was made of them');
  const client = new RTSPClient(`${base}/test.264`, { tls: { ca: cert.cert } });
  try {
    await client.options();
  } finally {
    await client.close();
  }
});

test('TLS options without a usable key and certificate throw ERR_SERVER_TLS at construction', () => {
  for (const tls of [{}, { key: 'not a key', cert: 'not a cert' }, { key: cert.key }]) {
    assert.throws(
      () => new RTSPServer({ scheduler, port: 0, tls }),
      (err: unknown) => isDorsvrError(err, 'ERR_SERVER_TLS'),
      JSON.stringify(Object.keys(tls)),
    );
  }
});

test('a redirect from rtsps:// to plain rtsp:// is refused (ERR_RTSP_REDIRECT)', async () => {
  const s2 = new BasicTaskScheduler();
  class Redirecting extends RTSPServer {
    protected override handleDescribe(ctx: Parameters<RTSPServer['handleDescribe']>[0]) {
      ctx.headers.append('Location', 'rtsp://127.0.0.1:1/elsewhere');
      return Promise.resolve({ status: 301, headers: ctx.headers });
    }
  }
  const r = new Redirecting({ scheduler: s2, port: 0, host: '127.0.0.1', tls: { key: cert.key, cert: cert.cert } });
  await r.listen();
  const client = new RTSPClient(`rtsps://127.0.0.1:${r.port}/x`, { tls: { ca: cert.cert } });
  try {
    await assert.rejects(client.describe(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_REDIRECT' && /not TLS/.test(err.message));
  } finally {
    await client.close();
    await r.close();
    s2.close();
  }
});

let gst: GstRtspServer | undefined;
after(async () => gst?.stop());

test("our client plays GStreamer's RTSP server over rtsps:// with its CA pinned: H.264 frames inside TLS", async () => {
  gst = await startGstRtspServer({
    mounts: { '/v': '( videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1 )' },
    tls: { certFile: cert.certFile, keyFile: cert.keyFile },
  });
  const url = gst.url('v');
  assert.match(url, /^rtsps:/);
  const client = new RTSPClient(url, { tls: { ca: cert.cert } });
  try {
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    assert.equal(sub.codecName, 'H264');
    await client.setup(sub);
    assert.equal(sub.transport?.mode, 'tcp');
    const frames: RTPFrame[] = [];
    const got = new Promise<void>((resolve) => {
      sub.on('frame', (f) => {
        frames.push(f);
        if (frames.length >= 20) resolve();
      });
    });
    await client.play();
    await within(got, 20_000, '20 frames from GStreamer over TLS');
    assert.ok(frames.length >= 20);
  } finally {
    await client.close();
  }
  // And it refuses GStreamer's self-signed certificate without the CA.
  const strict = new RTSPClient(url);
  try {
    await assert.rejects(strict.describe(), (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_TLS');
  } finally {
    await strict.close();
  }
});

test('dorsvr-server --tls-cert F --tls-key F serves rtsps:// URLs that our client plays; half a TLS configuration or a bad certificate exits 2', async () => {
  const cli = join(repoRoot, 'packages/rtspserver/dist/cli.js');
  const child = spawn(process.execPath, [cli, fixture(''), '--port', '0', '--host', '127.0.0.1', '--tls-cert', cert.certFile, '--tls-key', cert.keyFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    while (!/rtsps:\/\/\S+\/test\.264/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const url = /rtsps:\/\/\S+\/test\.264/.exec(out)?.[0];
    assert.ok(url !== undefined, `no rtsps:// URL listed:\n${out}`);
    const client = new RTSPClient(url, { tls: { ca: cert.cert } });
    try {
      const session = await client.describe();
      assert.equal(session.subsessions[0]?.codecName, 'H264');
    } finally {
      await client.close();
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
  for (const args of [['--tls-cert', cert.certFile], ['--tls-cert', cert.certFile, '--tls-key', cert.certFile]]) {
    const r = await runPeer(process.execPath, [cli, fixture(''), '--port', '0', '--host', '127.0.0.1', ...args], 15_000);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /serving/);
  }
});
