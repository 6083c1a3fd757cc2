// The server's statistics as real peers make them: ffmpeg publishes a live H.264 stream (through a
// relay that drops a known set of its RTP packets), ffmpeg plays it over UDP, and the 'stats'
// events and server.stats() must show the packets both sent, bit rates that are rates over the
// interval (not totals), the publisher's loss as the server counts it, and the loss, jitter and
// round-trip time from the RTCP receiver reports the real player sends. And over TCP: GStreamer's
// receiver reports on the interleaved RTCP channel reach a file stream's statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer, type ReaderSessionStats } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { runPeer } from '../helpers/ffmpeg.js';
import { startPublishServer } from '../helpers/publish.js';
import { DroppingRTSPProxy } from '../helpers/DroppingRTSPProxy.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';
import type { RTSPServerStats, SessionStats, PublishedStreamStats } from '@dorsvr/rtspserver';

/**
 * A live, noisy (hard to compress) test picture at about 3 Mbit/s: ffmpeg sends an RTCP receiver
 * report per ~280 kB it receives, so this rate gets one about every second.
 */
const SOURCE = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=25,noise=alls=80:allf=t+u', '-t', '9'];
const ENCODE = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-b:v', '3M', '-maxrate', '3M', '-bufsize', '1M', '-pix_fmt', 'yuv420p'];

test('stats: ffmpeg publishing (with known loss) and ffmpeg playing over UDP show in the stats events, with RR loss, jitter and RTT', async () => {
  const { server, base, close } = await startPublishServer({ statsIntervalMs: 500 }, 1);
  // Drop every 40th RTP packet of the publisher's video from the 300th on: the server must count
  // them lost, and the player (which sees the gaps, as the relay keeps sequence numbers) report them.
  const proxy = new DroppingRTSPProxy(server.port, (i) => i >= 300 && i % 40 === 0);
  const proxyPort = await proxy.listen();
  const events: RTSPServerStats[] = [];
  const droppedAt: number[] = [];
  server.on('stats', (s) => {
    events.push(s);
    droppedAt.push(proxy.dropped);
  });
  const closed: SessionStats[] = [];
  server.on('sessionClosed', (_s, _r, st) => closed.push(st));
  let unpublished: PublishedStreamStats | undefined;
  server.on('unpublish', (_p, _r, st) => (unpublished = st));
  try {
    const ffmpeg = findPeer('ffmpeg');
    const publisher = runPeer(
      ffmpeg,
      ['-hide_banner', '-loglevel', 'error', '-nostdin', ...SOURCE, ...ENCODE, '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${proxyPort}/live`],
      40_000,
    );
    // The reader waits for the publisher (waitForPublisherSeconds), then plays until it ends.
    const reader = runPeer(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'udp', '-i', `${base}/live`, '-c', 'copy', '-f', 'null', '-'], 40_000);
    const [pub, rd] = await Promise.all([publisher, reader]);
    assert.equal(pub.code, 0, `publisher: ${pub.stderr}`);
    assert.ok(rd.code === 0, `reader: exit ${rd.code} ${rd.stderr}`);
    await new Promise((r) => setTimeout(r, 1200)); // the relay's BYE delay, then the readers' sessions close

    const live = events.filter((e) => e.readers === 1 && e.publishers === 1);
    assert.ok(live.length >= 8, `only ${live.length} stats events saw the reader and the publisher (of ${events.length})`);
    const last = live.at(-1)!;
    if (process.env.DORSVR_TEST_VERBOSE) console.log(JSON.stringify(last, null, 1));
    const lastIndex = events.indexOf(last);

    // The publisher: its packets, its bit rate, and the loss the server counts on them.
    const p = last.publishedStreams[0]!;
    assert.equal(p.path, 'live');
    assert.ok(p.recording);
    const pt = p.tracks[0]!;
    assert.equal(pt.media, 'video');
    assert.equal(pt.codec, 'H264');
    assert.equal(pt.transport, 'tcp');
    assert.equal(pt.readers, 1);
    assert.ok(pt.packets > 1000, `publisher track: ${pt.packets} packets`);
    const dropped = droppedAt[lastIndex]!;
    assert.ok(dropped >= 20, `the proxy dropped only ${dropped} packets`);
    assert.ok(pt.packetsLost !== undefined && Math.abs(pt.packetsLost - dropped) <= 2, `publisher: ${pt.packetsLost} lost counted, ${dropped} dropped`);
    assert.ok(pt.jitterSeconds !== undefined && pt.jitterSeconds >= 0 && pt.jitterSeconds < 1, `publisher jitter ${pt.jitterSeconds}`);
    assert.ok(pt.bitsPerSecond > 500_000 && pt.bitsPerSecond < 20_000_000, `publisher: ${pt.bitsPerSecond} bit/s`);

    // The reader: packets sent, and what the player's receiver reports say.
    const r = last.readerSessions[0]!;
    assert.equal(r.streamName, 'live');
    assert.equal(r.transport, 'udp');
    assert.ok(r.playing);
    const rt = r.tracks[0]!;
    // (The relay may send a reader the parameter sets first: a packet or two the publisher did not.)
    assert.ok(rt.packets > 1000 && rt.packets <= pt.packets + 4, `reader: ${rt.packets} packets sent, publisher ${pt.packets}`);
    assert.ok(rt.receiverReports >= 3, `only ${rt.receiverReports} receiver reports from ffmpeg`);
    assert.ok(rt.packetsLost !== undefined && rt.packetsLost > 0 && rt.packetsLost <= dropped, `reader reports ${rt.packetsLost} lost, ${dropped} dropped`);
    assert.ok(rt.packetsLost >= dropped / 2, `reader reports ${rt.packetsLost} lost of ${dropped} dropped`);
    assert.ok(live.some((e) => (e.readerSessions[0]?.tracks[0]?.fractionLost ?? 0) > 0), 'no receiver report had a fraction lost');
    assert.ok(rt.jitterSeconds !== undefined && rt.jitterSeconds >= 0 && rt.jitterSeconds < 1, `reader jitter ${rt.jitterSeconds}`);
    assert.ok(rt.rttSeconds !== undefined && rt.rttSeconds >= 0 && rt.rttSeconds < 1, `reader RTT ${rt.rttSeconds}`);

    // Rates are over the interval between two events, not totals (from the session's second event
    // on: its first window runs from its SETUP, which may end only at the second).
    let compared = 0;
    for (let i = 2; i < live.length; i++) {
      const a = live[i - 1]!;
      const b = live[i]!;
      if (events.indexOf(b) !== events.indexOf(a) + 1) continue;
      const ta = a.readerSessions[0]?.tracks[0];
      const tb = b.readerSessions[0]?.tracks[0];
      if (!ta || !tb || a.readerSessions[0]!.id !== b.readerSessions[0]!.id || live[i - 2]!.readerSessions[0]?.id !== a.readerSessions[0]!.id) continue;
      const seconds = (b.timeMs - a.timeMs) / 1000;
      const expected = ((tb.bytes - ta.bytes) * 8) / seconds;
      assert.ok(Math.abs(tb.bitsPerSecond - expected) <= expected * 0.05 + 1000, `event ${i}: ${tb.bitsPerSecond} bit/s, the bytes say ${expected}`);
      assert.ok(Math.abs(b.sentBitsPerSecond - tb.bitsPerSecond) <= tb.bitsPerSecond * 0.05 + 1000, `server-wide ${b.sentBitsPerSecond} vs the one reader's ${tb.bitsPerSecond}`);
      compared++;
    }
    assert.ok(compared >= 5, `only ${compared} consecutive pairs compared`);

    // After both ended: nothing alive, and the totals hold what the ended sessions carried.
    const after = server.stats();
    assert.equal(after.readers, 0);
    assert.equal(after.publishers, 0);
    assert.ok(unpublished, 'no unpublish event');
    assert.equal(after.totals.packetsReceived, unpublished.rtpPackets);
    assert.equal(after.totals.bytesReceived, unpublished.rtpBytes);
    assert.equal(after.totals.packetsSent, closed.reduce((n, s) => n + s.packets, 0));
    assert.ok(after.totals.packetsSent >= rt.packets);
    assert.equal(after.totals.readerSessions, 1);
    assert.equal(after.totals.publisherSessions, 1);
  } finally {
    await proxy.close();
    await close();
  }
});

test('stats: GStreamer playing a file over TCP (interleaved RTCP) shows its packets and its receiver reports; ffmpeg over TCP sends none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-stats-'));
  try {
    const file = join(dir, 'noise.264');
    const gen = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25,noise=alls=40:allf=t', '-t', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '1M', '-pix_fmt', 'yuv420p', '-f', 'h264', file]);
    assert.equal(gen.code, 0, gen.stderr);
    const scheduler = new BasicTaskScheduler();
    const server = new DynamicRTSPServer({ scheduler, root: dir, port: 0, host: '127.0.0.1', statsIntervalMs: 500 });
    await server.listen();
    const seen = new Map<string, ReaderSessionStats>();
    server.on('stats', (s) => {
      for (const r of s.readerSessions) seen.set(r.id, r);
    });
    const sent = new Map<string, number>();
    server.on('sessionClosed', (s, _r, st) => sent.set(s.id, st.packets));
    try {
      const url = `rtsp://127.0.0.1:${server.port}/noise.264`;
      const [gst, ff] = await Promise.all([
        runPeer(findPeer('gst-launch-1.0'), ['rtspsrc', `location=${url}`, 'protocols=tcp', '!', 'rtph264depay', '!', 'fakesink'], 30_000),
        runPeer(findPeer('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'null', '-'], 30_000),
      ]);
      assertGstStoppedByItself(gst, 'rtspsrc', 30_000);
      assert.equal(ff.code, 0, ff.stderr);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.size, 2, 'two reader sessions seen');
      let withReports = 0;
      for (const [id, r] of seen) {
        assert.equal(r.transport, 'tcp');
        const t = r.tracks[0]!;
        assert.ok(t.packets > 200 && t.packets <= (sent.get(id) ?? 0), `${id}: ${t.packets} packets in the last event, ${sent.get(id)} at close`);
        if (t.receiverReports > 0) {
          withReports++;
          assert.ok(t.jitterSeconds !== undefined && t.jitterSeconds < 1, `jitter ${t.jitterSeconds}`);
          assert.ok(t.packetsLost !== undefined && Math.abs(t.packetsLost) <= 2, `lost ${t.packetsLost} on loopback TCP`);
          assert.equal(t.fractionLost, 0);
        } else {
          assert.equal(t.packetsLost, undefined, 'no loss figure without a receiver report');
        }
      }
      // GStreamer sends receiver reports on the interleaved RTCP channel; ffmpeg 5.1 sends them over UDP only.
      assert.equal(withReports, 1, 'the GStreamer reader (only) sent receiver reports');
    } finally {
      await server.close();
      scheduler.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
