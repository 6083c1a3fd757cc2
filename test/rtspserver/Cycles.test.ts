// A long run of real sessions must leave nothing behind: 1000 connect/DESCRIBE/SETUP/PLAY/TEARDOWN
// cycles of a real H.264 file over UDP, then 300 cycles whose clients vanish without TEARDOWN
// (their sessions reclaimed on the virtual clock). Afterwards the process holds the descriptors,
// UDP ports and pending timers it held before, and its heap has not grown by what the sessions
// held. Real sockets on loopback; the server's clock is virtual, so the 300 are reclaimed at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { H264VideoFileServerMediaSubsession, ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { virtualScheduler } from './helpers/schedulers.js';
import { fixture } from '../helpers/paths.js';
import { processResources } from '../helpers/processResources.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('1000 play cycles and 300 vanished clients: no descriptor, UDP port, timer or heap growth', async (t) => {
  const scheduler = virtualScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1', maxSessionsPerAddress: 1000 });
  server.addServerMediaSession(
    new ServerMediaSession('clip').addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler })),
  );
  await server.listen();
  const url = `rtsp://127.0.0.1:${server.port}/clip`;
  // One client port pair receives every cycle's RTP, proving each PLAY really played.
  const rtp = createSocket('udp4');
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
  const clientPort = rtp.address().port;
  let packets = 0;
  rtp.on('message', () => packets++);

  const cycle = async (teardown: boolean): Promise<void> => {
    const c = await RawRTSPClient.connect(server.port);
    try {
      assert.equal((await c.request('DESCRIBE', url)).status, 200);
      const s = await c.request('SETUP', `${url}/track1`, { Transport: `RTP/AVP;unicast;client_port=${clientPort}-${clientPort + 1}` });
      assert.equal(s.status, 200);
      const session = s.headers['session']!.split(';')[0]!;
      assert.equal((await c.request('PLAY', `${url}/`, { Session: session })).status, 200);
      // A tenth of a second of the clip goes out.
      await new Promise((r) => setImmediate(r));
      scheduler.advance(100_000);
      if (teardown) assert.equal((await c.request('TEARDOWN', `${url}/`, { Session: session })).status, 200);
    } finally {
      c.close();
    }
  };
  const quiesce = async (sessions: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (server.connectionCount > 0 || server.clientSessions.size !== sessions) {
      if (Date.now() > deadline) assert.fail(`${server.connectionCount} connections, ${server.clientSessions.size} sessions left`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 50)); // the sockets' close callbacks
  };

  try {
    for (let i = 0; i < 20; i++) await cycle(true); // warm-up: caches, JIT, the stream's description
    await quiesce(0);
    const before = processResources();
    const heapBefore = heapUsed();
    const timersBefore = scheduler.pendingCount;

    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) await cycle(true);
    await quiesce(0);
    const afterTeardowns = processResources();
    const heapAfterTeardowns = heapUsed();
    const packetsPlayed = packets;
    assert.ok(packetsPlayed >= 1000 * 2, `every PLAY sent RTP (${packetsPlayed} packets)`);
    assert.equal(afterTeardowns.fds, before.fds, 'descriptors after 1000 cycles');
    assert.deepEqual(afterTeardowns.udpPorts, before.udpPorts, 'UDP ports after 1000 cycles');
    assert.equal(scheduler.pendingCount, timersBefore, 'pending timers after 1000 cycles');

    // 300 clients that vanish: their UDP sessions outlive the connections until reclaimed.
    for (let i = 0; i < 300; i++) await cycle(false);
    await quiesce(300);
    const holding = processResources();
    assert.ok(holding.udpPorts.length >= before.udpPorts.length + 600, `300 sessions hold their port pairs (${holding.udpPorts.length} UDP ports)`);
    scheduler.advance(71e6); // 65 s + 5 s grace of silence
    assert.equal(server.clientSessions.size, 0, 'all 300 reclaimed');
    await quiesce(0);
    const after = processResources();
    const heapAfter = heapUsed();
    const elapsed = Date.now() - t0;

    t.diagnostic(
      `${elapsed} ms; descriptors ${before.fds} → ${after.fds}; UDP ports ${before.udpPorts.length} → ${holding.udpPorts.length} (300 sessions) → ${after.udpPorts.length}; ` +
        `timers ${timersBefore} → ${scheduler.pendingCount}; heap ${(heapBefore / 1e6).toFixed(1)} → ${(heapAfterTeardowns / 1e6).toFixed(1)} → ${(heapAfter / 1e6).toFixed(1)} MB; ` +
        `RSS ${(before.rss / 1e6).toFixed(0)} → ${(after.rss / 1e6).toFixed(0)} MB; ${packets} RTP packets`,
    );
    assert.equal(after.fds, before.fds, 'descriptors after the 300 were reclaimed');
    assert.deepEqual(after.udpPorts, before.udpPorts, 'UDP ports after the 300 were reclaimed');
    assert.equal(scheduler.pendingCount, timersBefore, 'pending timers after the 300 were reclaimed');
    // What a session holds (two 512 KiB read chunks, sockets, a framer's index) would show as
    // hundreds of MB over 1300 sessions; the heap may move by a few MB with what V8 keeps warm.
    assert.ok(heapAfter - heapBefore < 8e6, `heap grew ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB over 1300 sessions`);
  } finally {
    rtp.close();
    await server.close();
    scheduler.close();
  }
});
