// Multicast configuration and refusal, on loopback only: nothing here sends (or joins) multicast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H264VideoFileServerMediaSubsession, MulticastAddressPool, ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { isDorsvrError } from '@dorsvr/scheduler';
import { fixture } from '../helpers/paths.js';
import { RawRTSPClient } from '../rtspserver/helpers/RawRTSPClient.js';
import { RecordingSubsession } from '../rtspserver/helpers/RecordingSubsession.js';
import { virtualScheduler } from '../rtspserver/helpers/schedulers.js';

test('MulticastAddressPool hands out one group and port pair per stream, none when all are in use, and takes them back', () => {
  const pool = new MulticastAddressPool({ groups: '239.255.1.254-239.255.2.1', portBase: 30000, ttl: 4 });
  assert.equal(pool.size, 4);
  const got = [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()];
  assert.deepEqual(
    got.map((a) => [a?.group, a?.rtpPort, a?.rtcpPort, a?.ttl]),
    [
      ['239.255.1.254', 30000, 30001, 4],
      ['239.255.1.255', 30002, 30003, 4],
      ['239.255.2.0', 30004, 30005, 4],
      ['239.255.2.1', 30006, 30007, 4],
    ],
  );
  assert.equal(pool.allocate(), undefined);
  assert.equal(pool.inUse, 4);
  pool.release(got[1]!);
  pool.release(got[1]!); // idempotent
  assert.equal(pool.inUse, 3);
  assert.equal(pool.allocate()?.group, '239.255.1.255');
  // CIDR and a single group; defaults: TTL 1, ports from 20000.
  const cidr = new MulticastAddressPool({ groups: '232.10.0.0/30' });
  assert.equal(cidr.size, 4);
  assert.deepEqual(cidr.allocate(), { group: '232.10.0.0', rtpPort: 20000, rtcpPort: 20001, ttl: 1 });
  assert.equal(new MulticastAddressPool({ groups: '239.1.1.1' }).size, 1);
});

test('multicast options that are not clearly right are refused with ERR_MULTICAST_OPTIONS', () => {
  for (const bad of [
    { groups: '10.0.0.1-10.0.0.4' }, // unicast
    { groups: '224.0.0.1-224.0.0.9' }, // link-local control block
    { groups: 'ff3e::1' }, // IPv6: not supported
    { groups: '239.0.0.0/8' }, // too many groups
    { groups: '239.1.1.9-239.1.1.1' }, // empty
    { groups: '239.1.1.1/33' },
    { groups: 'banana' },
    { groups: '239.1.1.1', ttl: 256 },
    { groups: '239.1.1.1', ttl: 1.5 },
    { groups: '239.1.1.1', portBase: 20001 }, // odd
    { groups: '239.1.1.1', portBase: 80 },
    { groups: '239.1.1.1-239.1.1.4', portBase: 65532 }, // no room
    { groups: '239.1.1.1', interfaceAddress: 'eth0' },
    {} as { groups: string },
  ]) {
    assert.throws(
      () => new MulticastAddressPool(bad),
      (e: unknown) => isDorsvrError(e) && e.code === 'ERR_MULTICAST_OPTIONS',
      JSON.stringify(bad),
    );
    assert.throws(() => new RTSPServer({ scheduler: virtualScheduler(), multicast: bad }), (e: unknown) => isDorsvrError(e) && e.code === 'ERR_MULTICAST_OPTIONS');
  }
});

test('a server without the multicast option answers a multicast SETUP 461 (and serves the unicast offered beside it); a track that cannot be multicast gets 461 even with it', async () => {
  const scheduler = virtualScheduler();
  const bare = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  bare.addServerMediaSession(new ServerMediaSession('v').addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler })));
  const withMulticast = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', multicast: { groups: '239.255.77.1-239.255.77.2' } });
  withMulticast.addServerMediaSession(new ServerMediaSession('rec').addSubsession(new RecordingSubsession()));
  const clients: RawRTSPClient[] = [];
  try {
    const c = await RawRTSPClient.connect(await bare.listen());
    clients.push(c);
    const url = `rtsp://127.0.0.1:${bare.port}/v/track1`;
    assert.equal((await c.request('SETUP', url, { Transport: 'RTP/AVP;multicast' })).status, 461);
    assert.equal((await c.request('SETUP', url, { Transport: 'RTP/AVP;multicast;port=5000-5001;ttl=3' })).status, 461);
    const both = await c.request('SETUP', url, { Transport: 'RTP/AVP;multicast,RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(both.status, 200);
    assert.match(both.headers.transport ?? '', /^RTP\/AVP\/TCP;unicast;interleaved=0-1/);
    const d = await RawRTSPClient.connect(await withMulticast.listen());
    clients.push(d);
    assert.equal((await d.request('SETUP', `rtsp://127.0.0.1:${withMulticast.port}/rec`, { Transport: 'RTP/AVP;multicast' })).status, 461);
  } finally {
    for (const c of clients) c.close();
    await bare.close();
    await withMulticast.close();
  }
});
