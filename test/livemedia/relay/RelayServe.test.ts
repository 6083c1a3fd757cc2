// End to end with real peers: an RTSPServer serving a RelayServerMediaSession fed from a file
// through its framer and RTP sink (the way a live source feeds the relay), played by ffmpeg over UDP
// and TCP from the start, and by a late ffmpeg that must start at a key frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import {
  FramedSource,
  H264VideoRTPSink,
  H264VideoStreamFramer,
  RelayServerMediaSession,
  type Frame,
} from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../../rtspserver/helpers/ffmpeg.js';
import { assertGstStoppedByItself, GST_RTP_TIMESTAMPS } from '../../rtspserver/helpers/gstreamer.js';

/** Hands on its input's frames once `gate` resolved (so that the first readers see the first frame). */
class GatedSource extends FramedSource {
  readonly #input: FramedSource;
  readonly #gate: Promise<void>;
  constructor(input: FramedSource, gate: Promise<void>) {
    super();
    this.#input = input;
    this.#gate = gate;
  }
  protected async readFrame(): Promise<Frame | null> {
    await this.#gate;
    return this.#input.getNextFrame();
  }
  override close(): void {
    this.#input.close();
    super.close();
  }
}

/** Frames ffprobe decodes from a recording (not only packets read): the stream was decodable from its first frame. */
async function decodedFrames(file: string): Promise<number> {
  const r = await runPeer(findPeer('ffprobe'), [
    '-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('a relayed live stream (file → framer → RTP sink → relay) plays in ffmpeg over UDP and TCP with every frame; a late reader starts at a key frame', async () => {
  await withTempDir(async (dir) => {
    // test.264 three times over: 6 s, 150 frames, an IDR every second.
    const input = join(dir, 'in.264');
    writeFileSync(input, Buffer.concat([0, 1, 2].map(() => readFileSync(fixture('test.264')))));
    const scheduler = new BasicTaskScheduler();
    const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let plays = 0;
    server.on('play', () => {
      // Both first readers play: start the stream a little later, once their streams are active.
      if (++plays === 2) setTimeout(release, 300);
    });
    const safety = setTimeout(release, 15_000);
    try {
      const framer = await H264VideoStreamFramer.open(input);
      const sms = RelayServerMediaSession.fromSources(
        'live',
        [
          {
            source: new GatedSource(framer, gate),
            createSink: (rtpInterface) =>
              new H264VideoRTPSink({ scheduler, rtpInterface, payloadType: 96, sps: framer.sps, pps: framer.pps, aggregateParameterSets: true }),
          },
        ],
        { scheduler },
      );
      server.addServerMediaSession(sms);
      await server.listen();
      const url = `rtsp://127.0.0.1:${server.port}/live`;
      const record = (name: string, transport: 'udp' | 'tcp'): Promise<{ frames: number; decoded: number; file: string }> => {
        const out = join(dir, `${name}.mkv`);
        return ffmpegCopy(url, transport, out, [], 40_000).then(async (r) => {
          assert.equal(r.code, 0, `${name}: ${r.stderr}`);
          return { frames: (await probe(out)).frames, decoded: await decodedFrames(out), file: out };
        });
      };
      const first = Promise.all([record('udp', 'udp'), record('tcp', 'tcp')]);
      await gate;
      // A third reader joins 1.5 s into the stream: it must start at the next IDR (every 25 frames).
      await new Promise((r) => setTimeout(r, 1500));
      const late = record('late', 'tcp');
      const [[udp, tcp], lateResult] = await Promise.all([first, late]);
      assert.equal(udp.frames, 150, `UDP reader: ${udp.frames} frames`);
      assert.equal(tcp.frames, 150, `TCP reader: ${tcp.frames} frames`);
      assert.equal(udp.decoded, 150);
      const n = lateResult.frames;
      assert.ok(n > 0 && n <= 125, `late reader: ${n} frames`);
      assert.equal(n % 25, 0, `the late reader starts at an IDR: ${n} frames is not a whole number of GOPs`);
      assert.equal(lateResult.decoded, n, 'every frame the late reader got decodes (parameter sets came first)');
      assert.equal(sms.ended, true, 'the session ended with its source');
    } finally {
      clearTimeout(safety);
      release();
      await server.close();
      scheduler.close();
    }
  });
});

test('GStreamer (rtspsrc) plays a relayed H.264 stream over UDP and TCP to the end: every frame, stopped by the relay\'s BYE', async () => {
  await withTempDir(async (dir) => {
    const scheduler = new BasicTaskScheduler();
    const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let plays = 0;
    server.on('play', () => {
      if (++plays === 2) setTimeout(release, 300);
    });
    const safety = setTimeout(release, 15_000);
    try {
      const framer = await H264VideoStreamFramer.open(fixture('test.264'));
      const sms = RelayServerMediaSession.fromSources(
        'live',
        [
          {
            source: new GatedSource(framer, gate),
            createSink: (rtpInterface) => new H264VideoRTPSink({ scheduler, rtpInterface, payloadType: 96, sps: framer.sps, pps: framer.pps }),
          },
        ],
        { scheduler },
      );
      server.addServerMediaSession(sms);
      await server.listen();
      const url = `rtsp://127.0.0.1:${server.port}/live`;
      const bound = 20_000;
      await Promise.all(
        (['udp', 'tcp'] as const).map(async (transport) => {
          const out = join(dir, `gst-${transport}.mp4`);
          const r = await runPeer(
            findPeer('gst-launch-1.0'),
            ['-e', 'rtspsrc', `location=${url}`, `protocols=${transport}`, ...GST_RTP_TIMESTAMPS, '!', 'rtph264depay', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${out}`],
            bound,
          );
          assertGstStoppedByItself(r, `GStreamer over ${transport}`, bound);
          const p = await probe(out);
          assert.equal(p.codec, 'h264');
          assert.equal(p.width, 320);
          assert.equal(p.frames, 50, `GStreamer over ${transport}: ${p.frames} frames of 50`);
        }),
      );
    } finally {
      clearTimeout(safety);
      release();
      await server.close();
      scheduler.close();
    }
  });
});
