// Real publishers into our server while real readers play the same path at the same time:
// ffmpeg publishes each fixture (-re … -f rtsp) over TCP and over UDP; ffprobe (packet list over
// RTSP), ffmpeg (stream copy to a file) and GStreamer's rtspsrc read it. Every reader that was
// there from the start must get every frame, in order, the first a key frame; a reader that joins
// late starts at a key frame and then gets every frame. GStreamer's rtspclientsink publishes too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture } from '../../helpers/paths.js';
import { findPeer } from '../../helpers/peers.js';
import { tempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy, runPeer, type PeerResult } from '../helpers/ffmpeg.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';
import {
  assertWholeInOrder,
  ffmpegPublish,
  gstRead,
  ofStream,
  probePackets,
  assertSameFrames,
  publishedReference,
  startPublishServer,
} from '../helpers/publish.js';

const tmp = tempDir();
after(() => tmp.cleanup());

interface Track {
  video: boolean;
  /** What GStreamer puts after rtspsrc to write this track to a file (the first track's is read). */
  gstChain?: string[];
  /** What GStreamer puts after rtspsrc to drop this (other) track. */
  gstDrop?: string[];
}

interface Case {
  name: string;
  file: string;
  /** ffmpeg's output options (video copied; AAC re-encoded: ffmpeg 5.1 cannot publish ADTS as is). */
  codec: string[];
  tracks: Track[];
}

const CASES: Case[] = [
  { name: 'H.264', file: 'test.264', codec: ['-c', 'copy'], tracks: [{ video: true, gstChain: ['rtph264depay', 'h264parse', 'mp4mux'] }] },
  { name: 'H.265', file: 'test.265', codec: ['-c', 'copy'], tracks: [{ video: true, gstChain: ['rtph265depay', 'h265parse', 'mp4mux'] }] },
  // ffmpeg puts several AAC frames in one RTP packet; rtpmp4gdepay times only the first, which
  // mp4mux refuses ("Buffer has no PTS"): GStreamer writes ADTS, which needs no timestamps.
  { name: 'AAC', file: 'test.aac', codec: ['-c:a', 'aac'], tracks: [{ video: false, gstChain: ['rtpmp4gdepay', 'aacparse', 'audio/mpeg,stream-format=adts'] }] },
  { name: 'MPEG-TS as two tracks (H.264 + AAC)', file: 'test.ts', codec: ['-map', '0', '-c:v', 'copy', '-c:a', 'aac'], tracks: [{ video: true, gstChain: ['rtph264depay', 'h264parse', 'mp4mux'] }, { video: false, gstDrop: ['rtpmp4gdepay'] }] },
];

for (const c of CASES) {
  for (const transport of ['tcp', 'udp'] as const) {
    const other = transport === 'tcp' ? 'udp' : 'tcp';
    test(`ffmpeg publishes ${c.name} over ${transport.toUpperCase()} while ffprobe (${transport}), ffmpeg (${other})${c.tracks[0]!.gstChain ? ` and GStreamer (${transport})` : ''} read it: every frame, in order`, async () => {
      const sent = await publishedReference(fixture(c.file), c.codec, join(tmp.dir, `${c.file}.${transport}.reference.mkv`));
      assert.equal(sent.copied.length, c.tracks.length, 'the reference has every track');
      const gst = c.tracks[0]!.gstChain;
      // GStreamer writes the first track; the others' pads are linked to a depayloader and dropped.
      const gstDrops = c.tracks.slice(1).map((t) => t.gstDrop ?? []);
      const srv = await startPublishServer({}, gst ? 3 : 2);
      try {
        const url = `${srv.base}/live/${c.file.replace('.', '-')}-${transport}`;
        const copy = join(tmp.dir, `${c.file}.${transport}.copy.mkv`);
        const gstOut = join(tmp.dir, `${c.file}.${transport}.gst.${c.tracks[0]!.video ? 'mp4' : 'aac'}`);
        // Readers first: their DESCRIBE waits for the publisher (waitForPublisherSeconds).
        const readers = Promise.all([
          probePackets(url, ['-rtsp_transport', transport]),
          ffmpegCopy(url, other, copy, [], 30_000, ['-map', '0']),
          gst ? gstRead(url, transport, gst, gstOut, 20_000, gstDrops) : undefined,
        ]);
        await new Promise((r) => setTimeout(r, 300));
        const pub = await ffmpegPublish(fixture(c.file), url, transport, c.codec);
        assert.equal(pub.code, 0, `publisher: ${pub.stderr}`);
        const [probed, copied, gstRun] = await readers;
        assert.equal(probed.result.code, 0, `ffprobe: ${probed.result.stderr}`);
        assert.equal(copied.code, 0, `ffmpeg reader: ${copied.stderr}`);
        const copiedPackets = (await probePackets(copy)).packets;
        for (const [i, t] of c.tracks.entries()) {
          assertSameFrames(ofStream(probed.packets, i), sent.probed[i]!, `ffprobe over ${transport}, track ${i}`, t.video);
          assertSameFrames(ofStream(copiedPackets, i), sent.copied[i]!, `ffmpeg over ${other}, track ${i}`, t.video);
        }
        if (gst && gstRun) {
          // GStreamer's parser rewrites frames (sizes differ): whole count, key frame first, times in order.
          assertGstStoppedByItself(gstRun, `GStreamer over ${transport}`, 20_000);
          assertWholeInOrder((await probePackets(gstOut)).packets, sent.copied[0]!.length, `GStreamer over ${transport}`, c.tracks[0]!.video);
        }
        // The publisher left: the path is free and nothing of it is held.
        assert.equal(srv.server.publishing!.streams.size, 0);
        assert.equal(srv.server.clientSessions.size, 0, 'every session ended');
      } finally {
        await srv.close();
      }
    });
  }
}

test('a reader joining late starts at a key frame and then gets every frame (ffmpeg publishes H.264 over TCP, 6 s; ffprobe joins after 1.2 s)', async () => {
  const looped = ['-map', '0:v', '-c', 'copy'];
  const ref = (await publishedReference(fixture('test.ts'), looped, join(tmp.dir, 'late.reference.mkv'), ['-stream_loop', '2'])).probed[0];
  assert.equal(ref?.length, 150);
  const srv = await startPublishServer({}, 1);
  try {
    const url = `${srv.base}/late`;
    const early = probePackets(url, ['-rtsp_transport', 'udp']);
    await new Promise((r) => setTimeout(r, 300));
    // The TS's video three times (a raw .264 cannot loop: ffmpeg cannot seek it): 150 frames, a key frame every 25.
    const pub = ffmpegPublish(fixture('test.ts'), url, 'tcp', looped, ['-stream_loop', '2']);
    await new Promise<void>((resolve) => srv.server.once('publish', () => resolve()));
    await new Promise((r) => setTimeout(r, 1200));
    const late = await probePackets(url, ['-rtsp_transport', 'tcp']);
    assert.equal((await pub).code, 0);
    const e = await early;
    assertSameFrames(e.packets, ref!, 'the reader from the start', true);
    const l = late.packets;
    assert.ok(l.length > 0 && l.length < 150, `late reader got ${l.length} frames`);
    assert.ok(l[0]!.key, 'the late reader starts at a key frame');
    // From that key frame on, nothing is missing: what it missed is a whole number of GOPs, and
    // what it got is the publisher's last frames.
    assert.equal((150 - l.length) % 25, 0, `late reader got ${l.length} frames: not whole GOPs from a key frame to the end`);
    assertSameFrames(l, ref!.slice(150 - l.length), 'the late reader', true);
  } finally {
    await srv.close();
  }
});

test("GStreamer's rtspclientsink publishes H.264 (UDP and TCP) and ffprobe reads every frame", async () => {
  for (const protocols of ['udp', 'tcp'] as const) {
    const srv = await startPublishServer({}, 1);
    try {
      const url = `${srv.base}/gst/${protocols}`;
      // The publisher's RTCP BYE on its track: rtspclientsink's rtpbin sends it after its last packet.
      const bye = new Promise<void>((resolve) =>
        srv.server.on('publish', (stream) => stream.relay.tracks[0]!.once('publisherBye', () => resolve())),
      );
      const reader = probePackets(url, ['-rtsp_transport', 'tcp']);
      await new Promise((r) => setTimeout(r, 300));
      const publishing = runPeer(
        findPeer('gst-launch-1.0'),
        ['filesrc', `location=${fixture('test.ts')}`, '!', 'tsdemux', '!', 'h264parse', '!', 'rtspclientsink', `location=${url}`, `protocols=${protocols}`],
        20_000,
      );
      // rtspclientsink's pipeline posts EOS (then tears down and exits) only when its RTCP sink
      // gets one, which GStreamer's rtpsession (1.22) forwards only if its RTP sink pad is already
      // flagged EOS when the BYE goes out; the BYE is sent by rtpsession's RTCP thread, woken from
      // inside the EOS handler before the core flags the pad. When that thread wins (1 run in 12
      // to 15 under load; GST_DEBUG=rtpsession:6 shows the BYE sent and no "sending EOS"),
      // gst-launch waits for ever. So once its BYE reached us, a publisher still there 5 s later
      // is stopped: its connection closes and the publish ends on our side.
      let stoppedAfterBye = false;
      let grace: NodeJS.Timeout | undefined;
      void bye.then(() => {
        grace = setTimeout(() => {
          stoppedAfterBye = publishing.child.exitCode === null && publishing.child.signalCode === null;
          publishing.child.kill('SIGKILL');
        }, 5000);
      });
      const pub = await publishing;
      clearTimeout(grace);
      assertRtspClientSinkDone(pub, `rtspclientsink over ${protocols}`, stoppedAfterBye);
      const r = await reader;
      assert.equal(r.result.code, 0, r.result.stderr);
      // Single track: the presentation times are the publisher's, in order.
      assertWholeInOrder(r.packets, 50, `ffprobe reading rtspclientsink's ${protocols} publish`, true);
      assert.equal(srv.server.publishing!.streams.size, 0);
    } finally {
      await srv.close();
    }
  }
});

/**
 * rtspclientsink published to its end: not killed, EOS reached, and exit 0 — or exit 1 when the
 * only errors are its own "Could not send message" while shutting down after that EOS (its
 * TEARDOWN on a connection it is already flushing, the rtspsrc race of helpers/gstreamer.ts) —
 * or, with no error, stopped by us after its BYE (`stoppedAfterBye`: GStreamer's EOS race above).
 */
function assertRtspClientSinkDone(pub: PeerResult, what: string, stoppedAfterBye: boolean): void {
  const log = `\n${pub.stdout.slice(-2000)}\n${pub.stderr.slice(-2000)}`;
  if (stoppedAfterBye) {
    assert.doesNotMatch(pub.stderr, /^ERROR: /m, `${what}: stopped after its BYE, with errors before${log}`);
    return;
  }
  assert.equal(pub.signal, null, `${what}: killed (no BYE reached us within its bound)${log}`);
  if (pub.code === 0) return;
  assert.match(pub.stdout, /Got EOS from element "pipeline0"/, `${what}: exit ${pub.code} without EOS${log}`);
  const errors = pub.stderr.split(/^(?=ERROR: )/m).filter((e) => e.startsWith('ERROR: '));
  assert.ok(
    errors.length > 0 && errors.every((e) => /rtspclientsink0: Could not write to resource/.test(e) && /Could not send message/.test(e)),
    `${what}: exit ${pub.code}${log}`,
  );
}

test('over IPv6 (::1): ffmpeg publishes H.264 over UDP (server ports bound for udp6) and ffprobe reads every frame over UDP', async () => {
  const sent = await publishedReference(fixture('test.264'), ['-c', 'copy'], join(tmp.dir, 'v6.reference.mkv'));
  const srv = await startPublishServer({ host: '::1' }, 1);
  try {
    const url = `rtsp://[::1]:${srv.server.port}/v6`;
    const reader = probePackets(url, ['-rtsp_transport', 'udp']);
    await new Promise((r) => setTimeout(r, 300));
    const pub = await ffmpegPublish(fixture('test.264'), url, 'udp');
    assert.equal(pub.code, 0, pub.stderr);
    const r = await reader;
    assert.equal(r.result.code, 0, r.result.stderr);
    assertSameFrames(r.packets, sent.probed[0]!, 'ffprobe over UDP on ::1', true);
  } finally {
    await srv.close();
  }
});
