// A live source written by subclassing FramedSource (a generated tone), served as L16 from one
// shared source, recorded by two ffmpeg players at once (UDP and TCP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import {
  FramedSource,
  OnDemandServerMediaSubsession,
  ServerMediaSession,
  SimpleRTPSink,
  type Frame,
  type RTPInterfaceLike,
  type RTPSinkLike,
} from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { ffmpegCopy, probe } from '../helpers/ffmpeg.js';
import { tempDir } from '../../helpers/tempDir.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';

class Tone extends FramedSource {
  #n = 0;
  protected async readFrame(): Promise<Frame | null> {
    const samples = 160; // 20 ms at 8 kHz
    const data = new Uint8Array(samples * 2);
    const v = new DataView(data.buffer);
    for (let i = 0; i < samples; i++) v.setInt16(i * 2, Math.round(8000 * Math.sin((2 * Math.PI * 440 * (this.#n * samples + i)) / 8000)));
    return { data, presentationTime: this.#n++ * 20_000, duration: 20_000 };
  }
}

class ToneSubsession extends OnDemandServerMediaSubsession {
  protected override async createNewStreamSource(): Promise<FramedSource> {
    return new Tone();
  }
  protected override createNewRTPSink(rtpInterface: RTPInterfaceLike, payloadType: number): RTPSinkLike {
    return new SimpleRTPSink({
      scheduler: this.scheduler,
      rtpInterface,
      payloadType,
      sdpMediaType: 'audio',
      rtpTimestampFrequency: 8000,
      rtpPayloadFormatName: 'L16',
    });
  }
}

test('a live FramedSource subclass (tone as L16), shared, recorded by ffmpeg over UDP and TCP at once', async () => {
  const scheduler = new BasicTaskScheduler();
  const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
  server.addServerMediaSession(new ServerMediaSession('tone').addSubsession(new ToneSubsession({ scheduler, reuseFirstSource: true })));
  await server.listen();
  const tmp = tempDir();
  try {
    const url = `rtsp://127.0.0.1:${server.port}/tone`;
    const results = await Promise.all(
      (['udp', 'tcp'] as const).map(async (t) => {
        const out = join(tmp.dir, `${t}.mkv`);
        const r = await ffmpegCopy(url, t, out, [], 30_000, ['-t', '1.5']);
        assert.equal(r.code, 0, r.stderr);
        return probe(out);
      }),
    );
    for (const p of results) {
      assert.equal(p.codec, 'pcm_s16be');
      assert.equal(p.sampleRate, 8000);
      assert.equal(p.channels, 1);
      assert.ok(p.duration !== undefined && Math.abs(p.duration - 1.5) <= 0.1, `${p.duration} s recorded`);
    }
    // A live stream has no end: the SDP says so.
    const c = await RawRTSPClient.connect(server.port);
    const d = await c.request('DESCRIBE', url);
    c.close();
    assert.match(d.body, /a=range:npt=now-\r\n/);
    assert.match(d.body, /m=audio 0 RTP\/AVP 96\r\n[^]*a=rtpmap:96 L16\/8000\r\n/);
  } finally {
    tmp.cleanup();
    await server.close();
    scheduler.close();
  }
});
