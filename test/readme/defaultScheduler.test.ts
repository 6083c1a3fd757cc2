// "Every class takes a scheduler but none needs one" (README): a server whose every part is made
// without a scheduler — a DynamicRTSPServer, a relayed live source with its RTP sink, and a
// ProxyServerMediaSession of the server's own file — shares defaultScheduler() and plays in ffprobe;
// and on the receiving side an RTP source and its RTCPInstance made without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { defaultScheduler } from '@dorsvr/scheduler';
import { EventEmitter } from 'eventemitter3';
import { createRTPSource, H264VideoRTPSink, H264VideoStreamFramer, LiveServerMediaSubsession, RelayServerMediaSession, RTCPInstance, ServerMediaSession } from '@dorsvr/livemedia';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { ProxyServerMediaSession } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { findPeer } from '../helpers/peers.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';

test('a server with no scheduler given anywhere (server, file tracks, live and relayed sources, their RTP sink, a proxy) shares defaultScheduler() and plays', async () => {
  const server = new DynamicRTSPServer({ root: fixture(''), port: 0, host: '127.0.0.1' });
  const framer = await H264VideoStreamFramer.open(fixture('test.264'));
  let sink: H264VideoRTPSink | undefined;
  const relayed = RelayServerMediaSession.fromSources('relayed', [
    {
      source: framer,
      createSink: (rtpInterface) => (sink = new H264VideoRTPSink({ rtpInterface, payloadType: 96, sps: framer.sps, pps: framer.pps })),
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
      ['relayed', 'h264,'], // a 2-second clip relayed live since listen(): its SDP, maybe no picture left to size
      ['live', 'h264,320'],
      ['proxied', 'aac'],
    ] as const) {
      const r = await probe(path);
      assert.equal(r.code, 0, `${path}: ${r.stderr}`);
      if (path === 'relayed') assert.match(r.stdout.trim(), /^h264,\d+$/, path);
      else assert.equal(r.stdout.trim(), expected, path);
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
