// RTSPClient against scripted servers (FakeRTSPServer): the odd but real things servers and
// cameras do — Allow instead of Public, no RTP-Info / server_port / Transport, redirects, control
// URL and Content-Base forms, requests sent to the client, CSeq-matched answers, timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { parseTransportHeader, parseRTCP, serializeRTCP, ntpFromUnixMicros, type RTSPRequest } from '@dorsvr/livemedia';
import { RTSPClient, RTSPClientError, parseRTSPURL } from '@dorsvr/rtspclient';
import { FakeRTSPServer, pcmuSDP, rtpPacket, type FakeAnswer, type FakeConnection } from './FakeRTSPServer.js';
import { closeOnVirtualClock, until, within } from './helpers.js';

interface Script {
  options?: (req: RTSPRequest) => FakeAnswer;
  describe?: (req: RTSPRequest) => FakeAnswer;
  setup?: (req: RTSPRequest, conn: FakeConnection) => FakeAnswer;
  play?: (req: RTSPRequest) => FakeAnswer;
  other?: (req: RTSPRequest, conn: FakeConnection) => FakeAnswer;
}

/** A well-behaved server unless the script says otherwise. */
function scripted(s: Script = {}) {
  return (req: RTSPRequest, conn: FakeConnection): FakeAnswer => {
    switch (req.method) {
      case 'OPTIONS':
        return s.options?.(req) ?? { status: 200, headers: { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' } };
      case 'DESCRIBE':
        return s.describe?.(req) ?? { status: 200, headers: { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, body: pcmuSDP() };
      case 'SETUP': {
        if (s.setup) return s.setup(req, conn);
        const t = req.headers.get('Transport')!;
        return { status: 200, headers: { Session: '12345678;timeout=60', Transport: t } };
      }
      case 'PLAY':
        return s.play?.(req) ?? { status: 200, headers: { Session: '12345678', Range: 'npt=0.000-' } };
      default:
        return s.other?.(req, conn) ?? { status: 200, headers: { Session: '12345678' } };
    }
  };
}

async function udpSocket(): Promise<UDPSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Gives the event loop (sockets) and the virtual clock a few rounds. */
async function spin(sched: VirtualTaskScheduler, rounds = 20, stepUs = 10_000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setImmediate(r));
    sched.advance(stepUs);
  }
}

test('parseRTSPURL: default port 554, IPv6 literals, percent-decoded userinfo removed from the URL; rtsps:// (322) and rtsph:// tunnels', () => {
  const plain = { secure: false, httpTunnel: false };
  assert.deepEqual(parseRTSPURL('rtsp://cam.example/live'), { host: 'cam.example', port: 554, ...plain, username: undefined, password: undefined, url: 'rtsp://cam.example/live' });
  const v6 = parseRTSPURL('rtsp://u%40x:p%3Aw@[::1]:8554/x?y=1');
  assert.deepEqual(v6, { host: '::1', port: 8554, ...plain, username: 'u@x', password: 'p:w', url: 'rtsp://[::1]:8554/x?y=1' });
  assert.deepEqual(parseRTSPURL('rtsps://cam.example/live'), { host: 'cam.example', port: 322, secure: true, httpTunnel: false, username: undefined, password: undefined, url: 'rtsps://cam.example/live' });
  assert.deepEqual(parseRTSPURL('rtsph://cam.example:8000/live'), { host: 'cam.example', port: 8000, secure: false, httpTunnel: true, username: undefined, password: undefined, url: 'rtsp://cam.example:8000/live' });
  assert.equal(parseRTSPURL('rtsph://cam.example/live').port, 80);
  assert.deepEqual([parseRTSPURL('rtspsh://cam.example/live').port, parseRTSPURL('rtspsh://cam.example/live').url], [443, 'rtsps://cam.example:443/live']);
  assert.throws(() => parseRTSPURL('http://h/x'), /not an rtsp/);
});

test('Allow: instead of Public: gives the server methods; no Transport in the SETUP reply, no RTP-Info, no server_port: it still plays over UDP', async () => {
  const fake = await FakeRTSPServer.start(
    scripted({
      options: () => ({ status: 200, headers: { Allow: 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN' } }),
      setup: () => ({ status: 200, headers: { Session: 'abc' } }),
      play: () => ({ status: 200, headers: { Session: 'abc' } }),
    }),
  );
  const client = new RTSPClient(fake.url('cam'), { transport: 'udp' });
  const sender = await udpSocket();
  try {
    await client.options();
    assert.deepEqual(client.serverMethods, ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'GET_PARAMETER', 'TEARDOWN']);
    assert.equal(client.keepAliveMethod, 'GET_PARAMETER');
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    await client.setup(sub);
    assert.equal(client.sessionId, 'abc');
    assert.equal(sub.transport?.mode, 'udp');
    assert.equal(sub.transport?.serverPorts, undefined);
    assert.equal(sub.transport?.header, undefined);
    const asked = parseTransportHeader(fake.requests.find((r) => r.method === 'SETUP')!.headers.get('Transport')!)[0]!;
    assert.equal(asked.clientPort?.rtp, sub.transport?.clientPorts?.rtp);
    await client.play();
    assert.equal(sub.rtpInfo, undefined);
    const frames: Buffer[] = [];
    sub.on('frame', (f) => frames.push(Buffer.from(f.data)));
    for (let i = 0; i < 5; i++) sender.send(rtpPacket(100 + i, 160 * i, 0x1234, Buffer.alloc(160, i)), asked.clientPort!.rtp, '127.0.0.1');
    await until(() => frames.length === 5, 5000, '5 PCMU frames over UDP');
    assert.deepEqual(frames.map((f) => f[0]), [0, 1, 2, 3, 4]);
    // Every request after SETUP carried the session.
    await client.teardown();
    assert.equal(fake.requests.find((r) => r.method === 'TEARDOWN')?.headers.get('Session'), 'abc');
    assert.equal(fake.requests.find((r) => r.method === 'PLAY')?.headers.get('Session'), 'abc');
  } finally {
    sender.close();
    await client.close();
    await fake.close();
  }
});

test('without server_port, RTCP receiver reports go back to where the server\'s RTCP came from; an SR maps RTP time to its wall clock', async () => {
  const sched = new VirtualTaskScheduler();
  const fake = await FakeRTSPServer.start(scripted({ setup: () => ({ status: 200, headers: { Session: 's1', Transport: 'RTP/AVP;unicast' } }) }));
  const client = new RTSPClient(fake.url('cam'), { transport: 'udp', scheduler: sched });
  const rtcpSock = await udpSocket();
  const media = await udpSocket();
  const fromServer: Buffer[] = [];
  rtcpSock.on('message', (m) => fromServer.push(m));
  try {
    const session = await within(client.describe(), 5000, 'DESCRIBE');
    const sub = session.subsessions[0]!;
    await within(client.setup(sub), 5000, 'SETUP');
    await within(client.play(), 5000, 'PLAY');
    const ports = sub.transport!.clientPorts!;
    const ssrc = 0xabcdef01;
    const wallUs = Date.UTC(2026, 0, 1) * 1000;
    rtcpSock.send(serializeRTCP([{ type: 'sr', ssrc, ntp: ntpFromUnixMicros(wallUs), rtpTimestamp: 8000, packetCount: 0, octetCount: 0, reports: [] }]), ports.rtcp, '127.0.0.1');
    await until(() => (sub.rtcp?.packetsReceived ?? 0) === 1, 5000, 'the SR');
    const frames: Array<{ pt: number; synced: boolean }> = [];
    sub.on('frame', (f) => frames.push({ pt: f.presentationTime, synced: f.syncedUsingRTCP }));
    for (let i = 0; i < 3; i++) media.send(rtpPacket(i, 16000 + 160 * i, ssrc, Buffer.alloc(160)), ports.rtp, '127.0.0.1');
    await until(() => sub.stats.packetsReceived === 3, 5000, 'three packets');
    for (let i = 0; i < 200 && frames.length < 3; i++) await spin(sched, 1);
    assert.equal(frames.length, 3);
    // RTP 16000 is 1 s after the SR's RTP 8000 at 8 kHz: the SR's wall clock + 1 s.
    assert.deepEqual(frames[0], { pt: wallUs + 1_000_000, synced: true });
    assert.equal(frames[1]!.pt - frames[0]!.pt, 20_000);
    fromServer.length = 0;
    sched.advance(5_000_000); // RRs at most 5 s apart
    await until(() => fromServer.length > 0, 5000, 'a receiver report');
    const rr = parseRTCP(fromServer[0]!);
    assert.equal(rr[0]!.type, 'rr');
    const block = rr[0]!.type === 'rr' ? rr[0]!.reports[0] : undefined;
    assert.equal(block?.ssrc, ssrc);
  } finally {
    rtcpSock.close();
    media.close();
    await closeOnVirtualClock(client, sched);
    await fake.close();
    sched.close();
  }
});

for (const status of [301, 302]) {
  test(`Location: on ${status} is followed (to another server), and the client URL follows it`, async () => {
    const target = await FakeRTSPServer.start(scripted());
    const redirector = await FakeRTSPServer.start(() => ({ status, headers: { Location: target.url('real/stream') } }));
    const client = new RTSPClient(redirector.url('old'), { transport: 'tcp' });
    const redirects: string[] = [];
    client.on('redirect', (u) => redirects.push(u));
    try {
      const session = await client.describe();
      assert.equal(client.url, target.url('real/stream'));
      assert.deepEqual(redirects, [target.url('real/stream')]);
      assert.equal(session.subsessions[0]!.controlURL, `${target.url('real/stream')}/track1`);
      assert.equal(target.requests[0]!.uri, target.url('real/stream'));
    } finally {
      await client.close();
      await target.close();
      await redirector.close();
    }
  });
}

test('control URLs: relative, absolute, "*", missing, against Content-Base (with/without slash, relative), Content-Location, or the request URL', async () => {
  let headers: Record<string, string> = {};
  let sdp = '';
  const fake = await FakeRTSPServer.start(scripted({ describe: () => ({ status: 200, headers: { 'Content-Type': 'application/sdp', ...headers }, body: sdp }) }));
  const req = fake.url('a/b');
  const host = `rtsp://127.0.0.1:${fake.port}`;
  const cases: Array<{ h: Record<string, string>; sdp: string; session: string; track: string }> = [
    { h: { 'Content-Base': `${host}/base/` }, sdp: pcmuSDP({ sessionControl: '*', mediaControl: 'trackID=1' }), session: `${host}/base/`, track: `${host}/base/trackID=1` },
    { h: { 'Content-Base': `${host}/base` }, sdp: pcmuSDP({ mediaControl: 'track1' }), session: `${host}/base`, track: `${host}/base/track1` },
    { h: { 'Content-Base': `${host}/base/` }, sdp: pcmuSDP({ mediaControl: `${host}/elsewhere/t9` }), session: `${host}/base/`, track: `${host}/elsewhere/t9` },
    { h: { 'Content-Base': `${host}/base/` }, sdp: pcmuSDP({ sessionControl: `${host}/agg`, mediaControl: '*' }), session: `${host}/agg`, track: `${host}/base/` },
    { h: { 'Content-Base': `${host}/base/` }, sdp: pcmuSDP({ mediaControl: null }), session: `${host}/base/`, track: `${host}/base/` },
    { h: { 'Content-Base': '/rel/' }, sdp: pcmuSDP({ mediaControl: 'track1' }), session: `${host}/rel/`, track: `${host}/rel/track1` },
    { h: { 'Content-Location': `${host}/loc/` }, sdp: pcmuSDP({ mediaControl: 'track1' }), session: `${host}/loc/`, track: `${host}/loc/track1` },
    { h: {}, sdp: pcmuSDP({ mediaControl: 'track1' }), session: req, track: `${req}/track1` },
    { h: {}, sdp: pcmuSDP({ mediaControl: '/abs/path' }), session: req, track: `${host}/abs/path` },
  ];
  try {
    for (const c of cases) {
      headers = c.h;
      sdp = c.sdp;
      const client = new RTSPClient(req, { transport: 'tcp' });
      const session = await client.describe();
      const what = JSON.stringify(c);
      assert.equal(session.controlURL, c.session, what);
      assert.equal(session.subsessions[0]!.controlURL, c.track, what);
      await client.setup(session.subsessions[0]!);
      await client.play();
      const reqs = fake.connections[fake.connections.length - 1]!.requests;
      assert.equal(reqs.find((r) => r.method === 'SETUP')!.uri, c.track, what);
      assert.equal(reqs.find((r) => r.method === 'PLAY')!.uri, c.session, what);
      await client.close();
    }
  } finally {
    await fake.close();
  }
});

test('a server that sends OPTIONS, GET_PARAMETER and ANNOUNCE to the client mid-session gets 200, 200 and 501 with its CSeq, and the session goes on', async () => {
  const fake = await FakeRTSPServer.start(scripted());
  const client = new RTSPClient(fake.url('cam'), { transport: 'tcp' });
  const seen: string[] = [];
  client.on('request', (m) => seen.push(m));
  try {
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    await client.setup(sub);
    await client.play();
    const conn = fake.connections[0]!;
    conn.sendRequest('OPTIONS', '*', { CSeq: 7001 });
    conn.sendRequest('GET_PARAMETER', fake.url('cam'), { CSeq: 7002, Session: '12345678' });
    conn.sendRequest('ANNOUNCE', fake.url('cam'), { CSeq: 7003 });
    // Interleaved media keeps flowing around the requests.
    const frames: number[] = [];
    sub.on('frame', (f) => frames.push(f.data.length));
    conn.sendInterleaved(sub.transport!.channels!.rtp, rtpPacket(1, 0, 9, Buffer.alloc(80)));
    await until(() => conn.responses.length === 3 && frames.length === 1, 5000, 'three answers and a frame');
    assert.deepEqual(conn.responses.map((r) => [r.status, r.headers.get('CSeq')]), [[200, '7001'], [200, '7002'], [501, '7003']]);
    assert.deepEqual(seen, ['OPTIONS', 'GET_PARAMETER', 'ANNOUNCE']);
    const res = await client.getParameter();
    assert.equal(res.status, 200);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('responses are matched by CSeq (answered out of order); no answer → ERR_RTSP_TIMEOUT; connection closed → ERR_RTSP_CONNECTION_CLOSED', async () => {
  const held: Array<() => void> = [];
  const fake = await FakeRTSPServer.start((req) =>
    new Promise<FakeAnswer>((resolve) => {
      const param = Buffer.from(req.body).toString().trim();
      if (param === 'never') return;
      if (param === 'hangup') {
        resolve(new Uint8Array(0));
        fake.connections[0]!.socket.destroy();
        return;
      }
      held.push(() => resolve({ status: 200, headers: { 'Content-Type': 'text/parameters' }, body: `${param}: ${param}-value\r\n` }));
      if (held.length === 2) for (const h of held.splice(0).reverse()) h();
    }),
  );
  const sched = new VirtualTaskScheduler();
  const client = new RTSPClient(fake.url('x'), { scheduler: sched, requestTimeoutMs: 3000 });
  try {
    const [a, b] = await within(Promise.all([client.getParameter('a'), client.getParameter('b')]), 5000, 'two answers');
    assert.equal(Buffer.from(a.body).toString(), 'a: a-value\r\n');
    assert.equal(Buffer.from(b.body).toString(), 'b: b-value\r\n');
    assert.ok(b.cseq === a.cseq + 1);
    const never = client.getParameter('never');
    await spin(sched, 5, 1000);
    sched.advance(2_900_000);
    let settled = false;
    never.then(() => (settled = true), () => (settled = true));
    await spin(sched, 3, 0);
    assert.equal(settled, false, 'not timed out before requestTimeoutMs');
    sched.advance(200_000);
    await assert.rejects(never, (e: unknown) => e instanceof RTSPClientError && e.code === 'ERR_RTSP_TIMEOUT' && e.method === 'GET_PARAMETER');
    await assert.rejects(client.getParameter('hangup'), (e: unknown) => e instanceof RTSPClientError && e.code === 'ERR_RTSP_CONNECTION_CLOSED');
  } finally {
    await closeOnVirtualClock(client, sched);
    await fake.close();
    sched.close();
  }
});

test('keep-alive: GET_PARAMETER when Public lists it, else OPTIONS, every half of the Session timeout (virtual clock)', async () => {
  for (const [publicList, method] of [['OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER', 'GET_PARAMETER'], ['OPTIONS, DESCRIBE, SETUP, PLAY', 'OPTIONS']] as const) {
    const fake = await FakeRTSPServer.start(
      scripted({
        options: () => ({ status: 200, headers: { Public: publicList } }),
        setup: (req) => ({ status: 200, headers: { Session: 'ka;timeout=20', Transport: req.headers.get('Transport')! } }),
      }),
    );
    const sched = new VirtualTaskScheduler();
    const client = new RTSPClient(fake.url('cam'), { scheduler: sched, transport: 'tcp' });
    try {
      await within(client.options(), 5000, 'OPTIONS');
      const session = await within(client.describe(), 5000, 'DESCRIBE');
      await within(client.setup(session.subsessions[0]!), 5000, 'SETUP');
      await within(client.play(), 5000, 'PLAY');
      assert.equal(client.sessionTimeoutSeconds, 20);
      const count = (): number => fake.requests.filter((r) => r.method === method).length - (method === 'OPTIONS' ? 1 : 0);
      sched.advance(9_900_000);
      await spin(sched, 5, 0);
      assert.equal(count(), 0, 'no keep-alive before 10 s');
      sched.advance(100_000);
      await until(() => count() === 1, 5000, `a ${method} at 10 s`);
      sched.advance(10_000_000);
      await until(() => count() === 2, 5000, `a second ${method} at 20 s`);
      const ka = fake.requests.filter((r) => r.method === method).at(-1)!;
      assert.equal(ka.headers.get('Session'), 'ka');
    } finally {
      await closeOnVirtualClock(client, sched);
      await fake.close();
      sched.close();
    }
  }
});

test('tolerant SDP: empty sprop-parameter-sets, o= without address, several payload types on one m=, recvonly/sendonly', async () => {
  const sdp = [
    'v=0',
    'o=- 0 0 IN IP4',
    's=camera',
    't=0 0',
    'a=control:*',
    'm=video 0 RTP/AVP 96 97',
    'a=rtpmap:96 H264/90000',
    'a=rtpmap:97 JPEG/90000',
    'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=',
    'a=recvonly',
    'a=control:video',
    'm=audio 0 RTP/AVP 8 101',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendonly',
    'a=control:audio',
    'm=application 0 RTP/AVP 107',
    'a=rtpmap:107 vnd.onvif.metadata/90000',
    'a=control:meta',
    '',
  ].join('\r\n');
  const fake = await FakeRTSPServer.start(scripted({ describe: () => ({ status: 200, headers: { 'Content-Type': 'application/sdp' }, body: sdp }) }));
  const client = new RTSPClient(fake.url('cam'), { transport: 'tcp' });
  try {
    const session = await client.describe();
    assert.equal(session.sdp.origin?.address, undefined);
    const [v, a, m] = session.subsessions;
    assert.equal(v!.codecName, 'H264');
    assert.equal(v!.payloadType, 96);
    assert.equal(v!.fmtp['sprop-parameter-sets'], '');
    assert.equal(v!.direction, 'recvonly');
    assert.equal(a!.codecName, 'PCMA');
    assert.equal(a!.direction, 'sendonly');
    assert.equal(a!.clockRate, 8000);
    assert.equal(m!.supported, false);
    assert.throws(() => m!.source, /vnd\.onvif\.metadata/i);
    await assert.rejects(client.setup(m!), (e: unknown) => e instanceof RTSPClientError && e.code === 'ERR_RTSP_STATE');
    // The H.264 track works without parameter sets in the SDP: in-band ones are delivered.
    await client.setup(v!);
    await client.play();
    const got: number[] = [];
    v!.on('frame', (f) => got.push(f.data[0]! & 0x1f));
    const ch = v!.transport!.channels!.rtp;
    const conn = fake.connections[0]!;
    conn.sendInterleaved(ch, rtpPacket(1, 0, 5, Buffer.from([0x67, 0x42, 0xe0, 0x1f]), 96));
    conn.sendInterleaved(ch, rtpPacket(2, 0, 5, Buffer.from([0x68, 0xce, 0x3c, 0x80]), 96));
    conn.sendInterleaved(ch, rtpPacket(3, 0, 5, Buffer.from([0x65, 0x88, 0x84, 0x00]), 96, true));
    // A packet of the other payload type on the same m= line is not fed to the H.264 depacketizer.
    conn.sendInterleaved(ch, rtpPacket(4, 0, 5, Buffer.from([0x01, 0x02]), 97));
    await until(() => got.length === 3, 5000, 'three NAL units');
    assert.deepEqual(got, [7, 8, 5]);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('loss and reordering: 100 packets, every 10th dropped (5, 15, …, 95) and pairs swapped → 90 frames in order, 10 lost', async () => {
  const sched = new VirtualTaskScheduler();
  const fake = await FakeRTSPServer.start(scripted());
  const client = new RTSPClient(fake.url('cam'), { transport: 'tcp', scheduler: sched });
  try {
    const session = await within(client.describe(), 5000, 'DESCRIBE');
    const sub = session.subsessions[0]!;
    await within(client.setup(sub), 5000, 'SETUP');
    await within(client.play(), 5000, 'PLAY');
    const got: number[] = [];
    sub.on('frame', (f) => got.push(f.data[0]!));
    const conn = fake.connections[0]!;
    // The first packet starts the sequence (a packet before it would be late), then pairs swap.
    const order: number[] = [0, 1];
    for (let i = 2; i < 100; i += 2) order.push(i + 1, i);
    for (const i of order) {
      if (i % 10 === 5) continue;
      conn.sendInterleaved(0, rtpPacket(65_500 + i, 160 * i, 77, Buffer.alloc(160, i), 0));
    }
    await until(() => sub.stats.packetsReceived === 90, 5000, '90 packets');
    for (let i = 0; i < 300 && got.length < 90; i++) await spin(sched, 1, 20_000);
    const want = [...Array(100).keys()].filter((i) => i % 10 !== 5);
    assert.deepEqual(got, want);
    const stats = sub.stats;
    assert.equal(stats.packetsReceived, 90);
    assert.equal(stats.packetsLost, 10);
    assert.equal(stats.framesReceived, 90);
    assert.equal(stats.bytesReceived, 90 * 160);
  } finally {
    await closeOnVirtualClock(client, sched);
    await fake.close();
    sched.close();
  }
});

test('IPv6: rtsp://[::1]:port/x describes, sets up over UDP on ::1 and receives', async () => {
  const fake = await FakeRTSPServer.start(scripted(), '::1');
  const client = new RTSPClient(fake.url('v6', '::1'), { transport: 'udp' });
  const sender = createSocket('udp6');
  await new Promise<void>((r) => sender.bind(0, '::1', () => r()));
  try {
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    assert.equal(sub.controlURL, `rtsp://[::1]:${fake.port}/v6/track1`);
    await client.setup(sub);
    await client.play();
    const frames: number[] = [];
    sub.on('frame', (f) => frames.push(f.data.length));
    sender.send(rtpPacket(1, 0, 3, Buffer.alloc(100)), sub.transport!.clientPorts!.rtp, '::1');
    await until(() => frames.length === 1, 5000, 'a frame over UDP/IPv6');
  } finally {
    sender.close();
    await client.close();
    await fake.close();
  }
});

test('TCP: receiver reports on the odd interleaved channel at most 5 s apart; PAUSE then PLAY resumes without Range; close() gives an unanswered TEARDOWN teardownTimeoutMs', async () => {
  const sched = new VirtualTaskScheduler();
  const normal = scripted();
  const fake = await FakeRTSPServer.start((req, conn) => (req.method === 'TEARDOWN' ? undefined : normal(req, conn)));
  const client = new RTSPClient(fake.url('cam'), { scheduler: sched, transport: 'tcp', teardownTimeoutMs: 1500 });
  try {
    const session = await within(client.describe(), 5000, 'DESCRIBE');
    const sub = session.subsessions[0]!;
    await within(client.setup(sub), 5000, 'SETUP');
    await within(client.play(), 5000, 'PLAY');
    const conn = fake.connections[0]!;
    conn.sendInterleaved(0, rtpPacket(1, 0, 0x55, Buffer.alloc(160)));
    conn.sendInterleaved(0, rtpPacket(2, 160, 0x55, Buffer.alloc(160)));
    await until(() => sub.stats.packetsReceived === 2, 5000, 'two packets');
    const rrs = (): Array<{ channel: number; payload: Buffer }> => conn.interleaved.filter((f) => parseRTCP(f.payload)[0]?.type === 'rr');
    await until(() => rrs().length === 1, 5000, 'the RR sent right after PLAY');
    // Report times on the virtual clock, seen where the client sends them.
    const sentAt: number[] = [sched.now()];
    sub.rtcp!.on('sent', () => sentAt.push(sched.now()));
    for (let i = 0; i < 30; i++) sched.advance(1_000_000);
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    assert.ok(gaps.length >= 6 && gaps.every((g) => g <= 5_000_000), `RR gaps ${gaps.join(', ')} µs`);
    await until(() => rrs().length === sentAt.length, 5000, 'every RR at the server');
    assert.ok(rrs().every((f) => f.channel === 1));
    const last = parseRTCP(rrs().at(-1)!.payload)[0]!;
    assert.equal(last.type === 'rr' ? last.reports[0]?.ssrc : undefined, 0x55, 'the RR reports on the server SSRC');

    await within(client.pause(), 5000, 'PAUSE');
    await within(client.play(), 5000, 'PLAY again');
    const plays = conn.requests.filter((r) => r.method === 'PLAY');
    assert.equal(plays[0]!.headers.get('Range'), 'npt=0.000-');
    assert.equal(plays[1]!.headers.get('Range'), undefined, 'resume: no Range');
    assert.equal(conn.requests.find((r) => r.method === 'PAUSE')?.headers.get('Session'), '12345678');

    const closing = client.close();
    await until(() => conn.requests.some((r) => r.method === 'TEARDOWN'), 5000, 'the TEARDOWN');
    let closed = false;
    void closing.then(() => (closed = true));
    sched.advance(1_400_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, 'waits for the TEARDOWN answer');
    sched.advance(200_000);
    await within(closing, 5000, 'close()');
    assert.equal(sub.ended || sub.transport === undefined, true);
    await until(() => conn.socket.destroyed || conn.socket.readableEnded, 5000, 'the connection to close');
  } finally {
    await closeOnVirtualClock(client, sched);
    await fake.close();
    sched.close();
  }
});

test('damaged frames: an H.264 FU-A missing its middle fragment is dropped and counted, the frames around it arrive', async () => {
  const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=h264', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', 'a=control:v', ''].join('\r\n');
  const sched = new VirtualTaskScheduler();
  const fake = await FakeRTSPServer.start(scripted({ describe: () => ({ status: 200, headers: { 'Content-Type': 'application/sdp' }, body: sdp }) }));
  const client = new RTSPClient(fake.url('cam'), { scheduler: sched, transport: 'tcp' });
  try {
    const session = await within(client.describe(), 5000, 'DESCRIBE');
    const sub = session.subsessions[0]!;
    await within(client.setup(sub), 5000, 'SETUP');
    await within(client.play(), 5000, 'PLAY');
    const got: number[] = [];
    sub.on('frame', (f) => got.push(f.data.length));
    const conn = fake.connections[0]!;
    const send = (seq: number, ts: number, payload: number[], marker: boolean) => conn.sendInterleaved(0, rtpPacket(seq, ts, 8, Buffer.from(payload), 96, marker));
    send(1, 0, [0x65, 1, 2, 3], true); // a whole IDR slice
    send(2, 3000, [0x7c, 0x81, 9, 9], false); // FU-A start (non-IDR slice, type 1)
    // seq 3 (the middle fragment) is lost
    send(4, 3000, [0x7c, 0x41, 9, 9], true); // FU-A end
    send(5, 6000, [0x41, 7, 7], true); // a whole non-IDR slice
    await until(() => sub.stats.packetsReceived === 4, 5000, 'four packets');
    for (let i = 0; i < 50 && got.length < 2; i++) await spin(sched, 1, 20_000);
    assert.deepEqual(got, [4, 3]);
    assert.equal(sub.stats.damagedFrames, 1);
    assert.equal(sub.stats.packetsLost, 1);
  } finally {
    await closeOnVirtualClock(client, sched);
    await fake.close();
    sched.close();
  }
});

test('auto mode: a server that refuses UDP with 461 gets a TCP SETUP at once', async () => {
  const fake = await FakeRTSPServer.start(
    scripted({
      setup: (req) => {
        const t = req.headers.get('Transport')!;
        return t.includes('TCP') ? { status: 200, headers: { Session: 'x', Transport: t } } : { status: 461 };
      },
    }),
  );
  const client = new RTSPClient(fake.url('cam'));
  try {
    const session = await client.describe();
    await client.setup(session.subsessions[0]!);
    assert.equal(session.subsessions[0]!.transport?.mode, 'tcp');
    const setups = fake.requests.filter((r) => r.method === 'SETUP').map((r) => r.headers.get('Transport'));
    assert.equal(setups.length, 2);
    assert.match(setups[0]!, /^RTP\/AVP;unicast;client_port=\d+-\d+$/);
    assert.match(setups[1]!, /^RTP\/AVP\/TCP;unicast;interleaved=0-1$/);
    // In udp mode the 461 is the answer.
    const strict = new RTSPClient(fake.url('cam'), { transport: 'udp' });
    const s2 = await strict.describe();
    await assert.rejects(strict.setup(s2.subsessions[0]!), (e: unknown) => e instanceof RTSPClientError && e.status === 461);
    await strict.close();
  } finally {
    await client.close();
    await fake.close();
  }
});

test('one reader per source: a sink and a frame listener on the same subsession do not split frames — the second is told ERR_SOURCE_BUSY', async () => {
  const fake = await FakeRTSPServer.start(scripted());
  const client = new RTSPClient(fake.url('cam'), { transport: 'tcp' });
  try {
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    await client.setup(sub);
    await client.play();
    const { CollectingSink } = await import('./helpers.js');
    const sink = new CollectingSink();
    const playing = sink.startPlaying(sub.source);
    const errors: string[] = [];
    sub.on('error', (e) => errors.push(e.code));
    const heard: number[] = [];
    sub.on('frame', (f) => heard.push(f.data[0]!));
    await until(() => errors.length === 1, 5000, 'the listener to be refused');
    assert.deepEqual(errors, ['ERR_SOURCE_BUSY']);
    for (let i = 0; i < 5; i++) fake.connections[0]!.sendInterleaved(0, rtpPacket(i, 160 * i, 2, Buffer.alloc(20, i)));
    await until(() => sink.frames.length === 5, 5000, 'five frames in the sink');
    assert.deepEqual(sink.frames.map((f) => f.data[0]), [0, 1, 2, 3, 4]);
    assert.deepEqual(heard, []);
    await client.teardown();
    await within(playing, 5000, 'the sink to finish after TEARDOWN');
    assert.equal(sub.ended, true);
  } finally {
    await client.close();
    await fake.close();
  }
});
