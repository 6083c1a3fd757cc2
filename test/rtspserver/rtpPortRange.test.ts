// rtpPortRange: a server-wide range of UDP ports for RTP/RTCP pairs, handed to every track (the
// DynamicRTSPServer's file tracks too); a full range answers 453; a bad range is refused. And the
// scheduler is optional: server and subsessions share defaultScheduler(). And dorsvr-server --rtp-port-range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { DorsvrError, defaultScheduler } from '@dorsvr/scheduler';
import { H264VideoFileServerMediaSubsession, RelayServerMediaSession, ServerMediaSession, parseSDP } from '@dorsvr/livemedia';
import { ProxyServerMediaSession } from '@dorsvr/rtspclient';
import { DynamicRTSPServer, RTSPServer } from '@dorsvr/rtspserver';
import { fixture, repoRoot } from '../helpers/paths.js';
import { join } from 'node:path';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { runPeer } from './helpers/ffmpeg.js';

/** Four consecutive free UDP ports starting at an even one (two RTP/RTCP pairs), found by binding. */
async function freeRange(): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createSocket('udp4');
    const p = await new Promise<number>((resolve) => probe.bind(0, '127.0.0.1', () => resolve(probe.address().port)));
    probe.close();
    const min = p - (p % 2);
    if (min + 3 > 65535) continue;
    const socks = [0, 1, 2, 3].map(() => createSocket('udp4'));
    const ok = await Promise.all(
      socks.map((s, i) => new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(min + i, () => resolve(true));
      })),
    );
    await Promise.all(socks.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })));
    if (ok.every(Boolean)) return { min, max: min + 3 };
  }
  throw new Error('no four free UDP ports found');
}

function serverPort(transport: string | undefined): number {
  const m = /server_port=(\d+)-(\d+)/.exec(transport ?? '');
  assert.ok(m, `server_port in ${transport}`);
  assert.equal(Number(m[2]), Number(m[1]) + 1);
  return Number(m[1]);
}

test('RTSPServer rtpPortRange: UDP pairs come from the range; when it is full, SETUP answers 453', async () => {
  const range = await freeRange();
  // No scheduler given: the server and the subsession share defaultScheduler().
  const server = new RTSPServer({ port: 0, host: '127.0.0.1', rtpPortRange: range });
  assert.equal(server.scheduler, defaultScheduler());
  const sub = new H264VideoFileServerMediaSubsession(fixture('test.264'));
  assert.equal(sub.scheduler, server.scheduler);
  server.addServerMediaSession(new ServerMediaSession('v').addSubsession(sub));
  assert.deepEqual(sub.portRange, range, 'the track took the server range');
  await server.listen();
  const clients: RawRTSPClient[] = [];
  try {
    const url = `rtsp://127.0.0.1:${server.port}/v/track1`;
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawRTSPClient.connect(server.port);
      clients.push(c);
      const r = await c.request('SETUP', url, { Transport: `RTP/AVP;unicast;client_port=${5000 + 2 * i}-${5001 + 2 * i}` });
      if (i < 2) {
        assert.equal(r.status, 200, `SETUP ${i + 1}`);
        ports.push(serverPort(r.headers.transport));
      } else {
        assert.equal(r.status, 453, 'the range holds two pairs only');
      }
    }
    assert.deepEqual(ports.sort(), [range.min, range.min + 2]);
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
});

test('DynamicRTSPServer passes rtpPortRange to the file tracks it makes', async () => {
  const range = await freeRange();
  const server = new DynamicRTSPServer({ port: 0, host: '127.0.0.1', root: join(repoRoot, 'test', 'fixtures'), rtpPortRange: range });
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const r = await c.request('SETUP', `rtsp://127.0.0.1:${server.port}/test.aac/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.equal(r.status, 200);
    const p = serverPort(r.headers.transport);
    assert.ok(p >= range.min && p + 1 <= range.max, `${p} in ${range.min}-${range.max}`);
  } finally {
    c.close();
    await server.close();
  }
});

test('a bad rtpPortRange is refused at construction (ERR_SERVER_PORT_RANGE), never widened', () => {
  for (const bad of [{ min: 7000, max: 6990 }, { min: 0, max: 10 }, { min: 7001, max: 7002 }, { min: 6970, max: 70000 }, { min: 6970.5, max: 6980 }]) {
    assert.throws(
      () => new RTSPServer({ port: 0, rtpPortRange: bad }),
      (err: unknown) => err instanceof DorsvrError && err.code === 'ERR_SERVER_PORT_RANGE',
      JSON.stringify(bad),
    );
  }
  assert.throws(() => new H264VideoFileServerMediaSubsession('x.264', { portRange: { min: 9, max: 9 } }), /no even\/odd/);
});

test('dorsvr-server --rtp-port-range MIN-MAX: a SETUP over UDP gets its server ports from the range', async () => {
  const range = await freeRange();
  let port = 0;
  let transport: string | undefined;
  let failure: unknown;
  const r = await runPeer(
    process.execPath,
    [join(repoRoot, 'packages/rtspserver/bin/dorsvr-server.js'), fixture(''), '--port', '0', '--host', '127.0.0.1', '--rtp-port-range', `${range.min}-${range.max}`, '--quiet'],
    20_000,
    (all, child) => {
      const m = /on port (\d+)/.exec(all);
      if (!m || port !== 0 || !/test\.264/.test(all)) return;
      port = Number(m[1]);
      void (async () => {
        const c = await RawRTSPClient.connect(port);
        try {
          const res = await c.request('SETUP', `rtsp://127.0.0.1:${port}/test.264/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
          assert.equal(res.status, 200);
          transport = res.headers.transport;
        } catch (err) {
          failure = err;
        } finally {
          c.close();
          child.kill('SIGTERM');
        }
      })();
    },
  );
  assert.ok(port > 0, r.stdout + r.stderr);
  assert.equal(failure, undefined);
  const p = serverPort(transport);
  assert.ok(p >= range.min && p + 1 <= range.max, `server_port ${p}-${p + 1} inside ${range.min}-${range.max}`);
});

// Relayed streams (issue #11 follow-up): the readers of a relay, a published and a proxied stream
// take their UDP port pairs from the server's rtpPortRange as on-demand tracks do.

const RELAY_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=cam',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=control:streamid=0',
  'm=audio 0 RTP/AVP 97',
  'a=rtpmap:97 L16/8000/1',
  'a=control:streamid=1',
  '',
].join('\r\n');

test('relay readers take their port pairs from rtpPortRange; a track that finds the range full answers 453', async () => {
  const range = await freeRange();
  const onePair = { min: range.min, max: range.min + 1 };
  const server = new RTSPServer({ port: 0, host: '127.0.0.1', rtpPortRange: onePair });
  const sms = new RelayServerMediaSession('cam', parseSDP(RELAY_SDP), { scheduler: server.scheduler });
  server.addServerMediaSession(sms);
  assert.deepEqual(sms.tracks[0]!.portRange, onePair, 'the track took the server range');
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/cam`;
    const v = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.equal(v.status, 200);
    assert.equal(serverPort(v.headers.transport), onePair.min);
    const session = v.headers.session!.split(';')[0]!;
    // The audio track needs a pair of its own: the range holds one, taken by the video track.
    const a = await c.request('SETUP', `${url}/track2`, { Transport: 'RTP/AVP;unicast;client_port=5002-5003', Session: session });
    assert.equal(a.status, 453, `audio SETUP: ${a.status}`);
    // A second reader of the video track shares its pair.
    const c2 = await RawRTSPClient.connect(server.port);
    try {
      const v2 = await c2.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5004-5005' });
      assert.equal(v2.status, 200);
      assert.equal(serverPort(v2.headers.transport), onePair.min);
    } finally {
      c2.close();
    }
  } finally {
    c.close();
    await server.close();
  }
  // A track's own portRange wins over the server's.
  const own = new RelayServerMediaSession('own', parseSDP(RELAY_SDP), { scheduler: defaultScheduler(), portRange: { min: range.min + 2, max: range.max } });
  new RTSPServer({ port: 0, rtpPortRange: onePair }).addServerMediaSession(own);
  assert.deepEqual(own.tracks[0]!.portRange, { min: range.min + 2, max: range.max });
  own.close();
});

test('a publisher\'s and the readers\' port pairs of a published stream come from rtpPortRange', async () => {
  const range = await freeRange();
  const server = new RTSPServer({ port: 0, host: '127.0.0.1', rtpPortRange: range, publish: true });
  await server.listen();
  const pub = await RawRTSPClient.connect(server.port);
  const reader = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/live`;
    const an = await pub.request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, RELAY_SDP);
    assert.equal(an.status, 200);
    const s = await pub.request('SETUP', `${url}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
    assert.equal(s.status, 200);
    const session = s.headers.session!.split(';')[0]!;
    // The publisher's audio over UDP: the server's receiving pair is in the range too.
    const su = await pub.request('SETUP', `${url}/streamid=1`, { Transport: 'RTP/AVP;unicast;client_port=5010-5011;mode=record', Session: session });
    assert.equal(su.status, 200);
    const pp = serverPort(su.headers.transport);
    assert.ok(pp >= range.min && pp + 1 <= range.max, `publisher's ${pp} in ${range.min}-${range.max}`);
    assert.equal((await pub.request('RECORD', url, { Session: session, Range: 'npt=0.000-' })).status, 200);
    const r = await reader.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.equal(r.status, 200);
    const p = serverPort(r.headers.transport);
    assert.ok(p >= range.min && p + 1 <= range.max, `${p} in ${range.min}-${range.max}`);
  } finally {
    pub.close();
    reader.close();
    await server.close();
  }
});

test('readers of a proxied stream take their port pairs from rtpPortRange (tracks made after the back-end answered too)', async () => {
  const range = await freeRange();
  const origin = new DynamicRTSPServer({ port: 0, host: '127.0.0.1', root: join(repoRoot, 'test', 'fixtures') });
  await origin.listen();
  const front = new RTSPServer({ port: 0, host: '127.0.0.1', rtpPortRange: range });
  const proxy = new ProxyServerMediaSession('prox', `rtsp://127.0.0.1:${origin.port}/test.264`, { scheduler: front.scheduler });
  front.addServerMediaSession(proxy);
  await front.listen();
  const c = await RawRTSPClient.connect(front.port);
  try {
    const url = `rtsp://127.0.0.1:${front.port}/prox`;
    const d = await c.request('DESCRIBE', url, { Accept: 'application/sdp' });
    assert.equal(d.status, 200, d.body);
    assert.deepEqual(proxy.tracks[0]?.portRange, range);
    const r = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
    assert.equal(r.status, 200);
    const p = serverPort(r.headers.transport);
    assert.ok(p >= range.min && p + 1 <= range.max, `${p} in ${range.min}-${range.max}`);
  } finally {
    c.close();
    proxy.close();
    await front.close();
    await origin.close();
  }
});
