// Multicast configuration, without sending any multicast (that happens only inside a network
// namespace, see multicast.test.ts): the group pool, and the refusals a server gives on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { DynamicRTSPServer, MulticastGroupPool, RTSPServer } from '@dorsvr/rtspserver';
import { RTSPClient, RTSPClientError } from '@dorsvr/rtspclient';
import { H264VideoRTPSink, PassiveServerMediaSubsession, ServerMediaSession } from '@dorsvr/livemedia';
import { fixture, repoRoot } from '../helpers/paths.js';
import { join } from 'node:path';
import { makeTestCertificate } from '../helpers/tlsCertificate.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

test('MulticastGroupPool: CIDR and A-B ranges, a group and its own port pair per allocation, exhaustion, release; bad ranges throw ERR_SERVER_OPTION', () => {
  const p = new MulticastGroupPool('239.255.42.0/30', 20000);
  assert.equal(p.size, 2);
  assert.deepEqual(p.allocate(), { group: '239.255.42.1', rtpPort: 20000, rtcpPort: 20001 });
  assert.deepEqual(p.allocate(), { group: '239.255.42.2', rtpPort: 20002, rtcpPort: 20003 });
  assert.equal(p.allocate(), undefined, 'every group taken');
  p.release('239.255.42.1');
  assert.deepEqual(p.allocate(), { group: '239.255.42.1', rtpPort: 20000, rtcpPort: 20001 }, 'a released group and its ports come back');
  const span = new MulticastGroupPool('232.1.1.10-232.1.1.12');
  assert.equal(span.size, 3);
  assert.equal(span.allocate()?.rtpPort, 18888);
  for (const bad of ['10.0.0.0/24', '224.0.0.0/24', '239.1.1.1', '239.0.0.0/8', '239.1.1.9-239.1.1.1', 'ff3e::1/120', '']) {
    assert.throws(() => new MulticastGroupPool(bad), (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION'), bad);
  }
  assert.throws(() => new MulticastGroupPool('239.1.1.0/24', 18889), (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION'), 'odd port base');
});

test('a server without multicast groups answers a multicast SETUP 461 (it never sends multicast unless configured); so does one under TLS', async () => {
  const scheduler = new BasicTaskScheduler();
  const cert = makeTestCertificate();
  const plain = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1' });
  const tls = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1', tls: { key: cert.key, cert: cert.cert }, multicast: { groups: '239.255.42.0/24' } });
  await Promise.all([plain.listen(), tls.listen()]);
  try {
    for (const [url, options] of [
      [`rtsp://127.0.0.1:${plain.port}/test.264`, {}],
      [`rtsps://127.0.0.1:${tls.port}/test.264`, { tls: { ca: cert.cert } }],
    ] as const) {
      const client = new RTSPClient(url, { ...options, transport: 'multicast' });
      try {
        const session = await client.describe();
        await assert.rejects(client.setup(session.subsessions[0]!), (e: unknown) => e instanceof RTSPClientError && e.status === 461, url);
      } finally {
        await client.close();
      }
    }
  } finally {
    await Promise.all([plain.close(), tls.close()]);
    scheduler.close();
    cert.cleanup();
  }
});

test('bad multicast options: a non-multicast range or a TTL out of 1–255 throws ERR_SERVER_OPTION; dorsvr-server --multicast with a bad range exits 2', async () => {
  const scheduler = new BasicTaskScheduler();
  try {
    for (const multicast of [{ groups: '192.168.1.0/24' }, { groups: '239.255.42.0/24', ttl: 0 }, { groups: '239.255.42.0/24', ttl: 256 }]) {
      assert.throws(() => new RTSPServer({ scheduler, port: 0, multicast }), (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION'), JSON.stringify(multicast));
    }
  } finally {
    scheduler.close();
  }
  const cli = join(repoRoot, 'packages/rtspserver/dist/cli.js');
  const r = await runPeer(process.execPath, [cli, fixture(''), '--port', '0', '--host', '127.0.0.1', '--multicast', '10.1.2.0/24'], 15_000);
  assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /multicast range/);
});

test('PassiveServerMediaSubsession SDP: m= with the group port, c=IN IP4 group/ttl, a=source-filter for SSM; SETUP of it without a multicast transport is 461', async () => {
  const scheduler = new BasicTaskScheduler();
  try {
    // The sink sends nowhere here: nothing is played, only described.
    const sink = new H264VideoRTPSink({ scheduler, rtpInterface: { send: () => true }, payloadType: 96 });
    const asm = new PassiveServerMediaSubsession(sink, { scheduler, group: '239.255.43.1', rtpPort: 19000, ttl: 4 });
    const ssm = new PassiveServerMediaSubsession(sink, { scheduler, group: '232.5.5.5', rtpPort: 19002, source: '10.77.0.1' });
    new ServerMediaSession('asm').addSubsession(asm);
    new ServerMediaSession('ssm').addSubsession(ssm);
    const a = await asm.sdpLines();
    assert.match(a, /^m=video 19000 RTP\/AVP 96\r\n/);
    assert.match(a, /\r\nc=IN IP4 239\.255\.43\.1\/4\r\n/);
    assert.doesNotMatch(a, /source-filter/);
    const s = await ssm.sdpLines();
    assert.match(s, /\r\nc=IN IP4 232\.5\.5\.5\/1\r\n/);
    assert.match(s, /\r\na=source-filter: incl IN IP4 232\.5\.5\.5 10\.77\.0\.1\r\n/);

    const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    server.addServerMediaSession(new ServerMediaSession('passive').addSubsession(new PassiveServerMediaSubsession(sink, { scheduler, group: '239.255.43.1', rtpPort: 19000 })));
    await server.listen();
    const client = new RTSPClient(`rtsp://127.0.0.1:${server.port}/passive`, { transport: 'tcp' });
    try {
      const session = await client.describe();
      await assert.rejects(client.setup(session.subsessions[0]!), (e: unknown) => e instanceof RTSPClientError && e.status === 461);
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    scheduler.close();
  }
});
