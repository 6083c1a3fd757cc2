// RTSP over HTTP (the QuickTime/VLC tunnel), issue #13: our server's HTTP port played by real
// peers (ffmpeg -rtsp_transport http, GStreamer's rtspsrc rtsph://) and by our client (rtsph://,
// and the fallback when the RTSP port refuses); our client through GStreamer's RTSP server's own
// tunnel; requests split across base64 quanta; and the bad input a remote peer controls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import type { RTPFrame } from '@dorsvr/livemedia';
import { RTSPClient, type RTSPClientOptions } from '@dorsvr/rtspclient';
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
let server: DynamicRTSPServer;

before(async () => {
  server = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', httpPort: 0, requestTimeoutSeconds: 1, idleTimeoutSeconds: 2 });
  await server.listen();
});

after(async () => {
  await server?.close();
  scheduler.close();
  tmp.cleanup();
});

/** Plays `url` to the end (the server's BYE) with our client; returns the frames and the client's view of how. */
async function playToEnd(url: string, options: RTSPClientOptions = {}) {
  const client = new RTSPClient(url, options);
  try {
    const session = await client.describe();
    for (const sub of session.subsessions) await client.setup(sub);
    const sub = session.subsessions[0]!;
    const frames: RTPFrame[] = [];
    const ended = new Promise<void>((resolve) => {
      sub.on('frame', (f) => frames.push({ ...f, data: Buffer.from(f.data) }));
      sub.on('end', resolve);
    });
    await client.play();
    // Read while playing: once the stream ended (the server's BYE) the client may release it first.
    const transport = sub.transport;
    await within(ended, 30_000, `${url} to its end`);
    return { frames, transport, tunnelled: client.httpTunnelled };
  } finally {
    await client.close();
  }
}

async function assertEveryFrame(frames: readonly RTPFrame[], what: string): Promise<void> {
  const want = await framerOutput('test.264');
  assert.deepEqual(
    frames.map((f) => Buffer.from(f.data).toString('hex')),
    want.map((f) => f.toString('hex')),
    `${what}: ${frames.length} frames received, the framer makes ${want.length}`,
  );
}

test('ffmpeg -rtsp_transport http plays test.264 through the HTTP port: codec, size and every frame', async () => {
  const out = join(tmp.dir, 'ffmpeg-http.mkv');
  const r = await ffmpegCopy(`rtsp://127.0.0.1:${server.httpPort}/test.264`, 'http', out);
  assert.equal(r.code, 0, r.stderr);
  const [got, want] = await Promise.all([probe(out), probe(fixture('test.264'))]);
  assert.equal(got.codec, 'h264');
  assert.equal(got.width, want.width);
  assert.equal(got.frames, want.frames, `${got.frames} frames of ${want.frames}`);
});

test("GStreamer's rtspsrc plays rtsph://…/test.264 through the HTTP port to the end: every frame", async () => {
  const out = join(tmp.dir, 'gst-http.mp4');
  const bound = 20_000;
  const r = await runPeer(
    findPeer('gst-launch-1.0'),
    ['-e', 'rtspsrc', `location=rtsph://127.0.0.1:${server.httpPort}/test.264`, ...GST_RTP_TIMESTAMPS, '!', 'rtph264depay', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${out}`],
    bound,
  );
  assertGstStoppedByItself(r, 'rtspsrc over rtsph', bound);
  const [got, want] = await Promise.all([probe(out), probe(fixture('test.264'))]);
  assert.equal(got.frames, want.frames, `${got.frames} frames of ${want.frames}`);
});

test('our client plays rtsph://…/test.264 through the tunnel: every frame, interleaved on the GET half', async () => {
  const r = await playToEnd(`rtsph://127.0.0.1:${server.httpPort}/test.264`);
  assert.equal(r.tunnelled, true);
  assert.equal(r.transport?.mode, 'tcp');
  await assertEveryFrame(r.frames, 'rtsph');
});

/** A port nothing listens on (bound, then closed). */
async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('httpTunnelFallback: when the RTSP port refuses the connection our client tunnels to httpTunnelPort and plays every frame; when it answers, no tunnel', async () => {
  const closed = await refusedPort();
  const r = await playToEnd(`rtsp://127.0.0.1:${closed}/test.264`, { httpTunnelPort: server.httpPort, httpTunnelFallback: true });
  assert.equal(r.tunnelled, true);
  await assertEveryFrame(r.frames, 'fallback');
  const direct = new RTSPClient(`rtsp://127.0.0.1:${server.port}/test.264`, { httpTunnelPort: server.httpPort, httpTunnelFallback: true });
  try {
    await direct.options();
    assert.equal(direct.httpTunnelled, false);
  } finally {
    await direct.close();
  }
  // Without the fallback option, a refused RTSP port is an error as before.
  const plain = new RTSPClient(`rtsp://127.0.0.1:${closed}/test.264`);
  try {
    await assert.rejects(plain.options(), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'ERR_RTSP_CONNECT');
  } finally {
    await plain.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Raw halves, for what real clients do not (or not always) do.

interface Half {
  socket: Socket;
  /** Everything received so far. */
  text(): string;
  /** Resolves once the server closed it (with ms since it was opened). */
  closed: Promise<number>;
  /** Resolves once the received text matches. */
  until(re: RegExp, ms?: number): Promise<string>;
}

function openHalf(head: string | undefined, port = server.httpPort, allowHalfOpen = false): Half {
  const t0 = performance.now();
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen });
  let got = '';
  const waiters = new Set<() => void>();
  socket.on('data', (d: Buffer) => {
    got += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - t0)));
  if (head !== undefined) socket.write(head);
  return {
    socket,
    text: () => got,
    closed,
    until: (re, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!re.test(got)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(got);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${re} within ${ms} ms; got ${JSON.stringify(got.slice(0, 500))}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

const getHead = (cookie: string): string => `GET /test.264 HTTP/1.0\r\nx-sessioncookie: ${cookie}\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n`;
const postHead = (cookie: string): string => `POST /test.264 HTTP/1.0\r\nx-sessioncookie: ${cookie}\r\nContent-Type: application/x-rtsp-tunnelled\r\nContent-Length: 32767\r\n\r\n`;

test('requests in base64 split byte by byte (across quanta, each request padded on its own) are answered on the GET half', async () => {
  const cookie = 'splitcookie0123456789';
  const get = openHalf(getHead(cookie));
  try {
    const answer = await get.until(/\r\n\r\n/);
    assert.match(answer, /^HTTP\/1\.[01] 200 OK\r\n/);
    assert.match(answer, /\r\nContent-Type: application\/x-rtsp-tunnelled\r\n/i);
    const post = openHalf(postHead(cookie));
    const b64 = [1, 2]
      .map((cseq) => Buffer.from(`OPTIONS rtsp://127.0.0.1:${server.httpPort}/test.264 RTSP/1.0\r\nCSeq: ${cseq}\r\n\r\n`).toString('base64'))
      .join('');
    assert.ok(b64.includes('='), 'the first request ends with padding');
    for (const ch of b64) {
      post.socket.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    await get.until(/CSeq: 2\r\n/);
    assert.equal(get.text().match(/RTSP\/1\.0 200 OK\r\n/g)?.length, 2, get.text());
    post.socket.destroy();
  } finally {
    get.socket.destroy();
  }
});

/** An OPTIONS request, base64-encoded as a POST carries it. */
const optionsB64 = (cseq: number): string => Buffer.from(`OPTIONS rtsp://127.0.0.1:${server.httpPort}/test.264 RTSP/1.0\r\nCSeq: ${cseq}\r\n\r\n`).toString('base64');
const NO_TUNNEL = /^HTTP\/1\.0 400 Bad Request\r\n[\s\S]*no tunnel is open with this x-sessioncookie for this client/;

test('hijack: a POST from another address than its GET is refused (the same 400 as an unknown cookie) and the tunnel is untouched; a second POST is refused; closing the POST ends the tunnel; its cookie is never taken again', async () => {
  const cookie = 'hijackcookie0123456789';
  const get = openHalf(getHead(cookie));
  try {
    await get.until(/200 OK/);
    // 127.0.0.2 is another client on the loopback network.
    const stranger = connect({ host: '127.0.0.1', port: server.httpPort, localAddress: '127.0.0.2' });
    let strangerGot = '';
    stranger.on('data', (d: Buffer) => (strangerGot += d.toString('latin1')));
    stranger.on('error', () => undefined);
    stranger.write(postHead(cookie) + optionsB64(1));
    await new Promise((resolve) => stranger.on('close', resolve));
    assert.match(strangerGot, NO_TUNNEL);
    assert.equal(get.socket.destroyed, false);
    assert.doesNotMatch(get.text(), /RTSP\/1\.0/, 'the foreign POST request reached the tunnel');
    // The owner's POST (same address as its GET) still attaches and is answered.
    const post = openHalf(postHead(cookie) + optionsB64(2));
    await get.until(/CSeq: 2\r\n/);
    // A second POST, even from the same address, is refused while the first is open; the tunnel goes on.
    const second = openHalf(postHead(cookie) + optionsB64(3));
    await second.closed;
    assert.match(second.text(), NO_TUNNEL);
    post.socket.write(optionsB64(4));
    await get.until(/CSeq: 4\r\n/);
    assert.doesNotMatch(get.text(), /CSeq: 3\r\n/);
    // Closing the POST ends the tunnel (its GET, its RTSP connection).
    const conns = server.connectionCount;
    post.socket.destroy();
    const closedMs = await get.closed;
    assert.ok(closedMs < 10_000);
    for (let i = 0; i < 100 && server.connectionCount !== conns - 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.connectionCount, conns - 1);
    // The cookie is retired: neither a GET nor a POST may take it again.
    const again = openHalf(getHead(cookie));
    await again.closed;
    assert.match(again.text(), /^HTTP\/1\.0 400 [\s\S]*tunnel that has closed/);
    const late = openHalf(postHead(cookie) + optionsB64(5));
    await late.closed;
    assert.match(late.text(), NO_TUNNEL);
  } finally {
    get.socket.destroy();
  }
});

test('httpTunnelPostFromAnyAddress: true lets a POST from another address attach (clients behind load-balancing proxies); a non-boolean is refused', async () => {
  assert.throws(
    () => new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, httpPort: 0, httpTunnelPostFromAnyAddress: 'yes' as unknown as boolean }),
    (e: unknown) => e instanceof Error && 'code' in e && e.code === 'ERR_SERVER_OPTION',
  );
  const open = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', httpPort: 0, httpTunnelPostFromAnyAddress: true });
  await open.listen();
  try {
    const cookie = 'balancedcookie';
    const get = openHalf(getHead(cookie), open.httpPort);
    try {
      await get.until(/200 OK/);
      const post = connect({ host: '127.0.0.1', port: open.httpPort, localAddress: '127.0.0.2' });
      post.on('error', () => undefined);
      post.write(postHead(cookie) + optionsB64(7));
      await get.until(/CSeq: 7\r\n/);
      post.destroy();
    } finally {
      get.socket.destroy();
    }
  } finally {
    await open.close();
  }
});

test('an unmatched POST is not read: whatever it keeps sending, the server takes a bounded amount and closes it within about 2 s', async () => {
  // allowHalfOpen: the client goes on sending after the server's answer and FIN.
  const post = openHalf(postHead('nobodyscookie'), server.httpPort, true);
  const chunk = Buffer.alloc(1 << 20, 0x41);
  let written = 0;
  let taken = 0;
  let open = true;
  void post.closed.then(() => (open = false));
  const t0 = performance.now();
  // Bounded: at most 256 MiB offered and 6 s.
  while (open && written < 256 << 20 && performance.now() - t0 < 6000) {
    if (post.socket.writableLength < 8 << 20) {
      post.socket.write(chunk);
      written += chunk.length;
    }
    taken = Math.max(taken, written - post.socket.writableLength);
    await new Promise((r) => setTimeout(r, 1));
  }
  const ms = await post.closed;
  assert.match(post.text(), NO_TUNNEL);
  assert.ok(ms > 1500 && ms < 4000, `closed after ${ms} ms`);
  assert.ok(taken < 48 << 20, `the server (and the kernel's buffers) took ${taken >> 20} MiB of ${written >> 20} MiB offered`);
});

test('bad input on the HTTP port gets a clear HTTP answer and is closed; the server serves on', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['POST without GET', postHead('nosuchcookie'), /^HTTP\/1\.0 400 Bad Request\r\n[\s\S]*GET it first, from the same address/],
    ['GET without cookie', 'GET /test.264 HTTP/1.0\r\n\r\n', /^HTTP\/1\.0 400 [\s\S]*x-sessioncookie is missing/],
    ['bad cookie', getHead('x'.repeat(200)), /^HTTP\/1\.0 400 [\s\S]*malformed/],
    ['another method', 'PUT /x HTTP/1.0\r\nx-sessioncookie: a\r\n\r\n', /^HTTP\/1\.0 405 /],
    ['not HTTP', 'OPTIONS rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 1\r\n\r\n', /^HTTP\/1\.0 400 /],
    ['head over 8 KiB', `GET / HTTP/1.0\r\nX: ${'a'.repeat(9000)}`, /^HTTP\/1\.0 431 /],
  ];
  for (const [what, head, re] of cases) {
    const h = openHalf(head);
    await h.closed;
    assert.match(h.text(), re, `${what}: ${JSON.stringify(h.text().slice(0, 200))}`);
  }
  // A GET whose cookie is in use by an open tunnel is refused; the open one is untouched.
  const first = openHalf(getHead('dupcookie'));
  try {
    await first.until(/200 OK/);
    const dup = openHalf(getHead('dupcookie'));
    await dup.closed;
    assert.match(dup.text(), /^HTTP\/1\.0 400 [\s\S]*open already/);
    assert.equal(first.socket.destroyed, false);
  } finally {
    first.socket.destroy();
  }
  await playToEnd(`rtsph://127.0.0.1:${server.httpPort}/test.264`);
});

test('base64 garbage on the POST: answered 400 and the whole tunnel (GET half, its RTSP connection) is freed', async () => {
  const cookie = 'garbagecookie';
  const get = openHalf(getHead(cookie));
  await get.until(/200 OK/);
  const before = server.connectionCount;
  assert.ok(before >= 1);
  const post = openHalf(`${postHead(cookie)}T1BUSU9OUyBydHNw!!!not base64`);
  const [getClosed] = await Promise.all([get.closed, post.closed]);
  assert.ok(getClosed < 5000);
  assert.match(post.text(), /^HTTP\/1\.0 400 [\s\S]*not base64/);
  assert.equal(server.connectionCount, before - 1);
});

test('timeouts: a head that never completes is closed (408) after requestTimeoutSeconds; a GET whose POST never comes, after idleTimeoutSeconds', async () => {
  // requestTimeoutSeconds 1, idleTimeoutSeconds 2 for this server.
  const slow = openHalf('GET /test.264 HTTP/1.0\r\nx-sessioncookie: slow');
  const lonely = openHalf(getHead('lonelycookie'));
  const [slowMs, lonelyMs] = await Promise.all([slow.closed, lonely.closed]);
  assert.match(slow.text(), /^HTTP\/1\.0 408 /);
  assert.ok(slowMs >= 900 && slowMs < 5000, `slow head closed after ${slowMs} ms`);
  assert.match(lonely.text(), /^HTTP\/1\.0 200 OK/);
  assert.ok(lonelyMs >= 1900 && lonelyMs < 8000, `lonely GET closed after ${lonelyMs} ms`);
});

test('RTSP over HTTPS: with tls the HTTP port speaks TLS too; our client (rtspsh://, CA pinned), ffmpeg -rtsp_transport https and rtspsrc rtspsh:// play every frame', async () => {
  const cert: TestCertificate = makeTestCertificate();
  const s2 = new BasicTaskScheduler();
  const secure = new DynamicRTSPServer({ scheduler: s2, root: fixture(''), port: 0, host: '127.0.0.1', httpPort: 0, tls: { key: cert.key, cert: cert.cert } });
  await secure.listen();
  try {
    const r = await playToEnd(`rtspsh://127.0.0.1:${secure.httpPort}/test.264`, { tls: { ca: cert.cert } });
    assert.equal(r.tunnelled, true);
    await assertEveryFrame(r.frames, 'rtspsh');
    const want = (await probe(fixture('test.264'))).frames;
    const ffOut = join(tmp.dir, 'ffmpeg-https.mkv');
    const gstOut = join(tmp.dir, 'gst-https.mp4');
    const bound = 20_000;
    const [f, g] = await Promise.all([
      ffmpegCopy(`rtsp://127.0.0.1:${secure.httpPort}/test.264`, 'https', ffOut),
      runPeer(
        findPeer('gst-launch-1.0'),
        ['-e', 'rtspsrc', `location=rtspsh://127.0.0.1:${secure.httpPort}/test.264`, 'tls-validation-flags=0', ...GST_RTP_TIMESTAMPS, '!', 'rtph264depay', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${gstOut}`],
        bound,
      ),
    ]);
    assert.equal(f.code, 0, f.stderr);
    assertGstStoppedByItself(g, 'rtspsrc over rtspsh', bound);
    assert.equal((await probe(ffOut)).frames, want, 'ffmpeg over https');
    assert.equal((await probe(gstOut)).frames, want, 'rtspsrc over rtspsh');
    // A plain-HTTP GET on the HTTPS port gets no tunnel.
    const plain = openHalf(getHead('plaincookie'), secure.httpPort);
    await plain.closed;
    assert.doesNotMatch(plain.text(), /200 OK/);
  } finally {
    await secure.close();
    s2.close();
    cert.cleanup();
  }
});

let gst: GstRtspServer | undefined;
after(async () => gst?.stop());

test("our client plays GStreamer's RTSP server through its RTSP-over-HTTP tunnel (rtsph:// to its RTSP port)", async () => {
  gst = await startGstRtspServer({
    mounts: { '/v': '( videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1 )' },
  });
  const client = new RTSPClient(`rtsph://127.0.0.1:${gst.port}/v`);
  try {
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    assert.equal(sub.codecName, 'H264');
    await client.setup(sub);
    assert.equal(client.httpTunnelled, true);
    assert.equal(sub.transport?.mode, 'tcp');
    const frames: RTPFrame[] = [];
    const got = new Promise<void>((resolve) => {
      sub.on('frame', (f) => {
        frames.push(f);
        if (frames.length >= 20) resolve();
      });
    });
    await client.play();
    await within(got, 20_000, `20 frames from GStreamer through the tunnel\n${gst.stderr().slice(-2000)}`);
  } finally {
    await client.close();
  }
});

test('dorsvr-server --http-port serves the tunnel: ffmpeg -rtsp_transport http plays through it', async () => {
  const cli = join(repoRoot, 'packages/rtspserver/dist/cli.js');
  const child = spawn(process.execPath, [cli, fixture(''), '--port', '0', '--host', '127.0.0.1', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    while (!/RTSP over HTTP on port \d+/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const port = Number(/RTSP over HTTP on port (\d+)/.exec(out)?.[1]);
    assert.ok(port > 0, `no HTTP port printed:\n${out}`);
    const file = join(tmp.dir, 'cli-http.mkv');
    const r = await ffmpegCopy(`rtsp://127.0.0.1:${port}/test.264`, 'http', file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await probe(file)).frames, (await probe(fixture('test.264'))).frames);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
});
