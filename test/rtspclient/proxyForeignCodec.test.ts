// Any codec passes the proxy: a scripted back-end serving a codec nobody depacketizes
// (X-WEIRD/1000 with its own fmtp) over TCP, with two packets missing. The player (our client,
// taking raw packets) gets the back-end's rtpmap/fmtp in the SDP, every packet sent with its payload
// and payload type, the gap where it was; the proxy's stats count 18 received and 2 lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { parseRTPHeader } from '@dorsvr/livemedia';
import { RTSPClient } from '@dorsvr/rtspclient';
import { FakeRTSPServer, rtpPacket, type FakeConnection } from './FakeRTSPServer.js';
import { proxyServer, waitFor } from './proxyHelpers.js';

const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=weird camera', 't=0 0', 'm=application 0 RTP/AVP 98', 'a=rtpmap:98 X-WEIRD/1000', 'a=fmtp:98 mode=fancy;level=7', 'a=control:track1', ''].join('\r\n');

test('a codec nobody depacketizes passes the proxy packet for packet; its rtpmap/fmtp reach the player; a gap is counted as loss', async () => {
  let playing: FakeConnection | undefined;
  const fake = await FakeRTSPServer.start((req, conn) => {
    switch (req.method) {
      case 'OPTIONS':
        return { status: 200, headers: { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN' } };
      case 'DESCRIBE':
        return { status: 200, headers: { 'Content-Type': 'application/sdp', 'Content-Base': `${fake.url('cam')}/` }, body: SDP };
      case 'SETUP':
        return { status: 200, headers: { Session: 'f00d;timeout=60', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' } };
      case 'PLAY':
        playing = conn;
        return { status: 200, headers: { Session: 'f00d' } };
      default:
        return { status: 200, headers: { Session: 'f00d' } };
    }
  });
  const scheduler = new BasicTaskScheduler();
  const px = await proxyServer(scheduler, fake.url('cam'), 'weird', { transport: 'tcp' });
  const player = new RTSPClient(px.url, { scheduler, transport: 'tcp' });
  try {
    const session = await player.describe();
    assert.match(session.sdpText, /a=rtpmap:98 X-WEIRD\/1000\r\n/);
    assert.match(session.sdpText, /a=fmtp:98 mode=fancy;level=7\r\n/);
    const sub = session.subsessions[0]!;
    assert.equal(sub.supported, false, 'no depacketizer for it');
    const got: Uint8Array[] = [];
    sub.packetSink = { rtp: (p) => got.push(p), rtcp: () => undefined };
    await player.setup(sub);
    await player.play();
    await waitFor(() => playing !== undefined && px.proxy.tracks[0]!.readers.some((r) => r.state !== 'idle'), 5000, 'the player playing');
    const sent: number[] = [];
    for (let i = 0; i < 20; i++) {
      if (i === 5 || i === 6) continue; // lost on the way
      sent.push(i);
      playing!.sendInterleaved(0, rtpPacket(1000 + i, 50_000 + i * 40, 0x5eed, Uint8Array.from([i, 0xaa, 0xbb]), 98, i % 4 === 3));
    }
    await waitFor(() => got.length === sent.length, 5000, `${sent.length} packets at the player`);
    const first = parseRTPHeader(got[0]!).sequenceNumber;
    got.forEach((p, k) => {
      const h = parseRTPHeader(p);
      const i = sent[k]!;
      assert.equal(h.payloadType, 98);
      assert.equal(h.marker, i % 4 === 3);
      assert.deepEqual([...p.subarray(12)], [i, 0xaa, 0xbb]);
      assert.equal(h.sequenceNumber, (first + i) & 0xffff, 'the gap is where it was');
    });
    await waitFor(() => px.proxy.stats.packetsReceived === 18, 2000, 'the stats');
    assert.equal(px.proxy.stats.packetsLost, 2);
  } finally {
    await player.close();
    await px.close();
    await fake.close();
    scheduler.close();
  }
});
