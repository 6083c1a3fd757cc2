// RTP-Info (issue #11): the seq and rtptime PLAY announces must be those of the first RTP packet the
// client then receives — for a file, for a live source whose presentation times start far from 0,
// for shared streams (first and later clients), after PAUSE and after a seek (live555's
// presetNextTimestamp). Checked over TCP interleaving, where the packets come in order after the
// PLAY response on the same connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import {
  ADTSAudioFileServerMediaSubsession,
  FramedSource,
  H264VideoFileServerMediaSubsession,
  OnDemandServerMediaSubsession,
  ServerMediaSession,
  SimpleRTPSink,
  parseRTPHeader,
  parseRTPInfoHeader,
  type Frame,
  type RTPPacketSender,
  type RTPSinkLike,
} from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../helpers/paths.js';
import { RawRTSPClient } from './helpers/RawRTSPClient.js';

/** A live tone whose presentation times are a capture clock starting at 10^12 µs, paced by real time. */
class LiveTone extends FramedSource {
  #n = 0;
  #t0 = Date.now();
  protected async readFrame(): Promise<Frame | null> {
    const due = this.#t0 + this.#n * 20;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return { data: new Uint8Array(320), presentationTime: 1e12 + this.#n++ * 20_000, duration: 20_000 };
  }
}

class LiveToneSubsession extends OnDemandServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return new LiveTone();
  }
  protected override createNewRTPSink(rtpInterface: object, payloadType: number): RTPSinkLike {
    return new SimpleRTPSink({
      scheduler: this.scheduler,
      rtpInterface: rtpInterface as RTPPacketSender,
      payloadType,
      sdpMediaType: 'audio',
      rtpTimestampFrequency: 8000,
      rtpPayloadFormatName: 'L16',
    });
  }
}

interface Session {
  c: RawRTSPClient;
  url: string;
  session: string;
}

async function setup(port: number, name: string): Promise<Session> {
  const c = await RawRTSPClient.connect(port);
  const url = `rtsp://127.0.0.1:${port}/${name}`;
  assert.equal((await c.request('DESCRIBE', url)).status, 200);
  const s = await c.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
  assert.equal(s.status, 200);
  return { c, url, session: s.headers['session']!.split(';')[0]! };
}

/** PLAY (optionally with a Range); then RTP-Info's seq/rtptime and the first packet received after the response. */
async function playAndCompare({ c, url, session }: Session, what: string, range?: string): Promise<void> {
  const before = c.frameCount(0);
  const p = await c.request('PLAY', url, { Session: session, ...(range ? { Range: range } : {}) });
  assert.equal(p.status, 200, what);
  const info = parseRTPInfoHeader(p.headers['rtp-info']!)[0]!;
  await c.waitFor(() => c.frameCount(0) > before, 5000, `${what}: a packet`);
  const first = parseRTPHeader(c.frames.get(0)![before]!.payload);
  assert.equal(first.sequenceNumber, info.seq, `${what}: RTP-Info seq`);
  assert.equal(first.timestamp, info.rtptime, `${what}: RTP-Info rtptime ${info.rtptime}, first packet ${first.timestamp}`);
}

async function pause({ c, url, session }: Session): Promise<void> {
  assert.equal((await c.request('PAUSE', url, { Session: session })).status, 200);
  await new Promise((r) => setTimeout(r, 300));
}

async function withServer(sms: (scheduler: BasicTaskScheduler) => ServerMediaSession[], fn: (port: number) => Promise<void>): Promise<void> {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  for (const s of sms(scheduler)) server.addServerMediaSession(s);
  await server.listen();
  try {
    await fn(server.port);
  } finally {
    await server.close();
    scheduler.close();
  }
}

test('RTP-Info equals the first packet: AAC and H.264 files, at PLAY, after PAUSE/PLAY, after a seek', async () => {
  await withServer(
    (scheduler) => [
      new ServerMediaSession('aac').addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler })),
      new ServerMediaSession('h264').addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler })),
    ],
    async (port) => {
      for (const name of ['aac', 'h264']) {
        const s = await setup(port, name);
        try {
          await playAndCompare(s, `${name} PLAY`);
          await new Promise((r) => setTimeout(r, 300));
          await pause(s);
          await playAndCompare(s, `${name} resumed after PAUSE`);
          await new Promise((r) => setTimeout(r, 200));
          await pause(s);
          await playAndCompare(s, `${name} seek`, 'npt=0.5-');
        } finally {
          s.c.close();
        }
      }
    },
  );
});

test('RTP-Info equals the first packet: a live source whose presentation times start at 10^12 µs, on its own and shared (first and second client), after PAUSE/PLAY', async () => {
  await withServer(
    (scheduler) => [
      new ServerMediaSession('live').addSubsession(new LiveToneSubsession({ scheduler })),
      new ServerMediaSession('shared').addSubsession(new LiveToneSubsession({ scheduler, reuseFirstSource: true })),
    ],
    async (port) => {
      const own = await setup(port, 'live');
      const a = await setup(port, 'shared');
      const b = await setup(port, 'shared');
      try {
        await playAndCompare(own, 'live PLAY');
        await new Promise((r) => setTimeout(r, 200));
        await pause(own);
        await playAndCompare(own, 'live resumed after PAUSE');
        await playAndCompare(a, 'shared, first client');
        await new Promise((r) => setTimeout(r, 150));
        await playAndCompare(b, 'shared, second client joining');
        await pause(b);
        await playAndCompare(b, 'shared, second client resumed');
      } finally {
        for (const s of [own, a, b]) s.c.close();
      }
    },
  );
});
