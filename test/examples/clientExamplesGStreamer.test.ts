// The client examples against a server that is not ours: GStreamer's RTSP server (gst-rtsp-server)
// serving live H.264 + AAC. examples/recordStream records both tracks to files ffprobe reads, and
// examples/printFrames prints both tracks' frames until Ctrl-C, then its statistics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';

const example = (name: string): string => join(repoRoot, 'build', 'examples', `${name}.js`);
const VIDEO = 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1';
const AUDIO = 'audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=44100,channels=2 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97';

let gst: GstRtspServer | undefined;
before(async () => {
  gst = await startGstRtspServer({ mounts: { '/av': `( ${VIDEO} ${AUDIO} )` } });
});
after(async () => {
  await gst?.stop();
});

test("examples/recordStream records GStreamer's live H.264 and AAC for 3 s: files ffprobe reads", async () => {
  await withTempDir(async (dir) => {
    const r = await runPeer(process.execPath, [example('recordStream'), gst!.url('av'), '3', dir], 30_000);
    assert.equal(r.code, 0, `${r.stderr}\n${gst!.stderr()}`);
    const video = /(\S*video-H264-1\.264): (\d+) bytes, (\d+) frames/.exec(r.stdout);
    const audio = /(\S*audio-MPEG4-GENERIC-2\.aac): (\d+) bytes, (\d+) frames/.exec(r.stdout);
    assert.ok(video && audio, r.stdout);
    const v = await probe(video[1]!);
    assert.deepEqual([v.codec, v.width, v.height], ['h264', 320, 240]);
    assert.ok(v.frames >= 40, `${v.frames} pictures in 3 s at 25 fps`);
    const a = await probe(audio[1]!);
    assert.deepEqual([a.codec, a.sampleRate, a.channels], ['aac', 44100, 2]);
    assert.ok(a.frames >= 80, `${a.frames} AAC frames in 3 s`);
  });
});

test("examples/printFrames prints GStreamer's live frames until SIGINT, then each track's statistics", async () => {
  let interrupted = false;
  const r = await runPeer(process.execPath, [example('printFrames'), gst!.url('av'), 'tcp'], 30_000, (out, child) => {
    const video = out.split('\n').filter((l) => l.startsWith('video/H264\t')).length;
    if (!interrupted && video >= 50) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  assert.ok(interrupted, `50 video frames printed:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^video\/H264\t\d+ bytes\tpt [\d.]+ s\trtp \d+\t.*key/m);
  assert.match(r.stdout, /^audio\/MPEG4-GENERIC\t\d+ bytes\tpt [\d.]+ s\trtp \d+/m);
  assert.match(r.stdout, /^video\/H264: \d+ packets, \d+ lost, jitter [\d.]+ ms$/m);
  assert.match(r.stdout, /^audio\/MPEG4-GENERIC: \d+ packets, \d+ lost, jitter [\d.]+ ms$/m);
});
