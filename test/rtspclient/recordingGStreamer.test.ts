// dorsvr-client recording from a server that is not ours: GStreamer's gst-rtsp-server (through
// python3-gi) serving the fixtures through its own parsers and payloaders, and a live x264 encode.
// The files we write are compared with the sources and read by ffprobe.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../helpers/paths.js';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { probe } from '../rtspserver/helpers/ffmpeg.js';
import { tempDir, withTempDir } from '../helpers/tempDir.js';
import { checkRecording, qos, startCLI } from './clientCLI.js';

/** Mount → [gst-launch bin, fixture it plays (or undefined for a live encode), file we write]. */
const MOUNTS: Record<string, [launch: string, source: string | undefined, recorded: string]> = {
  h264: [`filesrc location=${fixture('test.264')} ! h264parse ! rtph264pay name=pay0 pt=96`, 'test.264', 'video-H264-1.264'],
  h265: [`filesrc location=${fixture('test.265')} ! h265parse ! rtph265pay name=pay0 pt=96`, 'test.265', 'video-H265-1.265'],
  aac: [`filesrc location=${fixture('test.aac')} ! aacparse ! rtpmp4gpay name=pay0 pt=97`, 'test.aac', 'audio-MPEG4-GENERIC-1.aac'],
  mp3: [`filesrc location=${fixture('test.mp3')} ! mpegaudioparse ! rtpmpapay name=pay0`, 'test.mp3', 'audio-MPA-1.mp3'],
  wav: [`filesrc location=${fixture('test.wav')} ! wavparse ! audioconvert ! rtpL16pay name=pay0`, 'test.wav', 'audio-L16-1.wav'],
  ts: [`filesrc location=${fixture('test.ts')} ! tsparse set-timestamps=true ! rtpmp2tpay name=pay0`, 'test.ts', 'video-MP2T-1.ts'],
  x264: [
    'videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc bframes=0 key-int-max=25 ! rtph264pay name=pay0 pt=96',
    undefined,
    'video-H264-1.264',
  ],
  live: ['audiotestsrc is-live=true ! audio/x-raw,rate=8000,channels=1 ! audioconvert ! rtpL16pay name=pay0', undefined, 'audio-L16-1.wav'],
  vp8: ['videotestsrc num-buffers=10 ! vp8enc ! rtpvp8pay name=pay0 pt=96', undefined, ''],
};

let gst: GstRtspServer;

before(async () => {
  const mounts = Object.fromEntries(Object.entries(MOUNTS).map(([m, [launch]]) => [`/${m}`, launch]));
  gst = await startGstRtspServer({ mounts });
});

after(async () => {
  await gst?.stop();
});

describe('dorsvr-client records from GStreamer RTSP server', { concurrency: 4 }, () => {
  for (const transport of ['udp', 'tcp'] as const) {
    for (const mount of ['h264', 'h265', 'aac', 'mp3', 'wav', 'ts']) {
      const [, source, recorded] = MOUNTS[mount]!;
      it(`${source} through GStreamer's payloader over ${transport}: the file equals the source, ffprobe agrees`, async () => {
        await withTempDir(async (dir) => {
          const r = await startCLI([gst.url(mount), '-o', dir, ...(transport === 'tcp' ? ['-t'] : [])], 60_000);
          assert.equal(r.code, 0, `${r.stderr}\n--- gst:\n${gst.stderr().slice(-2000)}`);
          assert.deepEqual(readdirSync(dir), [recorded]);
          assert.match(r.stderr, /RTCP BYE/, 'ended by the server');
          const q = qos(r.stdout, recorded);
          assert.equal(q.packets_lost, 0);
          assert.equal(q.damaged_frames, 0);
          const path = join(dir, recorded);
          if (mount === 'mp3') {
            // mpegaudioparse passes the Xing frame on as audio: the stream is the file without its ID3v2 tag.
            const file = readFileSync(fixture('test.mp3'));
            const id3 = 10 + (((file[6]! & 0x7f) << 21) | ((file[7]! & 0x7f) << 14) | ((file[8]! & 0x7f) << 7) | (file[9]! & 0x7f));
            assert.equal(Buffer.compare(readFileSync(path), file.subarray(id3)), 0);
            const [pw, ps] = await Promise.all([probe(path), probe(fixture('test.mp3'))]);
            assert.deepEqual([pw.codec, pw.sampleRate, pw.channels, pw.frames], [ps.codec, ps.sampleRate, ps.channels, ps.frames]);
          } else {
            await checkRecording(source!, path);
          }
        });
      });
    }
  }

  it('a live x264 encode: a decodable .264, 320x240, 50 frames', async () => {
    await withTempDir(async (dir) => {
      const r = await startCLI([gst.url('x264'), '-o', dir], 60_000);
      assert.equal(r.code, 0, r.stderr);
      const p = await probe(join(dir, 'video-H264-1.264'));
      assert.deepEqual([p.codec, p.width, p.height, p.frames], ['h264', 320, 240, 50]);
      assert.equal(qos(r.stdout, 'video-H264-1.264').packets_lost, 0);
    });
  });

  it('an endless live stream with -d 4.5: stops then, about 4.5 s of audio; a progress line every 2 s off a terminal', async () => {
    await withTempDir(async (dir) => {
      const r = await startCLI([gst.url('live'), '-d', '4.5', '-o', dir], 60_000);
      assert.equal(r.code, 0, r.stderr);
      // Every 2 s, not every second: at 2 s and 4 s (one only if the timers ran late on a loaded machine).
      const progress = r.stderr.split('\n').filter((l) => /^recording \d+ s: [\d.]+ (B|KiB), loss [\d.]+ % \(audio-L16-1\.wav [\d.]+ (B|KiB)\)$/.test(l));
      assert.ok(progress.length === 1 || progress.length === 2, r.stderr);
      assert.match(progress[0]!, /^recording 2 s/);
      assert.match(r.stderr, /stopping \(4\.5 s recorded\)/);
      const p = await probe(join(dir, 'audio-L16-1.wav'));
      assert.deepEqual([p.codec, p.sampleRate, p.channels], ['pcm_s16le', 8000, 1]);
      assert.ok(p.duration! > 4 && p.duration! < 5, `${p.duration} s`);
      assert.ok(qos(r.stdout, 'audio-L16-1.wav').packets_received! >= 30, 'about 8 packets a second (1024-sample buffers)');
    });
  });

  it('only a VP8 track (no depacketizer): exit 1, "no playable track", no file', async () => {
    await withTempDir(async (dir) => {
      const r = await startCLI([gst.url('vp8'), '-o', dir], 60_000);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /track 1 \(video\/VP8\): no depacketizer for this codec, skipped\n/);
      assert.match(r.stderr, /dorsvr-client: no playable track in rtsp:\/\/127\.0\.0\.1:\d+\/vp8\n$/);
      assert.deepEqual(readdirSync(dir), []);
    });
  });

  it("GStreamer's Digest authentication: -u with the right password records, a wrong one exits 1 with 401", async () => {
    const { dir, cleanup } = tempDir();
    const gstAuth = await startGstRtspServer({ mounts: { '/aac': MOUNTS.aac![0] }, digest: { username: 'bob', password: 'pw' } });
    try {
      const ok = await startCLI([gstAuth.url('aac'), '-u', 'bob', 'pw', '-o', dir], 60_000);
      assert.equal(ok.code, 0, ok.stderr);
      await checkRecording('test.aac', join(dir, 'audio-MPEG4-GENERIC-1.aac'));
      const bad = await startCLI([gstAuth.url('aac'), '-u', 'bob', 'wrong', '-o', dir, '-F', 'bad-'], 60_000);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /401 Unauthorized.*the user name or password was refused/);
    } finally {
      await gstAuth.stop();
      cleanup();
    }
  });
});
