// GStreamer as a real player against our server: rtspsrc plays every file type over UDP and over
// TCP, depayloads and parses it, and writes what it got to a file; ffprobe then compares that file
// with the source. gst-launch must stop by itself at the end of the stream (rtspsrc posts EOS when
// our RTCP BYE arrives): it is never sent a signal, only killed if it overruns its bound.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer, type RTSPClientSession } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';
import { ffmpegCopy, probe, runPeer, type PeerResult, type ProbeResult } from '../helpers/ffmpeg.js';
import { tempDir } from '../../helpers/tempDir.js';
import { assertGstStoppedByItself } from '../helpers/gstreamer.js';
import { assertEveryExtensionCovered, gatedH264Subsession, useFixtureServer } from '../helpers/fixtureServer.js';

interface Case {
  file: string;
  /** Elements after rtspsrc, up to (not including) the filesink. */
  chain: string[];
  /** Extension of the file GStreamer writes (ffprobe goes by its content, this is for humans). */
  out: string;
  /** Allowed difference in frame (packet) count, as a fraction of the source's. */
  tolerance: number;
  /** Compare durations instead of packet counts (PCM: packet sizes are ours and GStreamer's). */
  byDuration?: boolean;
  /**
   * Expected duration in seconds of the written file, for raw video elementary streams (ffprobe
   * knows no duration of the source): proves the parser's output had advancing timestamps.
   */
  seconds?: number;
  /** ffprobe stream selectors (default 0; a TS holds video and audio). */
  streams?: string[];
  /** What GStreamer writes must be the file itself, byte for byte. */
  identical?: boolean;
}

const CASES: Case[] = [
  { file: 'test.264', chain: ['rtph264depay', 'h264parse', 'mp4mux'], out: 'mp4', tolerance: 0.04, seconds: 2 },
  { file: 'test-slices-30fps.264', chain: ['rtph264depay', 'h264parse', 'mp4mux'], out: 'mp4', tolerance: 0.04, seconds: 1 },
  { file: 'test.265', chain: ['rtph265depay', 'h265parse', 'mp4mux'], out: 'mp4', tolerance: 0.04, seconds: 2 },
  { file: 'test-30fps.265', chain: ['rtph265depay', 'h265parse', 'mp4mux'], out: 'mp4', tolerance: 0.04, seconds: 1 },
  { file: 'test.aac', chain: ['rtpmp4gdepay', 'aacparse', 'mp4mux'], out: 'mp4', tolerance: 0.03 },
  { file: 'test.mp3', chain: ['rtpmpadepay', 'mpegaudioparse'], out: 'mp3', tolerance: 0.03 },
  // L16 arrives big-endian; wavenc wants little-endian, so audioconvert swaps it back: the copy is
  // then the same codec as the file.
  { file: 'test.wav', chain: ['rtpL16depay', 'audioconvert', 'wavenc'], out: 'wav', tolerance: 0, byDuration: true },
  { file: 'test-ulaw.wav', chain: ['rtppcmudepay', 'wavenc'], out: 'wav', tolerance: 0, byDuration: true },
  // The TS payload is written as it came: the received bytes are the file's.
  { file: 'test.ts', chain: ['rtpmp2tdepay'], out: 'ts', tolerance: 0.03, streams: ['v:0', 'a:0'], identical: true },
];

test('every served extension has a GStreamer case', () => assertEveryExtensionCovered(CASES.map((c) => c.file), 'GStreamer'));

const fixtures = useFixtureServer();
const tmp = tempDir();
after(() => tmp.cleanup());

/** Clips are ≤ 2.1 s and BYE follows ~1 s after; beyond this gst-launch did not stop by itself. */
const GST_BOUND_MS = 15_000;

/** Run gst-launch-1.0 -e rtspsrc … ! chain ! filesink, killed if it overruns GST_BOUND_MS. */
function gstPlay(url: string, transport: 'udp' | 'tcp', chain: readonly string[], outFile: string): Promise<PeerResult> {
  const args = ['-e', 'rtspsrc', `location=${url}`, `protocols=${transport}`];
  for (const el of chain) args.push('!', el);
  args.push('!', 'filesink', `location=${outFile}`);
  return runPeer(findPeer('gst-launch-1.0'), args, GST_BOUND_MS);
}

function assertSameMedia(got: ProbeResult, want: ProbeResult, c: Case, what: string): void {
  assert.equal(got.codec, want.codec, `${what}: codec`);
  if (want.width !== undefined) assert.equal(got.width, want.width, `${what}: width`);
  if (want.height !== undefined) assert.equal(got.height, want.height, `${what}: height`);
  if (want.sampleRate !== undefined) assert.equal(got.sampleRate, want.sampleRate, `${what}: sample rate`);
  if (want.channels !== undefined) assert.equal(got.channels, want.channels, `${what}: channels`);
  if (c.byDuration) {
    assert.ok(Math.abs((got.duration ?? 0) - (want.duration ?? 0)) <= 0.03, `${what}: ${got.duration} s received, file has ${want.duration} s`);
    return;
  }
  const slack = Math.max(1, Math.ceil(want.frames * c.tolerance));
  assert.ok(Math.abs(got.frames - want.frames) <= slack, `${what}: ${got.frames} frames received, source has ${want.frames} (±${slack})`);
  if (c.seconds !== undefined) {
    assert.ok(got.duration !== undefined && Math.abs(got.duration - c.seconds) <= 0.1, `${what}: ${got.duration} s written, clip is ${c.seconds} s (timestamps must advance)`);
  }
}

for (const c of CASES) {
  // UDP and TCP at once (two players, two sessions): at most two GStreamers run at a time.
  test(`GStreamer plays ${c.file} over UDP and over TCP to the end: codec, geometry/rate and frame count match the file`, async () => {
    const src = fixture(c.file);
    assert.ok(existsSync(src), `fixture ${c.file} is missing`);
    await Promise.all(
      (['udp', 'tcp'] as const).map(async (transport) => {
        const what = `${c.file} over ${transport}`;
        const out = join(tmp.dir, `${c.file}.${transport}.${c.out}`);
        const r = await gstPlay(`${fixtures.base}/${c.file}`, transport, c.chain, out);
        assertGstStoppedByItself(r, what, GST_BOUND_MS);
        if (c.identical) {
          const [got, want] = [readFileSync(out), readFileSync(src)];
          assert.ok(got.equals(want), `${what}: ${got.length} bytes written differ from the file's ${want.length}`);
        }
        for (const sel of c.streams ?? ['0']) {
          const [got, want] = await Promise.all([probe(out, sel), probe(src, sel)]);
          assertSameMedia(got, want, c, `${what} (stream ${sel})`);
        }
      }),
    );
  });
}

test('GStreamer over UDP and ffmpeg over TCP at once on one shared stream: both get the whole clip', async () => {
  const s2 = new BasicTaskScheduler();
  const shared = new RTSPServer({ scheduler: s2, port: 0, host: '127.0.0.1' });
  // Both watch from the first frame: the first PLAY waits for the second (see gatedH264Subsession).
  const GatedSubsession = gatedH264Subsession(2);
  const sub = new GatedSubsession(fixture('test.264'), { scheduler: s2, reuseFirstSource: true });
  shared.addServerMediaSession(new ServerMediaSession('shared').addSubsession(sub));
  const ssrcs: Array<number | undefined> = [];
  shared.on('play', (s: RTSPClientSession) => ssrcs.push([...s.streams.values()][0]?.ssrc));
  await shared.listen();
  try {
    const url = `rtsp://127.0.0.1:${shared.port}/shared`;
    const gstOut = join(tmp.dir, 'shared.gst.mp4');
    const ffOut = join(tmp.dir, 'shared.ffmpeg.mkv');
    const [g, f] = await Promise.all([
      gstPlay(url, 'udp', ['rtph264depay', 'h264parse', 'mp4mux'], gstOut),
      ffmpegCopy(url, 'tcp', ffOut),
    ]);
    assertGstStoppedByItself(g, 'GStreamer on the shared stream', GST_BOUND_MS);
    assert.equal(f.code, 0, f.stderr);
    const [pg, pf] = await Promise.all([probe(gstOut), probe(ffOut)]);
    for (const [who, p] of [['GStreamer', pg], ['ffmpeg', pf]] as const) {
      assert.equal(p.codec, 'h264', who);
      assert.equal(p.width, 320, who);
      assert.equal(p.frames, 50, `${who}: ${p.frames} frames of 50`);
    }
    // One stream packetized once: both sessions were fed by the same RTP sink.
    assert.equal(ssrcs.length, 2);
    assert.ok(ssrcs[0] !== undefined && ssrcs[0] === ssrcs[1], `SSRCs ${ssrcs.join(', ')}`);
  } finally {
    await shared.close();
    s2.close();
  }
});
