// "Every class takes a scheduler but none needs one" (README): a server whose every part is made
// without a scheduler — a DynamicRTSPServer, a relayed live source with its RTP sink, and a
// ProxyServerMediaSession of the server's own file — shares defaultScheduler() and plays in ffprobe;
// and on the receiving side an RTP source and its RTCPInstance made without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { defaultScheduler } from '@dorsvr/scheduler';
import { EventEmitter } from 'eventemitter3';
import { createRTPSource, FramedSource, LiveServerMediaSubsession, RelayServerMediaSession, RTCPInstance, ServerMediaSession, SimpleRTPSink, type Frame } from '@dorsvr/livemedia';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { ProxyServerMediaSession } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

/** 20 ms of 8 kHz mono L16 silence per frame, for ever (the RTP sink paces it). */
class Silence extends FramedSource {
  #n = 0;
  protected async readFrame(): Promise<Frame | null> {
    return { data: new Uint8Array(320), presentationTime: this.#n++ * 20_000, duration: 20_000 };
  }
}

test('a server with no scheduler given anywhere (server, file tracks, live and relayed sources, their RTP sink, a proxy) shares defaultScheduler() and plays', async () => {
  const server = new DynamicRTSPServer({ root: fixture(''), port: 0, host: '127.0.0.1' });
  // A live source that never ends (20 ms of L16 silence a frame), relayed: its sink is made without a scheduler too.
  let sink: SimpleRTPSink | undefined;
  const relayed = RelayServerMediaSession.fromSources('relayed', [
    {
      source: new Silence(),
      createSink: (rtpInterface) =>
        (sink = new SimpleRTPSink({ rtpInterface, payloadType: 96, sdpMediaType: 'audio', rtpTimestampFrequency: 8000, rtpPayloadFormatName: 'L16' })),
    },
  ]);
  const live = new LiveServerMediaSubsession({ source: createReadStream(fixture('test.264')), codec: 'h264' });
  server.addServerMediaSession(relayed);
  server.addServerMediaSession(new ServerMediaSession('live').addSubsession(live));
  await server.listen();
  const base = `rtsp://127.0.0.1:${server.port}`;
  const proxy = new ProxyServerMediaSession('proxied', `${base}/test.aac`);
  server.addServerMediaSession(proxy);
  try {
    assert.equal(server.scheduler, defaultScheduler());
    assert.equal(live.scheduler, defaultScheduler());
    assert.ok(sink, 'the relay made its sink');
    assert.equal(sink.scheduler, defaultScheduler());
    const probe = (path: string) =>
      runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width', '-of', 'csv=p=0', `${base}/${path}`], 30_000);
    for (const [path, expected] of [
      ['test.264', 'h264,320'],
      ['relayed', 'pcm_s16be'],
      ['live', 'h264,320'],
      ['proxied', 'aac'],
    ] as const) {
      const r = await probe(path);
      assert.equal(r.code, 0, `${path}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), expected, path);
    }
    assert.ok(sink.packetCount > 0, 'the relayed source was sent, paced on the default scheduler');
  } finally {
    proxy.close();
    relayed.close();
    await server.close();
  }
});

test('the receiving side takes no scheduler either: an RTP source made by createRTPSource and its RTCPInstance run on defaultScheduler()', async () => {
  const rtp = new EventEmitter<{ packet: [data: Uint8Array] }>();
  const source = createRTPSource({ encodingName: 'L16', clockRate: 8000, channels: 1, rtpInterface: rtp });
  const rtcpInterface = Object.assign(new EventEmitter<{ packet: [data: Uint8Array] }>(), { send: (_chunks: readonly Uint8Array[]): void => {} });
  const rtcp = new RTCPInstance({ rtcpInterface, source, cname: 'dorsvr-test' });
  try {
    assert.equal(source.scheduler, defaultScheduler());
    assert.equal(rtcp.scheduler, defaultScheduler());
    // A packet pushed in comes out as a frame, timed on that scheduler.
    const packet = new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 1, 2, 3, 4]);
    const frame = source.getNextFrame();
    rtp.emit('packet', packet);
    const f = await frame;
    assert.ok(f, 'a frame');
    assert.deepEqual([...f.data], [1, 2, 3, 4]);
  } finally {
    rtcp.close();
    source.close();
  }
});
