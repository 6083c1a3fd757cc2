// Real peer that is not ours: GStreamer's RTSP server (gst-rtsp-server via python3-gi) serving
// x264-encoded video and AAC audio; our client plays it over UDP and TCP, and authenticates with
// Digest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RTSPClient, RTSPClientError, type MediaSubsession } from '@dorsvr/rtspclient';
import type { RTPFrame } from '@dorsvr/livemedia';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { within } from './helpers.js';

const VIDEO = 'videotestsrc is-live=true num-buffers=2000 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1';
const AUDIO = 'audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=44100,channels=2 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97';

let gst: GstRtspServer | undefined;
let gstAuth: GstRtspServer | undefined;

before(async () => {
  // Each assigned as soon as it runs, so `after` stops it even when the other failed to start.
  const started = await Promise.allSettled([
    startGstRtspServer({ mounts: { '/av': `( ${VIDEO} ${AUDIO} )` } }).then((s) => (gst = s)),
    startGstRtspServer({ mounts: { '/secret': `( ${VIDEO} )` }, digest: { username: 'gstuser', password: 'gst pass' } }).then((s) => (gstAuth = s)),
  ]);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
});

after(async () => {
  await Promise.all([gst?.stop(), gstAuth?.stop()]);
});

/** Reads `n` frames of a subsession (or fails after the timeout). */
async function take(sub: MediaSubsession, n: number): Promise<RTPFrame[]> {
  const out: RTPFrame[] = [];
  for await (const f of sub.frames()) {
    out.push({ ...f, data: Buffer.from(f.data) });
    if (out.length >= n) break;
  }
  return out;
}

/**
 * Presentation times never go back, except once where they switch from the receiver's clock to the
 * sender's (the first RTCP SR, as live555's hasBeenSynchronizedUsingRTCP): the two clocks differ.
 */
function assertAdvancing(frames: readonly RTPFrame[], what: string): void {
  const aus = frames.filter((f) => f.endOfAccessUnit !== false);
  assert.ok(aus.length >= 5, `${what}: ${aus.length} access units`);
  for (let i = 1; i < aus.length; i++) {
    if (aus[i]!.syncedUsingRTCP !== aus[i - 1]!.syncedUsingRTCP) continue;
    assert.ok(aus[i]!.presentationTime >= aus[i - 1]!.presentationTime, `${what}: presentation time goes back at ${i}`);
  }
  assert.ok(aus.at(-1)!.presentationTime > aus[0]!.presentationTime, `${what}: presentation times advance`);
}

for (const transport of ['udp', 'tcp'] as const) {
  test(`GStreamer's RTSP server, H.264 + AAC over ${transport.toUpperCase()}: both tracks set up and played, frames with advancing timestamps`, async () => {
    const client = new RTSPClient(gst!.url('av'), { transport });
    try {
      await client.options();
      assert.ok(client.serverMethods?.includes('GET_PARAMETER'), String(client.serverMethods));
      assert.equal(client.keepAliveMethod, 'GET_PARAMETER');
      const session = await client.describe();
      const [video, audio] = session.subsessions;
      assert.equal(video?.codecName, 'H264');
      assert.equal(audio?.codecName, 'MPEG4-GENERIC');
      assert.equal(audio?.clockRate, 44100);
      assert.equal(audio?.channels, 2);
      for (const sub of session.subsessions) await client.setup(sub);
      assert.equal(video!.transport?.mode, transport);
      if (transport === 'udp') assert.ok(video!.transport?.serverPorts !== undefined, 'GStreamer sends server_port');
      const frames = Promise.all([take(video!, 120), take(audio!, 60)]);
      const res = await client.play();
      assert.ok(res.headers.get('RTP-Info') !== undefined);
      assert.ok(video!.rtpInfo?.seq !== undefined, 'RTP-Info matched to the video track');
      const [v, a] = await within(frames, 20_000, 'GStreamer frames');
      assertAdvancing(v, 'video');
      // NAL types are H.264's: SPS (7), PPS (8) and an IDR slice (5) among them.
      const types = new Set(v.map((f) => f.data[0]! & 0x1f));
      for (const t of [7, 8, 5]) assert.ok(types.has(t), `NAL type ${t} in ${[...types].join(',')}`);
      assertAdvancing(a, 'audio');
      // AAC at 44.1 kHz: 1024 samples per AU.
      assert.equal((a[1]!.rtpTimestamp - a[0]!.rtpTimestamp) >>> 0, 1024);
      assert.equal(video!.stats.packetsLost, 0);
      assert.ok(video!.stats.packetsReceived > 0);
      await client.teardown();
      assert.equal(client.sessionId, undefined);
    } finally {
      await client.close();
    }
  });
}

test('Digest authentication against GStreamer\'s RTSP server: the right password plays, a wrong one rejects with 401', async () => {
  const client = new RTSPClient(gstAuth!.url('secret').replace('rtsp://', 'rtsp://gstuser:gst%20pass@'), { transport: 'tcp' });
  try {
    const session = await client.describe();
    assert.equal(client.authScheme, 'Digest');
    const sub = session.subsessions[0]!;
    await client.setup(sub);
    const frames = take(sub, 30);
    await client.play();
    assertAdvancing(await within(frames, 20_000, 'frames from the authenticated stream'), 'video');
  } finally {
    await client.close();
  }
  const bad = new RTSPClient(gstAuth!.url('secret'), { username: 'gstuser', password: 'nope' });
  try {
    await assert.rejects(bad.describe(), (e: unknown) => e instanceof RTSPClientError && e.status === 401);
  } finally {
    await bad.close();
  }
});
