// Publishing when things go wrong: a publisher that vanishes, goes silent, finds its path busy,
// has no credentials or a broken SDP. Each gets a clear answer, readers are released (RTCP BYE,
// sessions ended), and nothing is held afterwards (sessions, published paths, UDP ports, fds).
// The publisher is our byte-level client (so the failures are exact) or ffmpeg where it matters
// what a real publisher prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket as NetSocket } from 'node:net';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { writeRTPHeader, parseRTCP } from '@dorsvr/livemedia';
import {
  DynamicRTSPServer,
  RTSPServer,
  UserAuthenticationDatabase,
  PUBLISH_BUSY_REASON,
  type PublishEndReason,
  type RTSPServerOptions,
} from '@dorsvr/rtspserver';
import { fixture } from '../../helpers/paths.js';
import { RawRTSPClient, type RawResponse } from '../helpers/RawRTSPClient.js';
import { GatedPublishServer, assertWholeInOrder, ffmpegPublish, openFds, probePackets, waitUntil } from '../helpers/publish.js';

/** One µ-law audio track, as a camera would ANNOUNCE it (relative control). */
const SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=test', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 0 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=control:streamid=0', ''].join('\r\n');

/** Sockets a test opened, closed after it whatever happened. */
const opened: Array<{ close(): void }> = [];

function track<T extends { close(): void }>(x: T): T {
  opened.push(x);
  return x;
}

/** Run `fn` with a publishing server; with `readers`, RECORD is answered once that many play (GatedPublishServer). */
async function withServer(options: Partial<RTSPServerOptions>, fn: (server: RTSPServer, base: string) => Promise<void>, readers = 0): Promise<void> {
  const scheduler = new BasicTaskScheduler();
  const all = { scheduler, port: 0, host: '127.0.0.1', publish: true, ...options };
  const server = readers > 0 ? Object.assign(new GatedPublishServer(all), { readers }) : new RTSPServer(all);
  await server.listen();
  try {
    await fn(server, `rtsp://127.0.0.1:${server.port}`);
  } finally {
    for (const x of opened.splice(0)) {
      try {
        x.close();
      } catch {
        // already closed
      }
    }
    await server.close();
    scheduler.close();
  }
}

/** Keep a reader's session alive (OPTIONS with its Session) until the returned function is called. */
function keepAlive(r: RawRTSPClient, session: string): () => void {
  const t = setInterval(() => r.write(`OPTIONS * RTSP/1.0\r\nCSeq: 99\r\nSession: ${session}\r\n\r\n`), 300);
  return () => clearInterval(t);
}

/** Send raw request bytes on a plain socket and return the status line of the answer. */
async function statusLine(sock: NetSocket, bytes: string): Promise<string> {
  const answer = new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      resolve(buf.split('\r\n')[0]!);
    };
    sock.on('data', onData);
  });
  sock.write(bytes);
  return answer;
}

function sessionOf(r: RawResponse): string {
  const v = r.headers['session'];
  assert.ok(v, `no Session in ${r.status}`);
  return v.split(';')[0]!;
}

function rtp(seq: number, payloadBytes = 160): Uint8Array {
  const b = new Uint8Array(12 + payloadBytes).fill(0xff);
  writeRTPHeader({ marker: false, payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc: 0x1234 }, b);
  return b;
}

function interleaved(channel: number, packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + packet.length);
  out.set([0x24, channel, packet.length >> 8, packet.length & 0xff]);
  out.set(packet, 4);
  return out;
}

/** A raw publisher over TCP: ANNOUNCE, SETUP (interleaved 0-1), RECORD. */
async function publishTCP(port: number, url: string): Promise<{ c: RawRTSPClient; session: string }> {
  const c = track(await RawRTSPClient.connect(port));
  const a = await c.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP);
  assert.equal(a.status, 200, `ANNOUNCE: ${a.status}`);
  const s = await c.request('SETUP', `${url}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
  assert.equal(s.status, 200, `SETUP: ${s.status}`);
  const session = sessionOf(s);
  const r = await c.request('RECORD', url, { Session: session, Range: 'npt=0.000-' });
  assert.equal(r.status, 200, `RECORD: ${r.status}`);
  return { c, session };
}

/** A raw publisher over UDP: its RTP socket on 127.0.0.1 sends to the server port SETUP gives. */
async function publishUDP(port: number, url: string): Promise<{ c: RawRTSPClient; session: string; udp: UDPSocket; serverPort: number }> {
  const udp = track(createSocket('udp4'));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const cp = udp.address().port;
  const c = track(await RawRTSPClient.connect(port));
  assert.equal((await c.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
  const s = await c.request('SETUP', `${url}/streamid=0`, { Transport: `RTP/AVP;unicast;client_port=${cp}-${cp + 1};mode="RECORD"` });
  assert.equal(s.status, 200, `SETUP: ${s.status}`);
  const m = /server_port=(\d+)-(\d+)/.exec(s.headers['transport'] ?? '');
  assert.ok(m, `no server_port in ${s.headers['transport']}`);
  const session = sessionOf(s);
  assert.equal((await c.request('RECORD', url, { Session: session })).status, 200);
  return { c, session, udp, serverPort: Number(m[1]) };
}

/** A raw reader over TCP playing `url` (interleaved 0-1); `session` is its session id. */
async function readTCP(port: number, url: string): Promise<RawRTSPClient & { session: string }> {
  const r = track(await RawRTSPClient.connect(port));
  assert.equal((await r.request('DESCRIBE', url)).status, 200);
  const s = await r.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
  assert.equal(s.status, 200);
  const session = sessionOf(s);
  assert.equal((await r.request('PLAY', url, { Session: session })).status, 200);
  return Object.assign(r, { session });
}

/**
 * Send RTP with `send` every 20 ms until `reader` has received `n` packets (at most 5 s): a reader
 * starts on the turn after its PLAY, so what is sent at once may come before it listens.
 */
async function pumpUntilReceived(send: (seq: number) => void, reader: RawRTSPClient, n = 5): Promise<void> {
  for (let seq = 0; reader.frameCount(0) < n; seq++) {
    assert.ok(seq < 250, `the reader received ${reader.frameCount(0)} relayed packets of ${seq} sent`);
    send(seq);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function gotBye(r: RawRTSPClient): boolean {
  return (r.frames.get(1) ?? []).some((f) => {
    try {
      return parseRTCP(f.payload).some((p) => p.type === 'bye');
    } catch {
      return false;
    }
  });
}

function endReasons(server: RTSPServer): PublishEndReason[] {
  const out: PublishEndReason[] = [];
  server.on('unpublish', (_s, reason) => out.push(reason));
  return out;
}

/** Nothing of the publish is held: no session, no published path, the path 404s, fds as before. */
async function assertReleased(server: RTSPServer, base: string, path: string, fdsBefore: number, describeStatus: number | null = 404): Promise<void> {
  await waitUntil(() => server.clientSessions.size === 0 && server.publishing!.streams.size === 0 && !server.serverMediaSessions.has(path), 5000, 'every session and the published path to be gone');
  if (describeStatus !== null) {
    const probe = await RawRTSPClient.connect(server.port);
    try {
      assert.equal((await probe.request('DESCRIBE', `${base}/${path}`)).status, describeStatus, 'the path is free again');
    } finally {
      probe.close();
    }
  }
  await waitUntil(() => server.connectionCount === 0, 2000, 'connections to close');
  await waitUntil(() => openFds() <= fdsBefore, 2000, `file descriptors back to ${fdsBefore} (now ${openFds()})`);
}

test('a publisher over TCP that vanishes: its reader gets an RTCP BYE, every session ends, the path is free, no fd is left', async () => {
  await withServer({}, async (server, base) => {
    const reasons = endReasons(server);
    const fds = openFds();
    const url = `${base}/cam/1`;
    const pub = await publishTCP(server.port, url);
    const reader = await readTCP(server.port, url);
    await pumpUntilReceived((seq) => pub.c.write(interleaved(0, rtp(seq))), reader);
    pub.c.close();
    await reader.waitFor(() => gotBye(reader), 5000, 'the RTCP BYE');
    reader.close();
    await assertReleased(server, base, 'cam/1', fds);
    assert.deepEqual(reasons, ['connection-closed']);
  });
});

/** Whether a UDP socket of this process is bound to `port` (its inode in /proc/net/udp* is one of our fds). */
function holdsUDPPort(port: number): boolean {
  const ours = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('socket:[')) ours.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local === undefined || cols[9] === undefined) continue;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && ours.has(cols[9])) return true;
    }
  }
  return false;
}

test('a publisher over UDP: its RTP reaches readers, its TEARDOWN ends the stream and frees its ports', async () => {
  await withServer({}, async (server, base) => {
    const reasons = endReasons(server);
    const fds = openFds();
    const url = `${base}/udp`;
    const pub = await publishUDP(server.port, url);
    const reader = await readTCP(server.port, url);
    await pumpUntilReceived((seq) => pub.udp.send(rtp(seq), pub.serverPort, '127.0.0.1'), reader);
    assert.equal((await pub.c.request('TEARDOWN', url, { Session: pub.session })).status, 200);
    await reader.waitFor(() => gotBye(reader), 5000, 'the RTCP BYE');
    // The server's UDP port pair is released: no socket of this process is bound to it any more.
    // (Binding it again to prove it would race with other test files taking ports from 6970.)
    await waitUntil(() => server.publishing!.streams.size === 0, 2000, 'the stream to end');
    await waitUntil(() => !holdsUDPPort(pub.serverPort) && !holdsUDPPort(pub.serverPort + 1), 2000, 'the server port pair to close');
    pub.udp.close();
    pub.c.close();
    reader.close();
    await assertReleased(server, base, 'udp', fds);
    assert.deepEqual(reasons, ['teardown']);
  });
});

test('a UDP publisher is alive while its RTP flows (no RTSP keep-alive, as ffmpeg) and reclaimed once silent', async () => {
  await withServer({ reclamationSeconds: 1 }, async (server, base) => {
    const reasons = endReasons(server);
    const url = `${base}/quiet`;
    const pub = await publishUDP(server.port, url);
    const reader = await readTCP(server.port, url);
    const stop = keepAlive(reader, reader.session);
    // 2.5 s of RTP, more than twice the session timeout (1 s + 0.1 s grace): still published.
    for (let i = 0; i < 50; i++) {
      pub.udp.send(rtp(i), pub.serverPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(reasons, [], 'the publisher was reclaimed although its RTP flowed');
    assert.ok(server.serverMediaSessions.has('quiet'));
    // Then silence (its RTSP connection stays open): reclaimed, the reader gets its BYE.
    const silentAt = Date.now();
    await reader.waitFor(() => gotBye(reader), 5000, 'the RTCP BYE after the timeout');
    assert.deepEqual(reasons, ['timeout']);
    assert.ok(Date.now() - silentAt >= 900, 'reclaimed before its timeout');
    stop();
    pub.udp.close();
    pub.c.close();
    reader.close();
    await waitUntil(() => server.clientSessions.size === 0 && server.publishing!.streams.size === 0, 5000, 'sessions to end');
  });
});

test('a busy path: a second publisher gets 453 "Path Already Published" (ffmpeg prints it); with onBusyPath → takeover the first one ends', async () => {
  await withServer({}, async (server, base) => {
    const url = `${base}/busy`;
    const first = await publishTCP(server.port, url);
    const second = await RawRTSPClient.connect(server.port);
    const r = await second.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP);
    assert.equal(r.status, 453);
    second.close();
    const ff = await ffmpegPublish(fixture('test.264'), url, 'tcp');
    assert.notEqual(ff.code, 0);
    assert.match(ff.stderr, new RegExp(`453 ${PUBLISH_BUSY_REASON}`));
    // The first publisher was not disturbed.
    assert.equal((await first.c.request('GET_PARAMETER', url, { Session: first.session })).status, 200);
    first.c.close();
  });
  await withServer({ publish: { onBusyPath: () => 'takeover' } }, async (server, base) => {
    const reasons = endReasons(server);
    const url = `${base}/busy`;
    const first = await publishTCP(server.port, url);
    const reader = await readTCP(server.port, url);
    await pumpUntilReceived((seq) => first.c.write(interleaved(0, rtp(seq))), reader);
    const second = await publishTCP(server.port, url);
    await reader.waitFor(() => gotBye(reader), 5000, "the first publisher's readers' BYE");
    assert.deepEqual(reasons, ['taken-over']);
    assert.equal((await first.c.request('GET_PARAMETER', url, { Session: first.session })).status, 454, "the first publisher's session ended");
    assert.equal(server.publishing!.streams.get('busy')?.session?.id, second.session);
    for (const c of [first.c, second.c, reader]) c.close();
  });
});

test('credentials: with a user database ffmpeg cannot publish without them (401) and can with them; publish-only credentials keep reading open', async () => {
  const users = new UserAuthenticationDatabase({ realm: 'dorsvr-test' }).addUser('cam', 's3cret');
  await withServer(
    { authDatabase: users, publish: { waitForPublisherSeconds: 20 } },
    async (server, base) => {
      const fds = openFds();
      const denied = await ffmpegPublish(fixture('test.264'), `${base}/secure`, 'tcp');
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /401/);
      assert.equal(server.publishing!.streams.size, 0);
      const authURL = `rtsp://cam:s3cret@127.0.0.1:${server.port}/secure`;
      // The reader first (its DESCRIBE waits for the publisher; RECORD is answered once it plays).
      const reading = probePackets(authURL, ['-rtsp_transport', 'tcp']);
      await new Promise((r) => setTimeout(r, 300));
      const ok = await ffmpegPublish(fixture('test.264'), authURL, 'tcp');
      assert.equal(ok.code, 0, ok.stderr);
      assertWholeInOrder((await reading).packets, 50, 'an authenticated reader', true);
      // (A DESCRIBE would now wait for a publisher: the registry says the path is free.)
      await assertReleased(server, base, 'secure', fds, null);
    },
    1,
  );
  // Credentials for publishing only: readers need none.
  await withServer({ publish: { authDatabase: users, waitForPublisherSeconds: 20 } }, async (server, base) => {
    const url = `${base}/open`;
    const anon = await RawRTSPClient.connect(server.port);
    const r = await anon.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, SDP);
    assert.equal(r.status, 401);
    assert.ok(r.all['www-authenticate']?.some((v) => v.startsWith('Digest')), 'a Digest challenge');
    anon.close();
    const reading = probePackets(url, ['-rtsp_transport', 'tcp']);
    await new Promise((res) => setTimeout(res, 300));
    const pub = ffmpegPublish(fixture('test.264'), `rtsp://cam:s3cret@127.0.0.1:${server.port}/open`, 'tcp');
    const read = await reading;
    assert.equal((await pub).code, 0);
    assertWholeInOrder(read.packets, 50, 'a reader without credentials', true);
  }, 1);
});

test('policy hooks: authorizePublish and authorizeRead answer 403 (a throwing hook denies), per path', async () => {
  const errors: unknown[] = [];
  await withServer(
    {
      publish: {
        authorizePublish: (path) => {
          if (path === 'explode') throw new Error('hook failed');
          return path.startsWith('cams/');
        },
        authorizeRead: (path) => path !== 'cams/private',
      },
    },
    async (server, base) => {
      server.on('error', (e) => errors.push(e));
      const c = await RawRTSPClient.connect(server.port);
      for (const [path, status] of [['elsewhere', 403], ['explode', 403]] as const) {
        assert.equal((await c.request('ANNOUNCE', `${base}/${path}`, { 'Content-Type': 'application/sdp' }, SDP)).status, status, path);
      }
      c.close();
      const pub = await publishTCP(server.port, `${base}/cams/private`);
      const pub2 = await publishTCP(server.port, `${base}/cams/public`);
      const r = await RawRTSPClient.connect(server.port);
      assert.equal((await r.request('DESCRIBE', `${base}/cams/private`)).status, 403);
      assert.equal((await r.request('DESCRIBE', `${base}/cams/public`)).status, 200);
      for (const x of [r, pub.c, pub2.c]) x.close();
      assert.equal(errors.length, 1, 'the throwing hook is reported');
    },
  );
});

test('bad ANNOUNCEs get 400/413/415 with a reason, the connection keeps working, nothing is held', async () => {
  await withServer({ publish: { maxTracks: 2, maxSDPBytes: 1024 } }, async (server, base) => {
    const fds = openFds();
    const sock = connect({ port: server.port, host: '127.0.0.1' });
    track({ close: () => sock.destroy() });
    await new Promise((r) => sock.once('connect', r));
    const url = `${base}/bad`;
    const cases: Array<[string, Record<string, string>, string, number, RegExp]> = [
      ['garbage', { 'Content-Type': 'application/sdp' }, 'this is not SDP\r\n', 400, /^Bad SDP/],
      ['no m= line', { 'Content-Type': 'application/sdp' }, 'v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=x\r\nt=0 0\r\n', 400, /^Bad SDP/],
      ['not RTP', { 'Content-Type': 'application/sdp' }, 'v=0\r\ns=x\r\nt=0 0\r\nm=application 0 TCP/WSS *\r\n', 400, /^Bad SDP/],
      ['three tracks', { 'Content-Type': 'application/sdp' }, `v=0\r\ns=x\r\nt=0 0\r\n${'m=audio 0 RTP/AVP 0\r\n'.repeat(3)}`, 400, /^Bad SDP/],
      ['too large', { 'Content-Type': 'application/sdp' }, `v=0\r\ns=${'x'.repeat(2000)}\r\n`, 413, /SDP Larger/],
      ['not SDP at all', { 'Content-Type': 'text/plain' }, SDP, 415, /application\/sdp/],
      ['no body', { 'Content-Type': 'application/sdp' }, '', 400, /Without SDP/],
    ];
    for (const [what, headers, body, status, reason] of cases) {
      const line = await statusLine(
        sock,
        `ANNOUNCE ${url} RTSP/1.0\r\nCSeq: 1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      const m = /^RTSP\/1\.0 (\d{3}) (.*)$/.exec(line);
      assert.ok(m, `${what}: ${line}`);
      assert.equal(Number(m[1]), status, `${what}: ${line}`);
      assert.match(m[2]!, reason, `${what}: ${line}`);
    }
    // A SETUP with mode=record for nothing announced, a RECORD without a session.
    assert.match(await statusLine(sock, `SETUP ${url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;interleaved=0-1;mode=record\r\n\r\n`), /^RTSP\/1\.0 404 /);
    assert.match(await statusLine(sock, `RECORD ${url} RTSP/1.0\r\nCSeq: 3\r\n\r\n`), /^RTSP\/1\.0 454 /);
    assert.match(await statusLine(sock, `OPTIONS * RTSP/1.0\r\nCSeq: 4\r\n\r\n`), /^RTSP\/1\.0 200 /, 'the connection still serves');
    sock.destroy();
    await assertReleased(server, base, 'bad', fds);
  });
});

test('limits: publishers per address, the time between ANNOUNCE and RECORD, oversized and foreign packets are dropped and counted', async () => {
  await withServer({ publish: { maxPublishersPerAddress: 1, announceTimeoutSeconds: 0.3, maxPacketSize: 500 } }, async (server, base) => {
    const reasons = endReasons(server);
    const pub = await publishUDP(server.port, `${base}/one`);
    const other = await RawRTSPClient.connect(server.port);
    const r = await other.request('ANNOUNCE', `${base}/two`, { 'Content-Type': 'application/sdp' }, SDP);
    assert.equal(r.status, 453);
    pub.udp.send(rtp(1, 1000), pub.serverPort, '127.0.0.1');
    pub.udp.send(rtp(2), pub.serverPort, '127.0.0.1');
    // From another address than the publisher's (127.0.0.2 is loopback too on Linux).
    const stranger = createSocket('udp4');
    await new Promise<void>((res) => stranger.bind(0, '127.0.0.2', res));
    stranger.send(rtp(3), pub.serverPort, '127.0.0.1');
    const stream = server.publishing!.streams.get('one')!;
    await waitUntil(() => stream.stats().rtpPackets === 1 && stream.stats().oversized === 1 && stream.stats().foreign === 1, 3000, 'the counters');
    stranger.close();
    pub.udp.close();
    pub.c.close();
    await waitUntil(() => server.publishing!.streams.size === 0, 3000, 'the publisher to end');
    // ANNOUNCE and nothing else: dropped after announceTimeoutSeconds, the path free again.
    assert.equal((await other.request('ANNOUNCE', `${base}/two`, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
    await waitUntil(() => server.publishing!.streams.size === 0, 3000, 'the announce timeout');
    assert.deepEqual(reasons, ['connection-closed', 'announce-timeout']);
    other.close();
  });
});

test('without the publish option ANNOUNCE is 405 (Allow: without ANNOUNCE/RECORD) and a record SETUP finds nothing (404); DynamicRTSPServer --publish refuses its own files (405)', async () => {
  await withServer({ publish: false }, async (server, base) => {
    const c = await RawRTSPClient.connect(server.port);
    const a = await c.request('ANNOUNCE', `${base}/x`, { 'Content-Type': 'application/sdp' }, SDP);
    assert.equal(a.status, 405);
    assert.doesNotMatch(a.headers['allow'] ?? '', /ANNOUNCE|RECORD/);
    assert.equal((await c.request('SETUP', `${base}/x/streamid=0`, { Transport: 'RTP/AVP/TCP;interleaved=0-1;mode=record' })).status, 404);
    c.close();
  });
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', publish: true });
  await server.listen();
  try {
    const base = `rtsp://127.0.0.1:${server.port}`;
    const c = await RawRTSPClient.connect(server.port);
    const opts = await c.request('OPTIONS', '*');
    assert.match(opts.headers['public'] ?? '', /ANNOUNCE/);
    assert.equal((await c.request('ANNOUNCE', `${base}/test.264`, { 'Content-Type': 'application/sdp' }, SDP)).status, 405);
    assert.equal((await c.request('ANNOUNCE', `${base}/live/new`, { 'Content-Type': 'application/sdp' }, SDP)).status, 200);
    c.close();
  } finally {
    await server.close();
    scheduler.close();
  }
});

test('a reader may wait for a publisher (waitForPublisherSeconds): DESCRIBE answers once it records, or 404 when the time is up', async () => {
  await withServer({ publish: { waitForPublisherSeconds: 0.4 } }, async (server, base) => {
    const r = await RawRTSPClient.connect(server.port);
    const t0 = Date.now();
    assert.equal((await r.request('DESCRIBE', `${base}/later`)).status, 404);
    assert.ok(Date.now() - t0 >= 350, 'it waited');
    const describe = r.request('DESCRIBE', `${base}/later`);
    await new Promise((res) => setTimeout(res, 100));
    const pub = await publishTCP(server.port, `${base}/later`);
    const d = await describe;
    assert.equal(d.status, 200);
    assert.match(d.body, /a=rtpmap:0 PCMU\/8000/);
    r.close();
    pub.c.close();
  });
});
