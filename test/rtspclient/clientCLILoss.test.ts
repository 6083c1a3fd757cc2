// dorsvr-client's loss figures under a known loss: it records over TCP through a relay that drops
// every 25th RTP packet our server sends it, and its --json status lines and QoS object must count
// exactly the packets dropped (duration and bytes growing meanwhile); the text status line says the
// loss too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { findPeer } from '../helpers/peers.js';
import { tempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { DroppingRTSPProxy } from '../rtspserver/helpers/DroppingRTSPProxy.js';
import { startCLI } from './clientCLI.js';

const tmp = tempDir();
after(() => tmp.cleanup());

test('dorsvr-client --json: status lines and the QoS count exactly the RTP packets a relay dropped on the way', async () => {
  const media = join(tmp.dir, 'media');
  const out = join(tmp.dir, 'out');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(media);
  mkdirSync(out);
  // 4 s of H.264 at ~1 Mbit/s: some 400 RTP packets.
  const gen = await runPeer(findPeer('ffmpeg'), [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25,noise=alls=40:allf=t', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '1M', '-pix_fmt', 'yuv420p', '-f', 'h264', join(media, 'clip.264'),
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  const scheduler = new BasicTaskScheduler();
  const server = new DynamicRTSPServer({ scheduler, root: media, port: 0, host: '127.0.0.1' });
  await server.listen();
  // Never the first packets (the client's sequence base) nor, likely, the last: every 25th from the 10th.
  const proxy = new DroppingRTSPProxy(server.port, (i) => i >= 10 && i % 25 === 0, 0, 'toClient');
  const port = await proxy.listen();
  try {
    const r = await startCLI([`rtsp://127.0.0.1:${port}/clip.264`, '-t', '-o', out, '--json'], 60_000);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const dropped = proxy.dropped;
    assert.ok(dropped >= 10 && proxy.passed > 200, `${proxy.passed} passed, ${dropped} dropped`);
    const qos = lines.find((l) => l.type === 'qos') as { packetsReceived: number; packetsLost: number; packetsExpected: number } | undefined;
    assert.ok(qos, r.stdout);
    assert.equal(qos.packetsReceived, proxy.passed);
    assert.equal(qos.packetsLost, dropped);
    // Expected is what the server sent: received + lost (the packet RFC 3550 A.1's probation holds
    // back from its counters included).
    assert.equal(qos.packetsExpected, proxy.passed + dropped);
    assert.equal(qos.packetsExpected, qos.packetsReceived + qos.packetsLost);
    const statuses = lines.filter((l) => l.type === 'status') as Array<{ seconds: number; bytes: number; lossPercent: number; tracks: Array<{ packetsLost: number }> }>;
    assert.ok(statuses.length >= 3, `${statuses.length} status lines`);
    for (let i = 1; i < statuses.length; i++) {
      assert.ok(statuses[i]!.seconds > statuses[i - 1]!.seconds && statuses[i]!.bytes >= statuses[i - 1]!.bytes, JSON.stringify(statuses.slice(i - 1, i + 1)));
    }
    const last = statuses.at(-1)!;
    assert.ok(last.tracks[0]!.packetsLost > 0 && last.tracks[0]!.packetsLost <= dropped, JSON.stringify(last));
    // One in 25 dropped: about 4 % lost.
    assert.ok(last.lossPercent > 2.5 && last.lossPercent < 5.5, `loss ${last.lossPercent} %`);
  } finally {
    await proxy.close();
    await server.close();
    scheduler.close();
  }
});
