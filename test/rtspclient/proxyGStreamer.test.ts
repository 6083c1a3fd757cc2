// The proxy in front of GStreamer's RTSP server (gst-rtsp-server via python3-gi): x264 video with
// AAC audio relayed as packets (any codec passes: the back-end's rtpmap/fmtp reach the players);
// ffmpeg plays the proxied stream over UDP and TCP, GStreamer's rtspsrc over UDP and TCP, with
// frame counts checked; Digest credentials from the URL and from the options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPClient } from '@dorsvr/rtspclient';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { findPeer } from '../helpers/peers.js';
import { withTempDir } from '../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { decodedFrames, proxyServer } from './proxyHelpers.js';
import { assertGstStoppedByItself } from '../rtspserver/helpers/gstreamer.js';

const VIDEO = 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1';
const AUDIO = 'audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=44100,channels=2 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97';
const FRAMES = 50;

let gst: GstRtspServer | undefined;
let gstAuth: GstRtspServer | undefined;

before(async () => {
  const started = await Promise.allSettled([
    startGstRtspServer({ mounts: { '/av': `( ${VIDEO} ${AUDIO} )` } }).then((s) => (gst = s)),
    startGstRtspServer({ mounts: { '/secret': `( ${VIDEO} )` }, digest: { username: 'gstuser', password: 'gst pass' } }).then((s) => (gstAuth = s)),
  ]);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
});

after(async () => {
  await Promise.all([gst?.stop(), gstAuth?.stop()]);
});

test(`ffmpeg plays GStreamer's H.264 + AAC through the proxy over UDP and TCP: ${FRAMES} video frames from a key frame, all decodable, audio present; the SDP keeps the back-end's rtpmap/fmtp`, async () => {
  await withTempDir(async (dir) => {
    const scheduler = new BasicTaskScheduler();
    const px = await proxyServer(scheduler, gst!.url('av'), 'proxyStream', { transport: 'auto' });
    try {
      const probeClient = new RTSPClient(px.url, { scheduler });
      const session = await probeClient.describe();
      await probeClient.close();
      assert.deepEqual(session.subsessions.map((s) => s.codecName), ['H264', 'MPEG4-GENERIC']);
      assert.match(session.sdpText, /a=fmtp:96 .*sprop-parameter-sets=/);
      assert.match(session.sdpText, /a=fmtp:97 .*config=/i);
      const play = async (transport: 'udp' | 'tcp') => {
        const out = join(dir, `${transport}.mkv`);
        const r = await ffmpegCopy(px.url, transport, out, [], 40_000, ['-frames:v', String(FRAMES)]);
        assert.equal(r.code, 0, `${transport}: ${r.stderr}`);
        return out;
      };
      const [udpOut, tcpOut] = await Promise.all([play('udp'), play('tcp')]);
      // Read as the players are done: the back-end is closed (and its bit rate zeroed) once the
      // proxy's grace (10 s) has passed with no reader, which probing and decoding the two files
      // below can outlast on a loaded machine.
      const { reconnects, bitrateKbps } = px.proxy.stats;
      const analyse = async (out: string) => {
        const audio = await probe(out, 'a:0');
        return { frames: (await probe(out, 'v:0')).frames, decoded: await decodedFrames(out), audio: audio.codec };
      };
      const [udp, tcp] = await Promise.all([analyse(udpOut), analyse(tcpOut)]);
      for (const [name, r] of [['udp', udp], ['tcp', tcp]] as const) {
        assert.equal(r.frames, FRAMES, `${name}: ${r.frames} frames`);
        assert.equal(r.decoded, FRAMES, `${name}: every frame decodes (the player started at a key frame)`);
        assert.equal(r.audio, 'aac');
      }
      assert.equal(reconnects, 0);
      assert.ok(bitrateKbps > 0, 'a back-end bit rate is measured');
    } finally {
      await px.close();
      scheduler.close();
    }
  });
});

for (const transport of ['udp', 'tcp'] as const) {
  test(`GStreamer's rtspsrc plays a proxied GStreamer stream over ${transport.toUpperCase()} (the same ${FRAMES - 1} frames as directly, decodable); Digest credentials ${transport === 'udp' ? 'from the URL' : 'from the options'}`, async () => {
    await withTempDir(async (dir) => {
      const scheduler = new BasicTaskScheduler();
      const backend = transport === 'udp' ? gstAuth!.url('secret').replace('rtsp://', 'rtsp://gstuser:gst%20pass@') : gstAuth!.url('secret');
      const options = transport === 'udp' ? { transport: 'udp' as const } : { transport: 'tcp' as const, username: 'gstuser', password: 'gst pass' };
      const px = await proxyServer(scheduler, backend, 'proxyStream', options);
      try {
        // The same pipeline on the proxy and, for reference, on GStreamer's server itself: identity
        // eos-after=N lets N − 1 access units through before its EOS.
        const play = async (url: string, name: string) => {
          const out = join(dir, `${name}.264`);
          const r = await runPeer(
            findPeer('gst-launch-1.0'),
            ['-e', 'rtspsrc', `location=${url}`, `protocols=${transport}`, 'user-id=gstuser', 'user-pw=gst pass', '!', 'rtph264depay', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'identity', `eos-after=${FRAMES}`, '!', 'filesink', `location=${out}`],
            40_000,
          );
          // Exit 0, or rtspsrc's own shutdown race after its EOS (seen playing GStreamer's server directly too).
          assertGstStoppedByItself(r, `gst-launch on ${name}`, 40_000);
          return { packets: (await probe(out)).frames, decoded: await decodedFrames(out) };
        };
        const direct = await play(gstAuth!.url('secret'), 'direct');
        assert.deepEqual(direct, { packets: FRAMES - 1, decoded: FRAMES - 1 });
        const proxied = await play(px.url, 'proxied');
        assert.deepEqual(proxied, direct, 'through the proxy: as many frames as directly, every one decodable');
        assert.equal(px.proxy.client?.authScheme, 'Digest');
      } finally {
        await px.close();
        scheduler.close();
      }
    });
  });
}
