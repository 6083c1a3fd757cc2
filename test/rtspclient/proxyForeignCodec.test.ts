// Any codec passes the proxy: a scripted back-end serving a codec nobody depacketizes
// (X-WEIRD/1000 with its own fmtp) over TCP, with two packets missing. The player (our client,
// taking raw packets) gets the back-end's rtpmap/fmtp in the SDP, every packet sent with its payload
// and payload type, the gap where it was; the proxy's stats count 18 received and 2 lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { parseRTCP, parseRTPHeader } from '@dorsvr/livemedia';
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

const TRACK_WEIRD = ['m=application 0 RTP/AVP 98', 'a=rtpmap:98 X-WEIRD/1000', 'a=control:track1'];
const TRACK_PCMU = ['m=audio 0 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=control:track2'];
const sdpOf = (...tracks: string[][]) => [['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=cam', 't=0 0'], ...tracks].flat().join('\r\n') + '\r\n';

/** An RTCP RR (no report block) + BYE for `ssrc`. */
function byePacket(ssrc: number): Uint8Array {
  const b = Buffer.alloc(16);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  b[8] = 0x81;
  b[9] = 203;
  b.writeUInt16BE(1, 10);
  b.writeUInt32BE(ssrc, 12);
  return b;
}

test('across back-end restarts with the same SSRC and new bases: the unchanged track goes on without a sequence jump, an added track is announced, a removed or changed one ends with a BYE', async () => {
  let sdp = sdpOf(TRACK_WEIRD);
  let playing: FakeConnection | undefined;
  const fake = await FakeRTSPServer.start((req, conn) => {
    switch (req.method) {
      case 'DESCRIBE':
        return { status: 200, headers: { 'Content-Type': 'application/sdp', 'Content-Base': `${fake.url('cam')}/` }, body: sdp };
      case 'SETUP': {
        const ch = req.uri.endsWith('track2') ? '2-3' : '0-1';
        return { status: 200, headers: { Session: 'f00d;timeout=60', Transport: `RTP/AVP/TCP;unicast;interleaved=${ch}` } };
      }
      case 'PLAY':
        playing = conn;
        return { status: 200, headers: { Session: 'f00d' } };
      default:
        return { status: 200, headers: { Session: 'f00d' } };
    }
  });
  const scheduler = new BasicTaskScheduler();
  const px = await proxyServer(scheduler, fake.url('cam'), 'cam', { transport: 'tcp', retryInitialMs: 100, random: () => 0.5 });
  const changes: number[][] = [];
  px.proxy.events.on('tracksChanged', (t) => changes.push(t));
  const player = new RTSPClient(px.url, { scheduler, transport: 'tcp' });
  try {
    const sub = (await player.describe()).subsessions[0]!;
    const got: Uint8Array[] = [];
    let byes = 0;
    sub.packetSink = { rtp: (p) => got.push(p), rtcp: (p) => (byes += parseRTCP(p).filter((x) => x.type === 'bye').length) };
    await player.setup(sub);
    await player.play();
    await waitFor(() => playing !== undefined && px.proxy.tracks[0]!.readers.some((r) => r.state !== 'idle'), 5000, 'the player playing');
    for (let i = 0; i < 3; i++) playing!.sendInterleaved(0, rtpPacket(100 + i, 1000 + i * 40, 0x5eed, Uint8Array.from([i]), 98));
    await waitFor(() => got.length === 3, 5000, 'three packets');
    // The back-end restarts (BYE), comes back with the same SSRC, other bases and a second track.
    sdp = sdpOf(TRACK_WEIRD, TRACK_PCMU);
    const first = playing!;
    playing = undefined;
    first.sendInterleaved(1, byePacket(0x5eed));
    await waitFor(() => playing !== undefined && px.proxy.state === 'live', 5000, 'the proxy to set the back-end up again');
    assert.deepEqual(changes, [[2]], 'track 2 added');
    for (let i = 0; i < 3; i++) playing!.sendInterleaved(0, rtpPacket(40_000 + i, 9_000_000 + i * 40, 0x5eed, Uint8Array.from([10 + i]), 98));
    await waitFor(() => got.length === 6, 5000, 'three more packets');
    const seqs = got.map((p) => parseRTPHeader(p).sequenceNumber);
    for (let k = 1; k < 6; k++) assert.equal(seqs[k], (seqs[k - 1]! + 1) & 0xffff, `packet ${k}: no sequence jump`);
    assert.deepEqual(got.map((p) => p[12]), [0, 1, 2, 10, 11, 12]);
    assert.equal(byes, 0);
    // Restarted again with only the PCMU track: track 1 changed (its reader ends), track 2 is gone.
    sdp = sdpOf(TRACK_PCMU);
    const second = playing!;
    playing = undefined;
    second.sendInterleaved(1, byePacket(0x5eed));
    await waitFor(() => changes.length === 2, 5000, 'the third SDP');
    assert.deepEqual(changes[1], [1, 2]);
    await waitFor(() => byes > 0, 5000, 'the player\'s BYE');
    const again = new RTSPClient(px.url, { scheduler });
    const s2 = await again.describe();
    await again.close();
    assert.deepEqual(s2.subsessions.map((s) => s.codecName), ['PCMU']);
  } finally {
    await player.close();
    await px.close();
    await fake.close();
    scheduler.close();
  }
});
