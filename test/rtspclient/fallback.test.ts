// UDP → TCP fallback: when no RTP arrives over UDP within fallbackTimeoutMs, the client tears the
// session down and sets it up again over TCP (as ffmpeg and gortsplib do), saying so by an event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { BasicTaskScheduler, VirtualTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer } from '@dorsvr/rtspserver';
import {
  defaultStreamTransportFactory,
  H264VideoFileServerMediaSubsession,
  parseTransportHeader,
  ServerMediaSession,
  type StreamTransportFactory,
} from '@dorsvr/livemedia';
import { RTSPClient, type MediaSubsession, type RTSPClientOptions } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { FakeRTSPServer, pcmuSDP, rtpPacket } from './FakeRTSPServer.js';
import { closeOnVirtualClock, framerOutput, until, within } from './helpers.js';

/** Our server's transports, except that RTP for UDP clients is never sent (a NAT eating it). */
const udpBlackhole: StreamTransportFactory = {
  create(request) {
    const t = defaultStreamTransportFactory.create(request);
    if (request.udp) t.addDestination = () => undefined;
    return t;
  },
};

/** A client on `url` through DESCRIBE, SETUP of the first track and PLAY, counting its fallbacks to TCP. */
async function playFirstTrack(
  url: string,
  options: RTSPClientOptions,
): Promise<{ client: RTSPClient; sub: MediaSubsession; fallbacks: { count: number } }> {
  const client = new RTSPClient(url, options);
  const fallbacks = { count: 0 };
  client.on('fallbackToTCP', () => fallbacks.count++);
  const session = await within(client.describe(), 5000, 'DESCRIBE');
  const sub = session.subsessions[0]!;
  await within(client.setup(sub), 5000, 'SETUP');
  await within(client.play(), 5000, 'PLAY');
  return { client, sub, fallbacks };
}

test('our server with UDP blocked: auto mode emits fallbackToTCP, tears down, sets up over TCP and gets every frame', async () => {
  const sched = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler: sched, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(
    new ServerMediaSession('cam').addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler: sched, transportFactory: udpBlackhole })),
  );
  const methods: string[] = [];
  server.on('request', (_c, m) => methods.push(m));
  await server.listen();
  const client = new RTSPClient(`rtsp://127.0.0.1:${server.port}/cam`, { fallbackTimeoutMs: 800 });
  try {
    const want = await framerOutput('test.264');
    const reasons: string[] = [];
    client.on('fallbackToTCP', (r) => reasons.push(r));
    const session = await client.describe();
    const sub = session.subsessions[0]!;
    await client.setup(sub);
    assert.equal(sub.transport?.mode, 'udp');
    const frames: Buffer[] = [];
    const reading = (async () => {
      for await (const f of sub.frames()) frames.push(Buffer.from(f.data));
    })();
    await client.play();
    await within(reading, 20_000, 'the stream to end over TCP');
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /no RTP packet over UDP within 800 ms/);
    assert.equal(client.fellBackToTCP, true);
    assert.deepEqual(methods, ['DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN', 'SETUP', 'PLAY']);
    assert.deepEqual(frames.map((f) => f.toString('hex')), want.map((b) => b.toString('hex')));
    assert.equal(sub.stats.packetsLost, 0);
  } finally {
    await client.close();
    await server.close();
    sched.close();
  }
});

test('fallback honours the interleaved channels the server answers; no fallback when UDP packets arrive; none in udp mode', async () => {
  const setups: string[] = [];
  const fake = await FakeRTSPServer.start((req) => {
    switch (req.method) {
      case 'DESCRIBE':
        return { status: 200, headers: { 'Content-Base': `${req.uri}/` }, body: pcmuSDP() };
      case 'SETUP': {
        const t = req.headers.get('Transport')!;
        setups.push(t);
        const tcp = t.includes('TCP');
        return { status: 200, headers: { Session: 'fb', Transport: tcp ? 'RTP/AVP/TCP;unicast;interleaved=6-7' : `${t};server_port=9000-9001` } };
      }
      default:
        return { status: 200, headers: { Session: 'fb' } };
    }
  });
  try {
    // 1. Nothing over UDP: fallback after 5 s of virtual time, not before.
    {
      const sched = new VirtualTaskScheduler();
      const { client, sub, fallbacks } = await playFirstTrack(fake.url('a'), { scheduler: sched });
      sched.advance(4_990_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(fallbacks.count, 0, 'not before fallbackTimeoutMs');
      sched.advance(10_000);
      assert.equal(fallbacks.count, 1);
      await until(() => sub.transport?.mode === 'tcp', 5000, 'the TCP SETUP');
      assert.deepEqual(sub.transport?.channels, { rtp: 6, rtcp: 7 });
      assert.match(setups.at(-1)!, /RTP\/AVP\/TCP;unicast;interleaved=0-1/);
      const got: number[] = [];
      sub.on('frame', (f) => got.push(f.data[0]!));
      const conn = fake.connections.at(-1)!;
      await until(() => conn.requests.filter((r) => r.method === 'PLAY').length === 2, 5000, 'the second PLAY');
      conn.sendInterleaved(6, rtpPacket(1, 0, 1, Buffer.alloc(10, 42)));
      conn.sendInterleaved(0, rtpPacket(2, 80, 1, Buffer.alloc(10, 13))); // not our channel any more
      await until(() => got.length === 1, 5000, 'a frame on channel 6');
      assert.deepEqual(got, [42]);
      await closeOnVirtualClock(client, sched);
      sched.close();
    }
    // 2. Packets over UDP: no fallback. 3. udp mode: no fallback either.
    for (const transport of ['auto', 'udp'] as const) {
      const sched = new VirtualTaskScheduler();
      const { client, sub, fallbacks } = await playFirstTrack(fake.url('b'), { scheduler: sched, transport });
      if (transport === 'auto') {
        const s = createSocket('udp4');
        s.send(rtpPacket(1, 0, 1, Buffer.alloc(10)), parseTransportHeader(setups.at(-1)!)[0]!.clientPort!.rtp, '127.0.0.1');
        await until(() => sub.stats.packetsReceived === 1, 5000, 'the UDP packet');
        s.close();
      }
      sched.advance(10_000_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(fallbacks.count, 0, `${transport}: no fallback`);
      assert.equal(sub.transport?.mode, 'udp');
      await closeOnVirtualClock(client, sched);
      sched.close();
    }
  } finally {
    await fake.close();
  }
});
