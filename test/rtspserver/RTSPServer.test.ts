import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer, UserAuthenticationDatabase, type SessionCloseReason } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { RecordingSubsession } from './helpers/RecordingSubsession.js';
import { virtualScheduler, type VirtualScheduler } from './helpers/schedulers.js';

const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

interface Fixture {
  scheduler: VirtualScheduler;
  server: RTSPServer;
  video: RecordingSubsession;
  audio: RecordingSubsession;
  single: RecordingSubsession;
  url: string;
  closed: Array<[string, SessionCloseReason]>;
  clients: RawRTSPClient[];
  connect(): Promise<RawRTSPClient>;
  done(): Promise<void>;
}

async function setup(
  options: { auth?: UserAuthenticationDatabase; reclamationSeconds?: number; nonceLifetimeSeconds?: number; idleTimeoutSeconds?: number } = {},
): Promise<Fixture> {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({
    scheduler,
    port: 0,
    host: '127.0.0.1',
    authDatabase: options.auth,
    reclamationSeconds: options.reclamationSeconds,
    nonceLifetimeSeconds: options.nonceLifetimeSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds,
  });
  const video = new RecordingSubsession({ duration: 10, firstPort: 47000 });
  const audio = new RecordingSubsession({ duration: 10, firstPort: 48000 });
  server.addServerMediaSession(new ServerMediaSession('av').addSubsession(video).addSubsession(audio));
  const single = new RecordingSubsession({ duration: 4 });
  server.addServerMediaSession(new ServerMediaSession('one/ts').addSubsession(single));
  const port = await server.listen();
  const closed: Array<[string, SessionCloseReason]> = [];
  server.on('sessionClosed', (s, reason) => closed.push([s.id, reason]));
  const clients: RawRTSPClient[] = [];
  return {
    scheduler,
    server,
    video,
    audio,
    single,
    url: `rtsp://127.0.0.1:${port}`,
    closed,
    clients,
    async connect() {
      const c = await RawRTSPClient.connect(port);
      clients.push(c);
      return c;
    },
    async done() {
      for (const c of clients) c.close();
      await server.close();
      scheduler.close();
    },
  };
}

test('OPTIONS: Public list, CSeq echoed, RFC 1123 Date, Server', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    c.write(`OPTIONS ${f.url}/av RTSP/1.0\r\nCSeq: 17\r\n\r\n`);
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers['cseq'], '17');
    assert.match(r.headers['date']!, RFC1123);
    assert.ok(r.headers['server']!.startsWith('dorsvr'));
    assert.deepEqual(
      r.headers['public']!.split(', '),
      ['OPTIONS', 'DESCRIBE', 'SETUP', 'TEARDOWN', 'PLAY', 'PAUSE', 'GET_PARAMETER', 'SET_PARAMETER'],
    );
  } finally {
    await f.done();
  }
});

test('DESCRIBE: SDP with Content-Base (trailing slash), type and length; 404 for unknown names', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    const r = await c.request('DESCRIBE', `${f.url}/av`, { Accept: 'application/sdp' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-base'], `${f.url}/av/`);
    assert.equal(r.headers['content-type'], 'application/sdp');
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
    assert.match(r.body, /^v=0\r\n/);
    assert.match(r.body, /a=control:\*\r\n/);
    assert.match(r.body, /a=range:npt=0-10(\.0+)?\r\n/);
    assert.match(r.body, /m=video 0 RTP\/AVP 96\r\n[^]*a=control:track1\r\n[^]*a=control:track2\r\n/);
    // Nested names work, and a query does not change the stream.
    assert.equal((await c.request('DESCRIBE', `${f.url}/one/ts?x=1`)).status, 200);
    assert.equal((await c.request('DESCRIBE', `${f.url}/nope`)).status, 404);
    assert.equal((await c.request('DESCRIBE', `${f.url}/av/track9`)).status, 404);
  } finally {
    await f.done();
  }
});

test('a malformed request gets 400 and the connection goes on', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    c.write('THIS IS NOT RTSP\r\n\r\n');
    assert.equal((await c.response()).status, 400);
    c.write(`DESCRIBE ${f.url}/av RTSP/1.0\r\nCSeq: 5\r\nBroken header line\r\n\r\n`);
    const bad = await c.response();
    assert.equal(bad.status, 400);
    c.write(`OPTIONS * RTSP/1.0\r\nCSeq: x1\r\n\r\n`); // CSeq not a number
    assert.equal((await c.response()).status, 400);
    const ok = await c.request('OPTIONS', '*');
    assert.equal(ok.status, 200);
    // Another client was never disturbed.
    const other = await f.connect();
    assert.equal((await other.request('OPTIONS', '*')).status, 200);
  } finally {
    await f.done();
  }
});

test('unsupported things: 501, 405 with Allow, 551 with Unsupported, 461, 459, 454', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    const r501 = await c.request('FLY', `${f.url}/av`);
    assert.equal(r501.status, 501);
    const r405 = await c.request('RECORD', `${f.url}/av`);
    assert.equal(r405.status, 405);
    assert.match(r405.headers['allow']!, /DESCRIBE, SETUP/);
    const r551 = await c.request('OPTIONS', `${f.url}/av`, { Require: 'com.example.teleport' });
    assert.equal(r551.status, 551);
    assert.equal(r551.headers['unsupported'], 'com.example.teleport');
    assert.equal((await c.request('SETUP', `${f.url}/av/track1`, { Transport: 'RTP/SAVP;unicast;client_port=5000-5001' })).status, 461);
    assert.equal((await c.request('SETUP', `${f.url}/av/track1`, { Transport: 'RTP/AVP;multicast' })).status, 461);
    // hostile client ports: an RTCP port of 65536 (65535 + 1) or 0 was accepted and echoed back;
    // such a spec is skipped (461 when it is the only one; the next usable spec is taken).
    for (const cp of ['65535', '5000-0', '0-1', '0']) {
      assert.equal((await c.request('SETUP', `${f.url}/av/track1`, { Transport: `RTP/AVP;unicast;client_port=${cp}` })).status, 461, cp);
    }
    const fallback = await c.request('SETUP', `${f.url}/av/track1`, { Transport: 'RTP/AVP;unicast;client_port=65535,RTP/AVP;unicast;client_port=65532' });
    assert.equal(fallback.status, 200);
    assert.match(fallback.headers['transport']!, /client_port=65532-65533;/);
    assert.equal((await c.request('TEARDOWN', `${f.url}/av`, { Session: fallback.headers['session']!.split(';')[0]! })).status, 200);
    assert.equal((await c.request('SETUP', `${f.url}/av/track1`)).status, 461);
    // SETUP of the aggregate URL of a two-track stream is not allowed.
    assert.equal((await c.request('SETUP', `${f.url}/av`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).status, 459);
    assert.equal((await c.request('PLAY', `${f.url}/av`)).status, 454);
    assert.equal((await c.request('PLAY', `${f.url}/av`, { Session: 'DEADBEEF00000000' })).status, 454);
    assert.equal((await c.request('OPTIONS', '*', { Session: 'DEADBEEF00000000' })).status, 454);
    // Still serving.
    assert.equal((await c.request('OPTIONS', '*')).status, 200);
  } finally {
    await f.done();
  }
});

test('SETUP over UDP and TCP, PLAY with Range and RTP-Info for every track, PAUSE, TEARDOWN', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    const s1 = await c.request('SETUP', `${f.url}/av/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.equal(s1.status, 200);
    const m = /^([0-9A-F]{8,});timeout=65$/.exec(s1.headers['session']!);
    assert.ok(m, `Session header ${s1.headers['session']}`);
    const id = m[1]!;
    assert.match(s1.headers['transport']!, /^RTP\/AVP;unicast;destination=127\.0\.0\.1;source=127\.0\.0\.1;client_port=5000-5001;server_port=47000-47001;ssrc=12345678$/);
    // RTP/AVP/UDP means the same; the second track joins the session.
    const s2 = await c.request('SETUP', `${f.url}/av/track2`, { Transport: 'RTP/AVP/UDP;unicast;client_port=5002-5003', Session: id });
    assert.equal(s2.status, 200);
    assert.match(s2.headers['transport']!, /server_port=48000-48001/);

    const play = await c.request('PLAY', `${f.url}/av/`, { Session: id, Range: 'npt=3.5-', Scale: '2' });
    assert.equal(play.status, 200);
    assert.equal(play.headers['range'], 'npt=3.000-10.000');
    assert.equal(play.headers['scale'], '1.0');
    assert.equal(
      play.headers['rtp-info'],
      `url=${f.url}/av/track1;seq=4321;rtptime=4294967280,url=${f.url}/av/track2;seq=4321;rtptime=4294967280`,
    );
    assert.deepEqual(f.video.calls, ['setup track1 udp', 'seek track1 3.5', 'play track1']);
    assert.equal((await c.request('PAUSE', `${f.url}/av`, { Session: id })).status, 200);
    assert.equal(f.audio.calls.at(-1), 'pause track2');
    // Teardown of one track keeps the session; of the last, ends it.
    assert.equal((await c.request('TEARDOWN', `${f.url}/av/track2`, { Session: id })).status, 200);
    assert.equal(f.server.clientSessions.size, 1);
    assert.equal((await c.request('TEARDOWN', `${f.url}/av`, { Session: id })).status, 200);
    assert.equal(f.server.clientSessions.size, 0);
    assert.deepEqual(f.closed, [[id, 'teardown']]);
    assert.equal(f.video.live.size + f.audio.live.size, 0);
  } finally {
    await f.done();
  }
});

test('interleaved: channels asked for or assigned, RTCP routed to the stream, session ends with its connection', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    const s1 = await c.request('SETUP', `${f.url}/av/track1`, { Transport: 'RTP/AVP/TCP;unicast' });
    assert.equal(s1.status, 200);
    assert.match(s1.headers['transport']!, /^RTP\/AVP\/TCP;unicast;interleaved=0-1/);
    const id = s1.headers['session']!.split(';')[0]!;
    // Asking for channels already in use gets free ones, echoed.
    const s2 = await c.request('SETUP', `${f.url}/av/track2`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Session: id });
    assert.match(s2.headers['transport']!, /interleaved=2-3/);
    // An RTCP RR on channel 3 reaches track2's stream.
    const rr = Uint8Array.from([0x80, 201, 0, 1, 1, 2, 3, 4]);
    c.write(Buffer.concat([Buffer.from([0x24, 3, 0, rr.length]), rr]));
    c.write(Buffer.concat([Buffer.from([0x24, 1, 0, rr.length]), rr]));
    assert.equal((await c.request('OPTIONS', '*', { Session: id })).status, 200);
    assert.equal(f.audio.rtcp.length, 1);
    assert.equal(f.video.rtcp.length, 1);
    assert.deepEqual([...f.audio.rtcp[0]!], [...rr]);
    // ffmpeg's form: odd channel pairs and the track after a query.
    const c2 = await f.connect();
    const s3 = await c2.request('SETUP', `${f.url}/av?token=1/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=5-6' });
    assert.match(s3.headers['transport']!, /interleaved=5-6/);
    c.close();
    await c2.waitFor(() => f.closed.length === 1, 5000, 'the interleaved session to close');
    assert.deepEqual(f.closed, [[id, 'connection-closed']]);
    assert.equal(f.server.clientSessions.size, 1);
  } finally {
    await f.done();
  }
});

test('a UDP session outlives its connection and is reclaimed after its timeout (virtual clock)', async () => {
  const f = await setup({ reclamationSeconds: 65 });
  try {
    const c = await f.connect();
    const s = await c.request('SETUP', `${f.url}/one/ts`, { Transport: 'RTP/AVP;unicast;client_port=6000-6001' });
    assert.equal(s.status, 200);
    const id = s.headers['session']!.split(';')[0]!;
    assert.equal((await c.request('PLAY', `${f.url}/one/ts/`, { Session: id })).status, 200);
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(f.server.clientSessions.size, 1, 'UDP session survives the TCP connection');
    // A keep-alive on a new connection pushes the deadline.
    f.scheduler.advance(60e6);
    const c2 = await f.connect();
    assert.equal((await c2.request('GET_PARAMETER', `${f.url}/one/ts/`, { Session: id })).status, 200);
    f.scheduler.advance(65e6); // exactly the advertised timeout: still alive (grace)
    assert.equal(f.server.clientSessions.size, 1);
    f.scheduler.advance(6e6); // 65 s + 5 s grace passed
    assert.equal(f.server.clientSessions.size, 0);
    assert.deepEqual(f.closed, [[id, 'timeout']]);
    assert.equal(f.single.live.size, 0, 'the stream was deleted');
    assert.equal((await c2.request('PLAY', `${f.url}/one/ts/`, { Session: id })).status, 454);
  } finally {
    await f.done();
  }
});

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function digestHeader(challenge: string, user: string, pass: string, method: string, uri: string): string {
  const realm = /realm="([^"]*)"/.exec(challenge)![1]!;
  const nonce = /nonce="([^"]*)"/.exec(challenge)![1]!;
  const response = md5(`${md5(`${user}:${realm}:${pass}`)}:${nonce}:${md5(`${method}:${uri}`)}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}"`;
}

test('Digest authentication: SHA-256 and MD5 offered, right password accepted, wrong refused, stale nonces', async () => {
  const auth = new UserAuthenticationDatabase({ realm: 'test' }).addUser('alice', 's3cret');
  // The client waits out the nonce lifetime: a connection idle that long must not be closed first.
  const f = await setup({ auth, nonceLifetimeSeconds: 30, idleTimeoutSeconds: 60 });
  try {
    const c = await f.connect();
    assert.equal((await c.request('OPTIONS', `${f.url}/av`)).status, 200, 'OPTIONS needs no credentials');
    const r401 = await c.request('DESCRIBE', `${f.url}/av`);
    assert.equal(r401.status, 401);
    const challenges = r401.all['www-authenticate']!;
    assert.equal(challenges.length, 2);
    assert.match(challenges[0]!, /^Digest realm="test", nonce="[0-9a-f]+", algorithm=SHA-256, qop="auth"$/);
    assert.match(challenges[1]!, /^Digest realm="test", nonce="[0-9a-f]+", algorithm=MD5, qop="auth"$/);
    const uri = `${f.url}/av`;
    const good = await c.request('DESCRIBE', uri, { Authorization: digestHeader(challenges[1]!, 'alice', 's3cret', 'DESCRIBE', uri) });
    assert.equal(good.status, 200);
    const bad = await c.request('DESCRIBE', uri, { Authorization: digestHeader(challenges[1]!, 'alice', 'guess', 'DESCRIBE', uri) });
    assert.equal(bad.status, 401);
    assert.doesNotMatch(bad.all['www-authenticate']![0]!, /stale/);
    // SETUP needs credentials too.
    assert.equal((await c.request('SETUP', `${uri}/track1`, { Transport: 'RTP/AVP/TCP;unicast' })).status, 401);
    // After the nonce lifetime, the same (correct) credentials are stale.
    f.scheduler.advance(31e6);
    const stale = await c.request('DESCRIBE', uri, { Authorization: digestHeader(challenges[1]!, 'alice', 's3cret', 'DESCRIBE', uri) });
    assert.equal(stale.status, 401);
    assert.match(stale.all['www-authenticate']![1]!, /stale=true/);
    const fresh = await c.request('DESCRIBE', uri, { Authorization: digestHeader(stale.all['www-authenticate']![1]!, 'alice', 's3cret', 'DESCRIBE', uri) });
    assert.equal(fresh.status, 200);
  } finally {
    await f.done();
  }
});

test('GET_PARAMETER and SET_PARAMETER: empty body keep-alive, named parameters through the hooks', async () => {
  const f = await setup();
  try {
    const values = new Map<string, string>([['position', '12']]);
    f.server.parameterHandler = {
      get: (name) => values.get(name),
      set: (name, value) => (name === 'volume' ? (values.set(name, value), true) : false),
    };
    const c = await f.connect();
    assert.equal((await c.request('GET_PARAMETER', `${f.url}/av`)).status, 200);
    const g = await c.request('GET_PARAMETER', `${f.url}/av`, { 'Content-Type': 'text/parameters' }, 'position\r\n');
    assert.equal(g.status, 200);
    assert.equal(g.body, 'position: 12\r\n');
    assert.equal((await c.request('GET_PARAMETER', `${f.url}/av`, {}, 'nothing\r\n')).status, 451);
    assert.equal((await c.request('SET_PARAMETER', `${f.url}/av`, {}, 'volume: 3\r\n')).status, 200);
    assert.equal(values.get('volume'), '3');
    assert.equal((await c.request('SET_PARAMETER', `${f.url}/av`, {}, 'speed: 3\r\n')).status, 451);
  } finally {
    await f.done();
  }
});

test('limits: requests over the size limit are refused, sessions beyond the maximum get 453', async () => {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', maxSessions: 1, maxRequestSize: 2048 });
  const sub = new RecordingSubsession();
  server.addServerMediaSession(new ServerMediaSession('s').addSubsession(sub));
  const port = await server.listen();
  const c = await RawRTSPClient.connect(port);
  try {
    c.write(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    const big = await c.response();
    assert.ok(big.status === 400 || big.status === 413 || big.status === 414 || big.status === 431, `status ${big.status}`);
    assert.equal((await c.request('OPTIONS', '*')).status, 200);
    const url = `rtsp://127.0.0.1:${port}/s`;
    assert.equal((await c.request('SETUP', url, { Transport: 'RTP/AVP/TCP;unicast' })).status, 200);
    assert.equal((await c.request('SETUP', url, { Transport: 'RTP/AVP/TCP;unicast' })).status, 453);
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('IPv6: listening on all addresses, a client on ::1 is served and its UDP address is IPv6', async () => {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0 });
  server.addServerMediaSession(new ServerMediaSession('v6').addSubsession(new RecordingSubsession()));
  const port = await server.listen();
  const c6 = await RawRTSPClient.connect(port, '::1');
  const c4 = await RawRTSPClient.connect(port, '127.0.0.1');
  try {
    const d = await c6.request('DESCRIBE', `rtsp://[::1]:${port}/v6`);
    assert.equal(d.status, 200);
    assert.match(d.body, /^o=- \d+ 1 IN IP6 ::1\r$/m);
    assert.equal(d.headers['content-base'], `rtsp://[::1]:${port}/v6/`);
    const s = await c6.request('SETUP', `rtsp://[::1]:${port}/v6/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.match(s.headers['transport']!, /destination=::1;source=::1;/);
    assert.equal((await c4.request('OPTIONS', '*')).status, 200, 'IPv4 on the same dual-stack socket');
  } finally {
    c6.close();
    c4.close();
    await server.close();
    scheduler.close();
  }
});

test('per-stream credentials, Basic when allowed, and a database that keeps only hashes', async () => {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', allowBasicAuth: true });
  const db = new UserAuthenticationDatabase({ realm: 'cams', storeHashes: true }).addUser('bob', 'pw1');
  assert.equal(db.lookupPassword('bob'), undefined, 'no password kept');
  server.addServerMediaSession(new ServerMediaSession('open').addSubsession(new RecordingSubsession()));
  server.addServerMediaSession(new ServerMediaSession('locked', { authDatabase: db }).addSubsession(new RecordingSubsession()));
  const port = await server.listen();
  const c = await RawRTSPClient.connect(port);
  try {
    const base = `rtsp://127.0.0.1:${port}`;
    assert.equal((await c.request('DESCRIBE', `${base}/open`)).status, 200, 'other streams stay open');
    const r = await c.request('DESCRIBE', `${base}/locked`);
    assert.equal(r.status, 401);
    assert.deepEqual(r.all['www-authenticate']!.map((v) => v.split(' ')[0]), ['Digest', 'Digest', 'Basic']);
    const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    assert.equal((await c.request('DESCRIBE', `${base}/locked`, { Authorization: basic('bob', 'pw1') })).status, 200);
    assert.equal((await c.request('DESCRIBE', `${base}/locked`, { Authorization: basic('bob', 'pw2') })).status, 401);
    // Digest against the stored hash.
    const uri = `${base}/locked`;
    assert.equal((await c.request('DESCRIBE', uri, { Authorization: digestHeader(r.all['www-authenticate']![1]!, 'bob', 'pw1', 'DESCRIBE', uri) })).status, 200);
    db.removeUser('bob');
    assert.equal((await c.request('DESCRIBE', `${base}/locked`, { Authorization: basic('bob', 'pw1') })).status, 401, 'removed users are refused');
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('limits: connections beyond maxConnections are refused at accept, the others keep being served', async () => {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', maxConnections: 1 });
  const port = await server.listen();
  const a = await RawRTSPClient.connect(port);
  const b = await RawRTSPClient.connect(port);
  try {
    assert.equal((await a.request('OPTIONS', '*')).status, 200);
    await b.waitFor(() => b.closed, 5000, 'the extra connection to be closed').catch(() => {});
    assert.equal(b.closed, true, 'the second connection was closed');
    assert.equal((await a.request('OPTIONS', '*')).status, 200);
    assert.equal(server.connectionCount, 1);
  } finally {
    a.close();
    b.close();
    await server.close();
    scheduler.close();
  }
});

test('relative request URIs are served, and Content-Base and RTP-Info come back absolute', async () => {
  const f = await setup();
  try {
    const c = await f.connect();
    const d = await c.request('DESCRIBE', '/av');
    assert.equal(d.status, 200);
    assert.equal(d.headers['content-base'], `${f.url}/av/`);
    const s = await c.request('SETUP', '/av/track1', { Transport: 'RTP/AVP/TCP;unicast' });
    assert.equal(s.status, 200);
    const p = await c.request('PLAY', 'av', { Session: s.headers['session']!.split(';')[0]! });
    assert.equal(p.status, 200);
    assert.match(p.headers['rtp-info']!, new RegExp(`^url=${f.url}/av/track1;seq=`));
  } finally {
    await f.done();
  }
});
