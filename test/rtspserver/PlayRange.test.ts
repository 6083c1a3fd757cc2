// PLAY with `Range: npt=a-b`: the stream starts at the key frame at or before a and stops at b
// (then the RTCP BYE), the reply says what will be played, and on a multi-track stream the other
// tracks follow the video track's key frame so that audio and video stay in sync. Test clips with
// numbered frames (exact accounting), then real H.264 + AAC files played by our RTSPClient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADTSAudioFileServerMediaSubsession,
  H264VideoFileServerMediaSubsession,
  FramedSource,
  OnDemandServerMediaSubsession,
  ServerMediaSession,
  type Frame,
  type OnDemandServerMediaSubsessionOptions,
  type RTPFrame,
  type RTPSinkLike,
} from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { RTSPClient, type MediaSubsession } from '@dorsvr/rtspclient';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';
import { NumberedClip, PacedTestRTPSink, type Sender } from '../livemedia/server/helpers.js';
import { fixture } from '../helpers/paths.js';

/** Numbered frames like NumberedClip, every one a key frame (audio-like: a seek lands on the frame asked for). */
class EveryFrameClip extends FramedSource {
  #next = 0;
  constructor(
    readonly count: number,
    readonly frameUs: number,
  ) {
    super();
  }
  protected async readFrame(): Promise<Frame | null> {
    if (this.#next >= this.count) return null;
    const i = this.#next++;
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, i);
    return { data, presentationTime: i * this.frameUs, duration: this.frameUs, key: true };
  }
  override seekToNPT(npt: number): number {
    this.#next = Math.min(this.count, Math.round((npt * 1e6) / this.frameUs));
    return (this.#next * this.frameUs) / 1e6;
  }
  override durationSeconds(): number {
    return (this.count * this.frameUs) / 1e6;
  }
}

class AudioTestSink extends PacedTestRTPSink {
  override sdpMediaType(): string {
    return 'audio';
  }
}

/** A test track: numbered frames `frameUs` apart; video-like (a key frame every 10) or audio-like. */
class ClipSubsession extends OnDemandServerMediaSubsession {
  constructor(
    options: OnDemandServerMediaSubsessionOptions,
    readonly kind: 'video' | 'audio',
    readonly frames = 50,
    readonly frameUs = 10_000,
  ) {
    super(options);
  }
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return this.kind === 'video' ? new NumberedClip(this.frames, this.frameUs) : new EveryFrameClip(this.frames, this.frameUs);
  }
  protected override createNewRTPSink(rtpInterface: object, payloadType: number): RTPSinkLike {
    const Sink = this.kind === 'video' ? PacedTestRTPSink : AudioTestSink;
    return new Sink(this.scheduler, rtpInterface as Sender, payloadType);
  }
}

const frameNo = (f: { payload: Uint8Array }): number => new DataView(f.payload.buffer, f.payload.byteOffset + 12, 4).getUint32(0);
/** True when one of the RTCP compounds received holds a BYE (PT 203). */
function hasBye(frames: ReadonlyArray<{ payload: Uint8Array }>): boolean {
  for (const { payload: p } of frames) {
    for (let off = 0; off + 4 <= p.length; off += 4 * (((p[off + 2]! << 8) | p[off + 3]!) + 1)) {
      if (p[off + 1] === 203) return true;
    }
  }
  return false;
}

test('PLAY npt=a-b: from the key frame at or before a up to (not including) b, the reply says npt=<reached>-<b>, then a BYE; a PLAY without Range plays on to the end, a new range plays that range', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession('clip').addSubsession(new ClipSubsession({ scheduler }, 'video')));
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/clip`;
    const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const session = s.headers['session']!.split(';')[0]!;
    const p = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0.25-0.35' });
    assert.equal(p.status, 200);
    assert.equal(p.headers['range'], 'npt=0.200-0.350');
    await c.waitFor(() => hasBye(c.frames.get(1) ?? []), 5000, 'the BYE after the range');
    assert.deepEqual(
      (c.frames.get(0) ?? []).map(frameNo),
      Array.from({ length: 15 }, (_, i) => 20 + i),
      'frames 20 (the key frame before 0.25) to 34 (the last before 0.35)',
    );
    // A PLAY without Range plays on from where the range ended, to the end.
    const p2 = await c.request('PLAY', `${url}/`, { Session: session });
    assert.equal(p2.headers['range'], 'npt=0.350-0.500');
    await c.waitFor(() => (c.frames.get(0) ?? []).length === 30, 5000, 'the rest of the clip');
    assert.deepEqual((c.frames.get(0) ?? []).slice(15).map(frameNo), Array.from({ length: 15 }, (_, i) => 35 + i));
    // A new range.
    const p4 = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0.4-0.45' });
    assert.equal(p4.headers['range'], 'npt=0.400-0.450');
    await c.waitFor(() => (c.frames.get(0) ?? []).length === 35, 5000, 'the second range');
    assert.deepEqual((c.frames.get(0) ?? []).slice(30).map(frameNo), [40, 41, 42, 43, 44]);
    // An end past the duration is the duration.
    const p3 = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0-9' });
    assert.equal(p3.headers['range'], 'npt=0.000-0.500');
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('PLAY with a start beyond the end (npt=9-, npt=1:2:3- = 3723 s) is 457 Invalid Range and plays nothing; a start at the end, an end beyond it, and the session itself still work', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession('clip').addSubsession(new ClipSubsession({ scheduler }, 'audio', 200)));
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/clip`;
    const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const session = s.headers['session']!.split(';')[0]!;
    // The clip lasts 2 s (200 frames of 10 ms).
    for (const range of ['npt=1:2:3-', 'npt=0:0:3-', 'npt=9-', 'npt=2.001-3']) {
      const p = await c.request('PLAY', `${url}/`, { Session: session, Range: range });
      assert.equal(p.status, 457, `${range}: ${p.status}`);
      assert.equal(p.headers['range'], undefined, `${range}: no Range in a 457`);
    }
    assert.equal((c.frames.get(0) ?? []).length, 0, 'nothing played after the 457s');
    const end = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0:0:2-' });
    assert.equal(end.status, 200, 'a start at the end is not beyond it');
    const p = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0:0:1.5-9' });
    assert.equal(p.status, 200);
    assert.equal(p.headers['range'], 'npt=1.500-2.000', 'an end beyond the end is the end');
    await c.waitFor(() => (c.frames.get(0) ?? []).length === 50, 5000, 'the last 0.5 s');
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('multi-track seek: the video track is seeked first and the audio track to the key frame time it reached (A/V in sync), whatever the track order', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  // Audio is track 1 and video track 2: the video still decides.
  server.addServerMediaSession(
    new ServerMediaSession('av').addSubsession(new ClipSubsession({ scheduler }, 'audio')).addSubsession(new ClipSubsession({ scheduler }, 'video')),
  );
  await server.listen();
  const c = await RawRTSPClient.connect(server.port);
  try {
    const url = `rtsp://127.0.0.1:${server.port}/av`;
    const a = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    const session = a.headers['session']!.split(';')[0]!;
    assert.equal((await c.request('SETUP', `${url}/track2`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3', Session: session })).status, 200);
    const p = await c.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0.27-0.4' });
    assert.equal(p.headers['range'], 'npt=0.200-0.400');
    await c.waitFor(() => hasBye(c.frames.get(1) ?? []) && hasBye(c.frames.get(3) ?? []), 5000, 'both tracks to end at 0.4');
    const audio = (c.frames.get(0) ?? []).map(frameNo);
    const video = (c.frames.get(2) ?? []).map(frameNo);
    assert.deepEqual(video, Array.from({ length: 20 }, (_, i) => 20 + i), 'video from its key frame at 0.2');
    assert.deepEqual(audio, Array.from({ length: 20 }, (_, i) => 20 + i), 'audio from 0.2 too, not from 0.27');
  } finally {
    c.close();
    await server.close();
    scheduler.close();
  }
});

test('real H.264 + AAC files, our RTSPClient asks for npt=0.6-1.0: audio starts with the video\'s key frame at 0, both stop before 1.0', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(
    new ServerMediaSession('av')
      .addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler }))
      .addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler })),
  );
  await server.listen();
  const client = new RTSPClient(`rtsp://127.0.0.1:${server.port}/av`, { transport: 'tcp' });
  try {
    const session = await client.describe();
    for (const sub of session.subsessions) await client.setup(sub);
    const collect = (sub: MediaSubsession): Promise<RTPFrame[]> =>
      new Promise((resolve) => {
        const out: RTPFrame[] = [];
        sub.on('frame', (f) => out.push(f));
        sub.on('end', () => resolve(out));
      });
    const received = session.subsessions.map(collect);
    const res = await client.play({ range: 0.6, end: 1.0 });
    assert.equal(res.headers.get('Range'), 'npt=0.000-1.000', 'the only key frame before 0.6 is the first');
    const [video, audio] = await Promise.race([
      Promise.all(received),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no BYE on both tracks within 10 s')), 10_000)),
    ]);
    // NPT of a frame from its RTP timestamp and the track's RTP-Info (rtptime is NPT 0 here).
    const npt = (sub: MediaSubsession, f: RTPFrame): number => (((f.rtpTimestamp - sub.rtpInfo!.rtptime!) >>> 0) / sub.clockRate);
    const [vs, as] = [session.subsessions[0]!, session.subsessions[1]!];
    const vt = [...new Set(video!.map((f) => npt(vs, f)))];
    const at = audio!.map((f) => npt(as, f));
    assert.equal(vt[0], 0, 'video from its key frame');
    assert.equal(at[0], 0, 'audio from the same time, not from 0.6');
    assert.equal(vt.length, 25, `25 video frames (0 to 0.96 s): ${vt.length}`);
    assert.ok(vt.at(-1)! < 1.0 && at.at(-1)! < 1.0, `both stop before 1.0 (video ${vt.at(-1)}, audio ${at.at(-1)})`);
    assert.ok(at.at(-1)! > 1.0 - 0.03, `audio plays up to 1.0 (last frame at ${at.at(-1)})`);
  } finally {
    await client.close();
    await server.close();
    scheduler.close();
  }
});
