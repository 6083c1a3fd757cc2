// Publishing by hand with the general API (announce an SDP text, setupRecord, record, send any
// FramedSource through the RTP sink of its codec), and a two-track session through publish():
// ffmpeg's receiver writes what we sent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ADTSAudioFileServerMediaSubsession,
  FramedSource,
  H264VideoFileServerMediaSubsession,
  ServerMediaSession,
  SimpleRTPSink,
  type Frame,
} from '@dorsvr/livemedia';
import { RTSPClient, RTSPClientError } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { wavParts } from '../helpers/mediaFiles.js';
import { withTempDir } from '../helpers/tempDir.js';
import { probe } from '../rtspserver/helpers/ffmpeg.js';
import { startFfmpegReceiver } from './publishHelpers.js';

const RATE = 8000;
const FRAME_SAMPLES = 160; // 20 ms

/** A 440 Hz tone as big-endian 16-bit PCM (L16), 20 ms a frame, `frames` frames. */
class ToneSource extends FramedSource {
  readonly samples: number[] = [];
  #n = 0;
  constructor(readonly frames: number) {
    super();
  }
  protected override readFrame(): Frame | null {
    if (this.#n >= this.frames) return null;
    const data = Buffer.alloc(FRAME_SAMPLES * 2);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const s = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (this.#n * FRAME_SAMPLES + i)) / RATE));
      data.writeInt16BE(s, 2 * i);
      this.samples.push(s + 0); // no -0
    }
    const frame = { data, presentationTime: this.#n * 20_000, duration: 20_000 };
    this.#n++;
    return frame;
  }
}

/** Connects until the receiver listens (bounded), then `fn`. */
async function withClient<T>(url: string, transport: 'udp' | 'tcp', fn: (c: RTSPClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = new RTSPClient(url, { transport });
    try {
      const r = await fn(client);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return r;
    } catch (err) {
      if (!(err instanceof RTSPClientError && err.code === 'ERR_RTSP_CONNECT') || attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.close();
    }
  }
}

describe('publishing by hand and two tracks, into ffmpeg', { concurrency: 2 }, () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`an SDP text and a FramedSource of our own (an L16 tone) through a SimpleRTPSink over ${transport}: ffmpeg writes the same samples`, async () => {
      await withTempDir(async (dir) => {
        const out = join(dir, 'tone.wav');
        const receiver = await startFfmpegReceiver(out, ['-c:a', 'pcm_s16le']);
        const source = new ToneSource(50);
        await withClient(receiver.url, transport, async (client) => {
          const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=tone', 't=0 0', 'm=audio 0 RTP/AVP 97', `a=rtpmap:97 L16/${RATE}`, 'a=control:streamid=0', ''].join('\r\n');
          const session = await client.announce(sdp);
          const track = session.tracks[0]!;
          assert.deepEqual([track.mediumName, track.codecName, track.payloadType], ['audio', 'L16', 97]);
          await client.setupRecord(track);
          assert.equal(track.transport?.mode, transport);
          await client.record();
          const sink = new SimpleRTPSink({
            scheduler: client.scheduler,
            rtpInterface: track.rtpInterface,
            payloadType: 97,
            sdpMediaType: 'audio',
            rtpTimestampFrequency: RATE,
            rtpPayloadFormatName: 'L16',
            unitSize: 2,
          });
          let ended = false;
          track.once('end', () => (ended = true));
          await track.send(source, sink);
          assert.ok(ended);
          assert.equal(track.stats.bytesSent, 50 * FRAME_SAMPLES * 2);
        });
        const r = await receiver.result;
        assert.equal(r.code, 0, r.stderr);
        const w = wavParts(out);
        assert.deepEqual([w.sampleRate, w.channels, w.bits], [RATE, 1, 16]);
        const got = Array.from({ length: w.data.length / 2 }, (_, i) => w.data.readInt16LE(2 * i));
        assert.deepEqual(got, source.samples);
      });
    });
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`a two-track session (H.264 + AAC) over ${transport}: both streams written in full`, async () => {
      await withTempDir(async (dir) => {
        const out = join(dir, 'both.mkv');
        const receiver = await startFfmpegReceiver(out);
        await withClient(receiver.url, transport, async (client) => {
          const session = new ServerMediaSession('both')
            .addSubsession(new H264VideoFileServerMediaSubsession(fixture('test.264'), { scheduler: client.scheduler }))
            .addSubsession(new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler: client.scheduler }));
          const publication = await client.publish(session, { transport });
          const [video, audio] = publication.session.tracks;
          if (transport === 'tcp') assert.deepEqual([video!.transport?.channels, audio!.transport?.channels], [{ rtp: 0, rtcp: 1 }, { rtp: 2, rtcp: 3 }]);
          else assert.notEqual(video!.transport?.clientPorts?.rtp, audio!.transport?.clientPorts?.rtp);
          await publication.done;
        });
        const r = await receiver.result;
        assert.equal(r.code, 0, r.stderr);
        const [v, a, sv, sa] = await Promise.all([probe(out, 'v:0'), probe(out, 'a:0'), probe(fixture('test.264')), probe(fixture('test.aac'))]);
        assert.deepEqual([v.codec, v.frames, a.codec, a.frames], [sv.codec, sv.frames, sa.codec, sa.frames]);
      });
    });
  }
});
