// Any codec passes: RTP from a real publisher (ffmpeg sending VP8, which this project has no
// packetizer or depacketizer for) pushed into a RelayServerMediaSession made from ffmpeg's own SDP,
// served by an RTSPServer and recorded by ffmpeg over UDP and TCP, every frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { parseSDP, RelayServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy, probe, runPeer } from '../../rtspserver/helpers/ffmpeg.js';

/** ffmpeg's arguments to send 2 s of VP8 (25 fps) as RTP to `port`, RTCP to `rtcpPort`. */
function vp8Publisher(port: number, rtcpPort: number, seconds: number, sdpFile?: string): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25',
    '-t', String(seconds),
    '-c:v', 'libvpx', '-deadline', 'realtime', '-g', '25', '-b:v', '200k',
    '-payload_type', '96',
    ...(sdpFile ? ['-sdp_file', sdpFile] : []),
    '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`,
  ];
}

test('VP8 from a real ffmpeg publisher is relayed as packets: its SDP passes, ffmpeg readers over UDP and TCP get every frame', async () => {
  await withTempDir(async (dir) => {
    const ffmpeg = findPeer('ffmpeg');
    const rtp = createSocket('udp4');
    const rtcp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', r));
    const rtpPort = rtp.address().port;
    const rtcpPort = rtcp.address().port;
    // The publisher's SDP, as ffmpeg writes it for this output (what it would ANNOUNCE).
    const sdpFile = join(dir, 'pub.sdp');
    const dry = await runPeer(ffmpeg, vp8Publisher(9, 10, 0.04, sdpFile));
    assert.equal(dry.code, 0, dry.stderr);
    const sdpText = readFileSync(sdpFile, 'utf8');
    assert.match(sdpText, /a=rtpmap:96 VP8\/90000/);

    const scheduler = new BasicTaskScheduler();
    const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    const sms = new RelayServerMediaSession('pub', parseSDP(sdpText), { scheduler });
    const track = sms.tracks[0]!;
    rtp.on('message', (m) => track.pushRTP(m));
    let publisherRTCP: { address: string; port: number } | undefined;
    rtcp.on('message', (m, rinfo) => {
      publisherRTCP = { address: rinfo.address, port: rinfo.port };
      track.pushRTCP(m);
    });
    track.on('rtcpToPublisher', (p) => {
      if (publisherRTCP) rtcp.send(p, publisherRTCP.port, publisherRTCP.address);
    });
    server.addServerMediaSession(sms);
    let plays = 0;
    let bothPlaying!: () => void;
    const playing = new Promise<void>((r) => (bothPlaying = r));
    server.on('play', () => {
      if (++plays === 2) bothPlaying();
    });
    try {
      await server.listen();
      const url = `rtsp://127.0.0.1:${server.port}/pub`;
      const record = (t: 'udp' | 'tcp'): Promise<string> => {
        const out = join(dir, `${t}.mkv`);
        return ffmpegCopy(url, t, out, [], 40_000).then((r) => {
          assert.equal(r.code, 0, `${t}: ${r.stderr}`);
          return out;
        });
      };
      const readers = Promise.all([record('udp'), record('tcp')]);
      await Promise.race([playing, new Promise((r) => setTimeout(r, 15_000))]);
      assert.equal(plays, 2, 'both readers play');
      await new Promise((r) => setTimeout(r, 300));
      const pub = await runPeer(ffmpeg, vp8Publisher(rtpPort, rtcpPort, 2));
      assert.equal(pub.code, 0, pub.stderr);
      // The publisher is done: what a server does at its TEARDOWN.
      await new Promise((r) => setTimeout(r, 300));
      sms.end();
      const files = await readers;
      for (const f of files) {
        const p = await probe(f);
        assert.equal(p.codec, 'vp8');
        assert.equal(p.width, 160);
        assert.equal(p.frames, 50, `${f}: ${p.frames} frames`);
      }
      assert.ok(track.stats.packetsReceived >= 50);
      assert.equal(track.stats.malformedPackets, 0);
      assert.ok(track.stats.rtcpPacketsReceived >= 1, 'the publisher\'s SRs reached the track');
    } finally {
      await server.close();
      scheduler.close();
      rtp.close();
      rtcp.close();
    }
  });
});
