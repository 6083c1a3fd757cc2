// ProxyServerMediaSession in front of our own RTSPServer: ffmpeg plays the proxied stream over UDP
// and TCP (back-end over UDP and TCP) with every frame; a chain origin → proxy → proxy → player.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPClient } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { findPeer } from '../helpers/peers.js';
import { decodedFrames, gatedOrigin, proxyServer, waitFor } from './proxyHelpers.js';
import { assertGstStoppedByItself } from '../rtspserver/helpers/gstreamer.js';

// test.264: 50 frames (2 s at 25 fps), an IDR every 25. The origin serves it three times over
// (6 s, so that it is still live when the players have their frames) and the players take 50.
const FRAMES = 50;

function threeTimes(dir: string): string {
  const input = join(dir, 'in.264');
  writeFileSync(input, Buffer.concat([0, 1, 2].map(() => readFileSync(fixture('test.264')))));
  return input;
}

for (const backend of ['udp', 'tcp'] as const) {
  test(`ffmpeg plays a proxied H.264 stream over UDP and TCP with all ${FRAMES} frames (back-end over ${backend}); one back-end session for both`, async () => {
    await withTempDir(async (dir) => {
      const scheduler = new BasicTaskScheduler();
      const origin = await gatedOrigin(scheduler, threeTimes(dir));
      const px = await proxyServer(scheduler, origin.url, 'proxyStream', { transport: backend });
      const states: string[] = [];
      px.proxy.events.on('state', (s) => states.push(s));
      try {
        const play = async (transport: 'udp' | 'tcp') => {
          const out = join(dir, `${transport}.mkv`);
          const r = await ffmpegCopy(px.url, transport, out, [], 40_000, ['-frames:v', String(FRAMES)]);
          assert.equal(r.code, 0, `${transport}: ${r.stderr}`);
          return out;
        };
        const runs = Promise.all([play('udp'), play('tcp')]);
        await waitFor(() => (px.proxy.tracks[0]?.readers ?? []).filter((r) => r.state !== 'idle').length === 2, 20_000, 'two playing readers');
        origin.open();
        const [udpOut, tcpOut] = await runs;
        // Counted as the players are done: the origin's clip (6 s) ends later with an RTCP BYE, on
        // which the proxy rightly sets the origin up again (still within its grace), and on a loaded
        // machine probing and decoding the two files below can outlast it.
        const setupsWhilePlaying = origin.setups;
        const backendMode = px.proxy.client?.session?.subsessions[0]?.transport?.mode;
        const analyse = async (out: string) => ({ frames: (await probe(out)).frames, decoded: await decodedFrames(out) });
        const [udp, tcp] = await Promise.all([analyse(udpOut), analyse(tcpOut)]);
        assert.equal(udp.frames, FRAMES, `UDP reader: ${udp.frames} frames`);
        assert.equal(tcp.frames, FRAMES, `TCP reader: ${tcp.frames} frames`);
        assert.equal(udp.decoded, FRAMES, 'every frame decodes (UDP)');
        assert.equal(tcp.decoded, FRAMES, 'every frame decodes (TCP)');
        assert.equal(setupsWhilePlaying, 1, 'one back-end session for two players');
        assert.equal(backendMode, backend);
        assert.deepEqual(states.slice(0, 2), ['connecting', 'live']);
        assert.ok(px.proxy.stats.packetsReceived > FRAMES, 'packets counted');
      } finally {
        await px.close();
        await origin.close();
        scheduler.close();
      }
    });
  });
}

test(`a chain origin → proxy → proxy → ffmpeg delivers every frame of the file (${FRAMES}, from the first, all decodable)`, async () => {
  await withTempDir(async (dir) => {
    const scheduler = new BasicTaskScheduler();
    const origin = await gatedOrigin(scheduler, fixture('test.264')); // 50 frames, then BYE
    const a = await proxyServer(scheduler, origin.url, 'edgeA', { transport: 'udp' });
    const b = await proxyServer(scheduler, a.url, 'edgeB', { transport: 'tcp' });
    try {
      const out = join(dir, 'chain.mkv');
      const run = ffmpegCopy(b.url, 'udp', out, [], 40_000, ['-frames:v', String(FRAMES)]);
      await waitFor(() => (b.proxy.tracks[0]?.readers ?? []).some((r) => r.state !== 'idle') && a.proxy.state === 'live', 20_000, 'the player playing through both proxies');
      origin.open();
      const r = await run;
      // (ffmpeg ends its 50th frame only when a later packet comes: after the origin's BYE at the end of
      // the file, the first proxy sets the origin up again and the stream goes on.)
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await probe(out)).frames, FRAMES);
      assert.equal(await decodedFrames(out), FRAMES);
      assert.equal(b.proxy.stats.packetsLost, 0);
    } finally {
      await b.close();
      await a.close();
      await origin.close();
      scheduler.close();
    }
  });
});

test('50 readers of one proxied stream: exactly one back-end session; each reader gets the stream', async () => {
  await withTempDir(async (dir) => {
    const scheduler = new BasicTaskScheduler();
    const origin = await gatedOrigin(scheduler, threeTimes(dir));
    const px = await proxyServer(scheduler, origin.url, 'proxyStream', { transport: 'udp' });
    const clients: RTSPClient[] = [];
    try {
      const counts: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const c = new RTSPClient(px.url, { scheduler, transport: i % 2 === 0 ? 'udp' : 'tcp' });
          clients.push(c);
          const session = await c.describe();
          const sub = session.subsessions[0]!;
          await c.setup(sub);
          counts[i] = 0;
          sub.on('frame', () => counts[i]!++);
          await c.play();
        }),
      );
      assert.equal(px.proxy.stats.readers, 50);
      origin.open();
      await waitFor(() => counts.length === 50 && counts.every((n) => n >= 25), 20_000, 'every reader to get 25 frames');
      assert.equal(origin.setups, 1, 'one back-end SETUP for 50 readers');
      assert.equal(px.proxy.stats.reconnects, 0);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await px.close();
      await origin.close();
      scheduler.close();
    }
  });
});

test(`GStreamer's rtspsrc plays a proxied stream of our server over UDP and TCP: all ${FRAMES} frames, decodable`, async () => {
  await withTempDir(async (dir) => {
    const scheduler = new BasicTaskScheduler();
    const origin = await gatedOrigin(scheduler, threeTimes(dir));
    const px = await proxyServer(scheduler, origin.url, 'proxyStream');
    try {
      const play = async (transport: 'udp' | 'tcp') => {
        const out = join(dir, `gst-${transport}.264`);
        // identity eos-after=N lets N − 1 access units through, then ends the pipeline.
        const r = await runPeer(
          findPeer('gst-launch-1.0'),
          ['-e', 'rtspsrc', `location=${px.url}`, `protocols=${transport}`, '!', 'rtph264depay', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'identity', `eos-after=${FRAMES + 1}`, '!', 'filesink', `location=${out}`],
          40_000,
        );
        // Exit 0, or rtspsrc's own shutdown race after its EOS.
        assertGstStoppedByItself(r, `gst-launch over ${transport}`, 40_000);
        return { packets: (await probe(out)).frames, decoded: await decodedFrames(out) };
      };
      const runs = Promise.all([play('udp'), play('tcp')]);
      await waitFor(() => (px.proxy.tracks[0]?.readers ?? []).filter((r) => r.state !== 'idle').length === 2, 20_000, 'two playing readers');
      origin.open();
      const [udp, tcp] = await runs;
      assert.deepEqual(udp, { packets: FRAMES, decoded: FRAMES }, 'UDP');
      assert.deepEqual(tcp, { packets: FRAMES, decoded: FRAMES }, 'TCP');
      assert.equal(origin.setups, 1);
    } finally {
      await px.close();
      await origin.close();
      scheduler.close();
    }
  });
});
